import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readFileSync, renameSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The JDK as an independent verifier of XML-DSig seals (test/emrex/java/VerifyXmlDsig.java, javax.xml.crypto).
 * The class is compiled once into a folder named by the source's hash under the temporary directory and
 * run from there: `java File.java` compiles the source again at every run (about a second of CPU each).
 */
const SOURCE = fileURLToPath(new URL('../java/VerifyXmlDsig.java', import.meta.url));
let available: boolean | undefined;
let classes: string | undefined;

/** Whether java and javac (JDK 11+) are on the PATH. */
export function jdkAvailable(): boolean {
  available ??= ['java', 'javac'].every((c) => spawnSync(c, ['-version'], { encoding: 'utf8' }).status === 0);
  return available;
}

function compiled(): string {
  const hash = createHash('sha256').update(readFileSync(SOURCE)).digest('hex').slice(0, 16);
  const dir = join(tmpdir(), `hub-jdk-verifier-${hash}`);
  if (existsSync(join(dir, 'VerifyXmlDsig.class'))) return dir;
  // Compiled beside it, then moved in one step: the other test worker may be compiling it too.
  const work = mkdtempSync(join(tmpdir(), 'hub-jdk-build-'));
  try {
    const r = spawnSync('javac', ['-d', work, SOURCE], { encoding: 'utf8' });
    assert.equal(r.status, 0, `javac VerifyXmlDsig.java: ${r.stderr}`);
    try {
      renameSync(work, dir);
    } catch (e) {
      if (!existsSync(join(dir, 'VerifyXmlDsig.class'))) throw e;
    }
  } finally {
    rmSync(work, { recursive: true, force: true });
  }
  return dir;
}

/** The JDK's verdict on a document's enveloped signature, checked with this certificate's key only: "VALID" or "INVALID: …". */
export function jdkVerifyXmlDsig(xml: string, certificatePem: string): string {
  classes ??= compiled();
  const dir = mkdtempSync(join(tmpdir(), 'hub-jdk-doc-'));
  try {
    writeFileSync(join(dir, 'doc.xml'), xml);
    writeFileSync(join(dir, 'cert.pem'), certificatePem);
    const r = spawnSync('java', ['-cp', classes, 'VerifyXmlDsig', join(dir, 'doc.xml'), join(dir, 'cert.pem')], { encoding: 'utf8' });
    if (r.error) throw r.error;
    assert.equal(r.status, 0, r.stderr);
    return r.stdout.trim();
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
