import { X509Certificate } from 'node:crypto';
import { createDevSealKey } from '../../emrex/keys.ts';
import { sealKeysDir } from '../../emrex/seal-key.ts';
import { configOrDemo, fail, runtime } from '../runtime.ts';

/**
 * `hub emrex keys`: the seal key and certificate that sign ELMO documents. Makes a development key and
 * self-signed certificate in the keys folder when it has none, and prints where they are, the
 * certificate's subject, validity and SHA-256 fingerprint (what a receiving client is told to trust).
 */
export async function emrexKeysCommand(opts: { config?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const { config } = configOrDemo(rt, opts.config);
    const dir = sealKeysDir(config, rt.env.dataDir);
    const key = await createDevSealKey(dir);
    const cert = new X509Certificate(key.certificatePem);
    const report = { keysDir: dir, created: key.created, subject: cert.subject.replace(/\n/g, ', '), validFrom: cert.validFrom, validTo: cert.validTo, sha256: cert.fingerprint256 };
    if (opts.json) {
      console.log(JSON.stringify(report, null, 2));
      return;
    }
    console.log(`${key.created ? 'made a development seal key and self-signed certificate' : 'the seal key and certificate are there'} in ${dir}`);
    console.log(`  certificate ${report.subject}, valid ${report.validFrom} – ${report.validTo}`);
    console.log(`  SHA-256 ${report.sha256}`);
    console.log("For production put the institution's key (emrex-seal-key.pem) and certificate (emrex-seal-cert.pem) there instead.");
  } catch (e) {
    fail(e);
  }
}
