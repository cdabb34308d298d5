import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUB_BIN } from '../helpers/process.ts';

describe('hub emrex keys', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'emrex-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [HUB_BIN, 'emrex', 'keys', ...args], { env: { ...process.env, HUB_DATA_DIR: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

  it('makes a development seal key (owner-only) and certificate once, then shows the same certificate', () => {
    const first = run('--json');
    assert.equal(first.status, 0, first.stderr);
    const a = JSON.parse(first.stdout) as { keysDir: string; created: boolean; subject: string; sha256: string };
    assert.equal(a.created, true);
    assert.match(a.subject, /EMREX contact point \(development\)/);
    assert.equal(statSync(join(a.keysDir, 'emrex-seal-key.pem')).mode & 0o777, 0o600);
    const second = run('--json');
    const b = JSON.parse(second.stdout) as { created: boolean; sha256: string };
    assert.equal(b.created, false);
    assert.equal(b.sha256, a.sha256, 'the same certificate, not a new one');
    const piped = spawnSync('sh', ['-c', `"${process.execPath}" "${HUB_BIN}" emrex keys | head -c 10`], { env: { ...process.env, HUB_DATA_DIR: dir }, encoding: 'utf8' });
    assert.equal(piped.status, 0);
    assert.doesNotMatch(piped.stderr, /EPIPE/, 'a reader that stops early ends the command quietly');
  });
});
