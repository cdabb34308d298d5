import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { builtHub, launcher } from './helpers/suite-build.ts';

/** The launcher the suite's hub processes run while the hub is built beside the first files (test/helpers/suite-build.ts). */
describe("the suite build's launcher", () => {
  let dir: string;
  let out: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-launcher-'));
    out = join(dir, 'suite-1');
    mkdirSync(join(out, 'bin'), { recursive: true });
    // A stand-in for the built hub: prints the arguments it was given.
    writeFileSync(join(out, 'bin', 'hub.mjs'), 'console.log(JSON.stringify(process.argv.slice(2)));\n');
    writeFileSync(`${out}.hub.mjs`, launcher(out));
  });
  afterEach(() => rmSync(dir, { recursive: true, force: true }));

  it('waits for the build to be done, then runs the built hub with the arguments', async () => {
    const child = spawn(process.execPath, [`${out}.hub.mjs`, 'config', 'check', 'hub.json'], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    child.stdout.on('data', (b: Buffer) => (stdout += b.toString()));
    const exited = new Promise<number | null>((r) => child.once('exit', r));
    await new Promise((r) => setTimeout(r, 300));
    assert.equal(child.exitCode, null, 'still waiting: the build is not done');
    assert.equal(stdout, '');
    writeFileSync(`${out}.done`, '0');
    assert.equal(await exited, 0);
    assert.deepEqual(JSON.parse(stdout), ['config', 'check', 'hub.json']);
  });

  it('prints the build output and exits 1 when the build failed', () => {
    writeFileSync(`${out}.log`, "src/x.ts(1,1): error TS1005: ';' expected.");
    writeFileSync(`${out}.done`, '2');
    const r = spawnSync(process.execPath, [`${out}.hub.mjs`, '--version'], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /building the hub for the suite failed \(2\)/);
    assert.match(r.stderr, /error TS1005/);
    assert.equal(r.stdout, '');
  });

  it('builtHub() gives the build folder once it is done, and throws the build output when it failed', async () => {
    const before = process.env.HUB_TEST_DIST;
    process.env.HUB_TEST_DIST = out;
    try {
      writeFileSync(`${out}.done`, '0');
      assert.equal(await builtHub(), out);
      writeFileSync(`${out}.log`, "src/x.ts(1,1): error TS1005: ';' expected.");
      writeFileSync(`${out}.done`, '2');
      await assert.rejects(builtHub(), /building the hub for the suite failed \(2\):\nsrc\/x\.ts\(1,1\): error TS1005/);
    } finally {
      if (before === undefined) delete process.env.HUB_TEST_DIST;
      else process.env.HUB_TEST_DIST = before;
    }
  });
});
