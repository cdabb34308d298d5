import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../../src/config/types.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { issueBackCatalogue, sinceDate, type BackCatalogueSummary } from '../../src/credentials/back-catalogue.ts';
import { createDevSealKeys } from '../../src/credentials/keys.ts';
import { CredentialRegistry } from '../../src/credentials/registry.ts';
import { RecordReader } from '../../src/store/records.ts';
import { baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';
import { HUB_BIN } from '../helpers/process.ts';
import { award } from './helpers.ts';

/** lu.lv with a canonical source and the credentials section; no edc route: nothing is issued live. */
function config(): HubConfig {
  const base = baseConfig();
  return { ...base, sources: [...base.sources, { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' }], credentials: { publicUrl: 'https://diplomas.example.lv', sources: ['lu-push'] } };
}

/** 12 graduates: 2 awarded in 1988, 9 since 1991, one of them with a title in neither Latvian nor English. */
async function seed(t: TestHub): Promise<void> {
  const persons: JsonObject[] = [];
  const awards: JsonObject[] = [];
  for (let i = 0; i < 12; i++) {
    persons.push({ institution: 'lu.lv', sourceId: `P-${i}`, identifiers: [], givenNames: 'Anna', familyName: `Liepa ${i}`, birthDate: '1970-01-01' });
    awards.push({
      ...award,
      id: undefined,
      version: undefined,
      sourceId: `AW-${i}`,
      identifiers: [],
      person: { sourceId: `P-${i}` },
      diplomaNumber: `B ${String(i).padStart(6, '0')}`,
      awardedAt: i < 2 ? '1988-06-20' : `${1991 + i}-06-20`,
      ...(i === 11 ? { title: [{ lang: 'de', text: 'Diplom' }] } : {}),
    });
  }
  for (const [entity, records] of [
    ['person', persons],
    ['award', awards.map((a) => JSON.parse(JSON.stringify(a)) as JsonObject)],
  ] as const) {
    for (const r of await t.hub.pipeline.ingest('lu-push', entity, records, 'application/json')) assert.equal(r.status, 'committed', JSON.stringify(r.error));
  }
}

describe('the back-catalogue: credentials for past awards', function () {
  this.timeout(120_000);
  let dir: string;
  let t: TestHub;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-backcat-'));
    await createDevSealKeys(join(dir, 'credential-keys'), 'lu.lv');
    t = await makeHub({ config: config(), dir });
    await seed(t);
  });
  after(async () => {
    await t?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads a year or a date as the first day', () => {
    assert.equal(sinceDate('1991'), '1991-01-01');
    assert.equal(sinceDate('1991-09-01'), '1991-09-01');
    assert.equal(sinceDate('91'), undefined);
    assert.equal(sinceDate('1991-13-45'), undefined);
  });

  it('resumes after a crash in the middle without issuing anything twice', async () => {
    const reader = new RecordReader(t.hub.store.sql);
    let batches = 0;
    // The process dies after its second batch was stored.
    await assert.rejects(
      issueBackCatalogue(
        {
          reader,
          issue: async (records) => {
            if (++batches > 2) throw new Error('killed');
            return t.hub.credentials.issue(records);
          },
        },
        { institution: 'lu.lv', awardedSince: '1991-01-01', batch: 3 },
      ),
      /killed/,
    );
    const registry = new CredentialRegistry(t.hub.store.sql);
    const beforeCrash = await registry.count('lu.lv');
    assert.ok(beforeCrash >= 5 && beforeCrash <= 6, `two batches of three stored (${beforeCrash}: one may be the award that fails)`);
    const again = await issueBackCatalogue({ reader, issue: (records) => t.hub.credentials.issue(records) }, { institution: 'lu.lv', awardedSince: '1991-01-01', batch: 3 });
    assert.deepEqual(
      { examined: again.examined, issued: again.issued, existing: again.existing, before: again.before, failed: again.failed },
      { examined: 12, issued: 9 - beforeCrash, existing: beforeCrash, before: 2, failed: 1 },
    );
    assert.equal(await registry.count('lu.lv'), 9);
    assert.match(again.failures[0]!.reason, /\/award\/title/);
    const subjects = (await registry.list({ institution: 'lu.lv', limit: 100 })).map((c) => c.subjectId);
    assert.equal(new Set(subjects).size, subjects.length, 'one credential per award');
  });

  it('hub credentials issue: a summary, the failures named, exit 1 while some fail; run again, nothing issued twice', async () => {
    await t.stop();
    const file = join(dir, 'hub.json');
    writeFileSync(file, JSON.stringify(config()));
    const run = () =>
      spawnSync(process.execPath, [HUB_BIN, 'credentials', 'issue', '--config', file, '--institution', 'lu.lv', '--awarded-since', '1991', '--json'], {
        env: { ...process.env, HUB_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: '', AMQP_URL: '' },
        encoding: 'utf8',
      });
    const first = run();
    assert.equal(first.status, 1, first.stderr);
    const s = JSON.parse(first.stdout) as BackCatalogueSummary;
    assert.deepEqual({ issued: s.issued, existing: s.existing, before: s.before, failed: s.failed }, { issued: 0, existing: 9, before: 2, failed: 1 });
    const text = spawnSync(process.execPath, [HUB_BIN, 'credentials', 'issue', '--config', file, '--institution', 'lu.lv'], {
      env: { ...process.env, HUB_DATA_DIR: dir, LOG_LEVEL: 'silent', DATABASE_URL: '', AMQP_URL: '' },
      encoding: 'utf8',
    });
    assert.match(text.stdout, /12 awards examined .* — 2 credentials issued \(\d+\/s\), 9 issued before, 0 awarded before –, 1 failed/);
    assert.match(text.stdout, /1 × cannot build the degree credential: \/award\/title/);
    const bad = spawnSync(process.execPath, [HUB_BIN, 'credentials', 'issue', '--config', file, '--institution', 'lu.lv', '--awarded-since', '91'], {
      env: { ...process.env, HUB_DATA_DIR: dir },
      encoding: 'utf8',
    });
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /--awarded-since is a year \(1991\) or a date/);
    // The notices of what the command issued are in the change log (a running hub's relay publishes them).
    t = await makeHub({ config: config(), dir });
    const notices = await new RecordReader(t.hub.store.sql).count({ entity: 'credential', institution: 'lu.lv' });
    assert.equal(notices, 11);
  });
});
