import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { routePolicy } from '../../src/privacy/config.ts';
import { DEFAULT_HOLD_WINDOW_MS, parseDuration } from '../../src/privacy/duration.ts';
import { projectRecord } from '../../src/privacy/projection.ts';
import { loadPseudonymSecret, Pseudonyms, SECRET_FILE } from '../../src/privacy/pseudonym.ts';
import { schemas } from '../helpers/hub.ts';
import { privacyConfig } from './helpers.ts';

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

describe('privacy configuration', () => {
  it('accepts recipient, holdWindow, fields and a privacy section; fills defaults where they are used', () => {
    const cfg = validateConfig(privacyConfig({ privacy: { retention: { rawPayloadDays: 90, entities: { person: 30 } }, pseudonymSecretEnv: 'MY_SECRET', jobIntervalMs: 60_000 } }), opts);
    const employer = routePolicy(cfg.routes[1]!);
    assert.equal(employer.recipient, 'cv-verify-lv');
    assert.equal(employer.holdWindowMs, 7 * 24 * 3600 * 1000);
    assert.deepEqual(employer.fields, ['person', 'title', 'awardedAt', 'likCode']);
    const archive = routePolicy(cfg.routes[0]!);
    assert.equal(archive.recipient, 'archive', 'the sink id by default');
    assert.equal(archive.holdWindowMs, DEFAULT_HOLD_WINDOW_MS);
    assert.equal(archive.fields, undefined);
    assert.ok(Object.isFrozen(cfg.privacy?.retention?.entities));
  });

  it('reports every bad privacy option with its path', () => {
    const base = privacyConfig();
    const v = violations({
      ...base,
      routes: [
        { ...base.routes[1]!, holdWindow: 'P1M' },
        { ...base.routes[1]!, id: 'e2', holdWindow: -5, purpose: 'Employers verify degrees', fields: ['diplomaNumber', 'shoeSize', 'bad field'] },
        { id: 'n', sink: 'archive', match: { entities: ['person', 'course'] }, legalBasis: 'none', purpose: 'x', recipient: '' },
      ],
      privacy: { retention: { rawPayloadDays: -1, entities: { spaceship: 3 }, emrexDocumentsDays: 1.5 }, pseudonymSecretEnv: 'lower', extra: true },
    });
    for (const p of [
      '/routes/0/holdWindow',
      '/routes/1/holdWindow',
      '/routes/1/fields/2',
      '/routes/2/recipient',
      '/privacy/retention/rawPayloadDays',
      '/privacy/retention/emrexDocumentsDays',
      '/privacy/pseudonymSecretEnv',
      '/privacy/extra',
    ]) {
      assert.ok(
        v.some((x) => x.startsWith(`${p}:`)),
        `${p} missing in\n${v.join('\n')}`,
      );
    }
    // Past the schema, the checks against the rest of the configuration (entities, purposes, fields).
    const v2 = violations({
      ...base,
      routes: [
        { ...base.routes[1]!, holdWindow: 'PT36H' },
        { ...base.routes[1]!, id: 'e2', purpose: 'Employers verify degrees', fields: ['diplomaNumber', 'shoeSize'] },
        { id: 'n', sink: 'archive', match: { entities: ['person', 'course'] }, legalBasis: 'none', purpose: 'x' },
      ],
      privacy: { retention: { entities: { spaceship: 3 } } },
    });
    for (const p of ['/routes/1/purpose', '/routes/1/fields/1', '/routes/2/legalBasis', '/privacy/retention/entities/spaceship']) {
      assert.ok(
        v2.some((x) => x.startsWith(`${p}:`)),
        `${p} missing in\n${v2.join('\n')}`,
      );
    }
    assert.ok(!v2.some((x) => x.startsWith('/routes/1/fields/0')), 'awards have a diplomaNumber');
    assert.ok(!v2.some((x) => x.startsWith('/routes/0/')), v2.join('\n'));
  });

  it('parses hold windows: ISO 8601 weeks to seconds, or milliseconds; not years or months', () => {
    assert.equal(parseDuration('P14D'), 14 * 86_400_000);
    assert.equal(parseDuration('P2W'), 14 * 86_400_000);
    assert.equal(parseDuration('PT12H'), 12 * 3_600_000);
    assert.equal(parseDuration('P1DT2H30M'), 86_400_000 + 2.5 * 3_600_000);
    assert.equal(parseDuration('PT1.5S'), 1500);
    assert.equal(parseDuration(60_000), 60_000);
    for (const bad of ['P1M', 'P1Y', 'P', 'PT', '14d', -1, 1.5, null]) assert.equal(parseDuration(bad), undefined, String(bad));
  });

  it('projects a record to the route fields and the identity fields', () => {
    const r = { id: 'x', sourceId: 's', institution: 'rtu.lv', version: 2, title: 't', diplomaNumber: 'D 1', person: { sourceId: 'p' } };
    assert.deepEqual(projectRecord(r, ['title', 'person']), { id: 'x', sourceId: 's', institution: 'rtu.lv', version: 2, title: 't', person: { sourceId: 'p' } });
    assert.equal(projectRecord(r, undefined), r);
  });

  it('takes the pseudonymisation secret from the environment, else generates one into the data dir (mode 0600)', () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-secret-'));
    const logger = pino({ level: 'silent' });
    const base = { variable: 'HUB_PSEUDONYM_SECRET', dataDir: dir, logger, shared: false };
    const generated = loadPseudonymSecret({ ...base, value: undefined });
    assert.equal(statSync(join(dir, SECRET_FILE)).mode & 0o777, 0o600);
    assert.equal(readFileSync(join(dir, SECRET_FILE), 'utf8').trim(), generated.toString());
    assert.deepEqual(loadPseudonymSecret({ ...base, value: '' }), generated, 'the same one next time');
    const fromEnv = loadPseudonymSecret({ ...base, value: 'x'.repeat(40) });
    assert.equal(fromEnv.toString(), 'x'.repeat(40));
    assert.throws(
      () => loadPseudonymSecret({ ...base, value: 'short' }),
      (e: ConfigError) => e.violations[0]?.path === '/env/HUB_PSEUDONYM_SECRET',
    );
    const a = new Pseudonyms(generated);
    const b = new Pseudonyms(fromEnv);
    assert.equal(a.person('rtu.lv', 'S1'), a.person('rtu.lv', 'S1'));
    assert.notEqual(a.person('rtu.lv', 'S1'), b.person('rtu.lv', 'S1'), 'keyed: another secret, another pseudonym');
    assert.notEqual(a.person('rtu.lv', 'S1'), a.person('lu.lv', 'S1'));
  });
});
