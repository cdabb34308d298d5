import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { HUB_BIN } from '../helpers/process.ts';
import { ewpConfig } from './helpers/ewp.ts';

describe('hub ewp keys', function () {
  this.timeout(60_000);
  let dir: string;

  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'ewp-cli-'));
    writeFileSync(
      join(dir, 'hub.json'),
      JSON.stringify(ewpConfig({ hei: 'lu.lv', name: 'LU', baseUrl: 'https://ewp.hub.example/ewp/lu.lv', registryUrl: 'https://dev-registry.erasmuswithoutpaper.eu/catalogue-v1.xml' })),
    );
  });

  after(() => rmSync(dir, { recursive: true, force: true }));

  const run = (...args: string[]) =>
    spawnSync(process.execPath, [HUB_BIN, 'ewp', 'keys', '-c', join(dir, 'hub.json'), ...args], { env: { ...process.env, HUB_DATA_DIR: join(dir, 'data'), LOG_LEVEL: 'silent' }, encoding: 'utf8' });

  it('creates a client key per HEI and a server key once, and prints the manifest entries', () => {
    const first = run('--json');
    assert.equal(first.status, 0, first.stderr);
    const report = JSON.parse(first.stdout) as {
      keysDir: string;
      serverKey: { keyId: string; created: boolean };
      heis: { hei: string; created: boolean; manifestUrl: string; clientKey: { keyId: string; spki: string } }[];
    };
    assert.equal(report.heis[0]!.hei, 'lu.lv');
    assert.equal(report.heis[0]!.created, true);
    assert.equal(report.heis[0]!.manifestUrl, 'https://ewp.hub.example/ewp/lu.lv/manifest.xml');
    assert.match(report.heis[0]!.clientKey.keyId, /^[0-9a-f]{64}$/);
    assert.deepEqual(readdirSync(report.keysDir).sort(), ['client-lu.lv.pem', 'server.pem']);
    assert.equal(statSync(join(report.keysDir, 'server.pem')).mode & 0o777, 0o600);
    const second = run();
    assert.equal(second.status, 0, second.stderr);
    assert.match(second.stdout, new RegExp(`client key ${report.heis[0]!.clientKey.keyId} \\(2048 bits\\)`), 'the same key, not a new one');
    assert.match(second.stdout, /<client-credentials-in-use><rsa-public-key>MII/);
    const weak = run('--bits', '1024');
    assert.notEqual(weak.status, 0);
    assert.match(weak.stderr, /at least 2048/);
  });
});
