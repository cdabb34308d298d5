import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { adapters } from '../adapters/index.ts';
import { readEnv } from '../src/config/env.ts';
import { validateConfig } from '../src/config/load.ts';
import { ConfigError } from '../src/core/errors.ts';
import { MappingEngine } from '../src/mapping/engine.ts';
import { baseConfig, schemas } from './helpers/hub.ts';
import { HUB_BIN } from './helpers/process.ts';

const opts = { schemas, adapters, mappingsDir: new MappingEngine().dir };

function violations(raw: unknown): string[] {
  try {
    validateConfig(raw, opts);
  } catch (e) {
    assert.ok(e instanceof ConfigError);
    return e.violations.map((v) => `${v.path}: ${v.message}`);
  }
  assert.fail('the config was accepted');
}

describe('configuration', () => {
  it('accepts the schema example and fills defaults, then freezes it', () => {
    const cfg = validateConfig(baseConfig(), opts);
    assert.equal(cfg.routes[0]!.retry!.maxAttempts, 3);
    assert.equal(cfg.routes[0]!.retry!.maxDelayMs, 600_000);
    assert.equal(cfg.routes[0]!.concurrency, 4);
    assert.equal(cfg.sources[0]!.system, 'rtu-push');
    assert.ok(Object.isFrozen(cfg.routes[0]!.retry));
    assert.throws(() => {
      (cfg.routes as unknown as unknown[]).push({});
    }, TypeError);
  });

  it('lists every schema error with its path', () => {
    const v = violations({ institutions: [{ id: 'LU', name: '' }], sources: [], sinks: [], routes: [{ id: 'r' }], extra: 1 });
    for (const p of ['/institutions/0/id', '/institutions/0/name', '/routes/0/sink', '/routes/0/match', '/routes/0/legalBasis', '/extra']) {
      assert.ok(
        v.some((x) => x.startsWith(`${p}:`)),
        `${p} missing in\n${v.join('\n')}`,
      );
    }
  });

  it('lists every broken reference with its path', () => {
    const cfg = baseConfig();
    const v = violations({
      ...cfg,
      sources: [...cfg.sources, { id: 'x', institution: 'vu.lt', mappingSet: 'nothing' }, { id: 'x', institution: 'lu.lv', mappingSet: 'canonical' }],
      sinks: [...cfg.sinks, { id: 'h', type: 'webhook', options: { url: 'ftp://x' } }, { id: 'q', type: 'carrier-pigeon' }],
      routes: [...cfg.routes, { id: 'r2', sink: 'nowhere', match: { entities: ['spaceship'], institutions: ['vu.lt'] }, legalBasis: 'consent', purpose: 'p' }],
    });
    for (const p of [
      "/sources: id 'x' is used more than once",
      '/sources/2/institution',
      '/sources/2/mappingSet',
      '/sinks/1/options/secretEnv',
      '/sinks/1/options/url',
      '/sinks/2/type',
      '/routes/1/sink',
      '/routes/1/match/entities/0',
      '/routes/1/match/institutions/0',
    ]) {
      assert.ok(
        v.some((x) => x.startsWith(p)),
        `${p} missing in\n${v.join('\n')}`,
      );
    }
  });

  it('reads the environment once and rejects bad values with their names', () => {
    const env = readEnv({ PORT: '9000', HUB_DATA_DIR: '/tmp/x' });
    assert.equal(env.port, 9000);
    assert.ok(Object.isFrozen(env));
    assert.throws(
      () => readEnv({ PORT: 'eighty', DATABASE_URL: 'mysql://x', HUB_ADMIN_TOKEN: 'short' }),
      (e: ConfigError) => {
        const paths = e.violations.map((v) => v.path);
        return ['/env/PORT', '/env/DATABASE_URL', '/env/HUB_ADMIN_TOKEN'].every((p) => paths.includes(p));
      },
    );
  });

  it('`hub config check` prints each error with its path and exits 1', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cfg-'));
    const file = join(dir, 'bad.json');
    writeFileSync(file, JSON.stringify({ ...baseConfig(), routes: [{ id: 'r', sink: 'nowhere', match: {}, legalBasis: 'public-task', purpose: 'p' }] }));
    const r = spawnSync(process.execPath, [HUB_BIN, 'config', 'check', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\/routes\/0\/sink: unknown sink 'nowhere'/);
    writeFileSync(file, JSON.stringify(baseConfig()));
    const ok = spawnSync(process.execPath, [HUB_BIN, 'config', 'check', file], { encoding: 'utf8' });
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /config OK/);
  });

  it("`hub config check` runs every feature's own checks: consumers, webhooks, EWP", () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-cfg-'));
    const file = join(dir, 'features.json');
    writeFileSync(
      file,
      JSON.stringify({
        ...baseConfig(),
        consumers: [{ id: 'stats', entities: ['no-such-entity'], legalBasis: 'public-task', purpose: 'statistics' }],
        webhooks: { allowTargets: ['10.1.2.0/99'] },
        ewp: { adminEmail: 'ewp@hub.example', heis: [{ id: 'lu.lv', baseUrl: 'http://ewp.lu.lv/somewhere', source: 'rtu-push' }] },
      }),
    );
    const r = spawnSync(process.execPath, [HUB_BIN, 'config', 'check', file], { encoding: 'utf8' });
    assert.equal(r.status, 1);
    assert.match(r.stderr, /\/consumers\/0\/entities\/0/);
    assert.match(r.stderr, /\/webhooks\/allowTargets\/0: '10\.1\.2\.0\/99' is not a CIDR range/);
    assert.match(r.stderr, /\/ewp\/heis\/0\/baseUrl: must be https/);
  });
});
