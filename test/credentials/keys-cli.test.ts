import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUB_BIN } from '../helpers/process.ts';

describe('hub credentials keys', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'credential-keys-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const run = (...args: string[]) => spawnSync(process.execPath, [HUB_BIN, 'credentials', 'keys', ...args], { env: { ...process.env, HUB_DATA_DIR: dir, LOG_LEVEL: 'silent' }, encoding: 'utf8' });

  it("makes an institution's development seal key (owner-only) and chain once, then shows the same certificate", () => {
    const first = run('--institution', 'lu.lv', '--json');
    assert.equal(first.status, 0, first.stderr);
    const a = JSON.parse(first.stdout) as { folder: string; created: boolean; subject: string; sha256: string };
    assert.equal(a.created, true);
    assert.match(a.subject, /lu\.lv seal \(development\)/);
    assert.equal(statSync(join(a.folder, 'seal.key.pem')).mode & 0o777, 0o600);
    assert.ok(statSync(join(a.folder, 'chain.pem')).size > 0);
    const b = JSON.parse(run('--institution', 'lu.lv', '--json').stdout) as { created: boolean; sha256: string };
    assert.equal(b.created, false);
    assert.equal(b.sha256, a.sha256, 'the same certificate, not a new one');
  });

  it('refuses an institution the config does not have, naming the ones it has', () => {
    const r = run('--institution', 'nowhere.lv');
    assert.notEqual(r.status, 0);
    assert.match(r.stderr, /no institution nowhere\.lv in the config \(known: lu\.lv, rtu\.lv/);
  });
});
