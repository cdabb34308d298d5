import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { memoryUsage } from 'node:process';
import type { HubConfig } from '../src/config/types.ts';
import { issueBackCatalogue } from '../src/credentials/back-catalogue.ts';
import { createDevSealKeys } from '../src/credentials/keys.ts';
import { RecordReader } from '../src/store/records.ts';
import type { SqlDb } from '../src/store/sql.ts';
import { benchHub } from './lib/hub.ts';
import { clock, round, sinceMs } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

const COURSES = 60;
const PROGRAMMES = 12;
const PARTS = 2;

/**
 * The past decades' graduates of one institution, written straight into the records table (the bench
 * measures issuing, not ingest: through the pipeline the seed alone would take minutes). Each award has
 * its person, programme and `PARTS` attainments of its study right.
 */
async function seed(sql: SqlDb, awards: number): Promise<void> {
  let seq = 0;
  const now = new Date().toISOString();
  const put = (tx: SqlDb, entity: string, sourceId: string, data: Record<string, unknown>) =>
    tx.run('INSERT INTO records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at, updated_at) VALUES (?, ?, ?, ?, ?, 1, ?, 0, ?, NULL, ?)', [
      randomUUID(),
      entity,
      'lu.lv',
      'lais',
      sourceId,
      ++seq,
      JSON.stringify({ institution: 'lu.lv', sourceId, identifiers: [], ...data }),
      now,
    ]);
  await sql.transaction(async (tx) => {
    for (let c = 0; c < COURSES; c++)
      await put(tx, 'course', `C-${c}`, {
        code: `C-${c}`,
        name: [
          { lang: 'lv', text: `Kurss ${c}` },
          { lang: 'en', text: `Course ${c}` },
        ],
        credits: { value: 6, scheme: 'ECTS' },
      });
    for (let p = 0; p < PROGRAMMES; p++) {
      await put(tx, 'programme', `PRG-${p}`, {
        name: [
          { lang: 'lv', text: `Programma ${p}` },
          { lang: 'en', text: `Programme ${p}` },
        ],
        likCode: '43481001',
        iscedF: '0613',
        eqfLevel: 6,
        credits: { value: 180, scheme: 'ECTS' },
      });
    }
  });
  for (let start = 0; start < awards; start += 5000) {
    await sql.transaction(async (tx) => {
      for (let i = start; i < Math.min(awards, start + 5000); i++) {
        const year = 1991 + (i % 34);
        await put(tx, 'person', `P-${i}`, { givenNames: 'Anna', familyName: `Liepa ${i}`, birthDate: `${year - 23}-03-0${1 + (i % 9)}` });
        for (let k = 0; k < PARTS; k++) {
          await put(tx, 'attainment', `A-${i}-${k}`, {
            person: { sourceId: `P-${i}` },
            studyRight: { sourceId: `SR-${i}` },
            course: { sourceId: `C-${(i + k) % COURSES}` },
            grade: { value: String(6 + ((i + k) % 5)), scheme: 'LV_10' },
            credits: { value: 6, scheme: 'ECTS' },
            date: `${year}-01-2${k}`,
            type: 'exam',
          });
        }
        await put(tx, 'award', `AW-${i}`, {
          person: { sourceId: `P-${i}` },
          studyRight: { sourceId: `SR-${i}` },
          programme: { sourceId: `PRG-${i % PROGRAMMES}` },
          title: [
            { lang: 'lv', text: 'Dabaszinātņu bakalaura grāds datorzinātnēs' },
            { lang: 'en', text: 'Bachelor of Natural Sciences in Computer Science' },
          ],
          diplomaNumber: `B ${String(i).padStart(6, '0')}`,
          likCode: '43481001',
          eqfLevel: 6,
          awardedAt: `${year}-06-20`,
        });
      }
    });
  }
}

export const credentialsScenario: Scenario = {
  name: 'credentials',
  title: 'credentials: the back-catalogue — issue and seal the credentials of past awards (embedded)',
  async run(o: BenchOptions) {
    const report = new Report('credentials', this.title, o.mode);
    const awards = bySize(o.mode, { full: 100_000, quick: 10_000, dry: 200 });
    const config: HubConfig = {
      institutions: [{ id: 'lu.lv', name: 'Latvijas Universitāte' }],
      sources: [{ id: 'lu-credentials', institution: 'lu.lv', system: 'hub-credentials', mappingSet: 'canonical' }],
      sinks: [],
      routes: [],
      credentials: { publicUrl: 'https://diplomas.example.lv', sources: ['lu-credentials'] },
    };
    const dir = mkdtempSync(join(tmpdir(), 'hub-bench-credentials-'));
    try {
      await createDevSealKeys(join(dir, 'credential-keys'), 'lu.lv');
      const b = await benchHub({ backend: 'embedded', config, dir });
      try {
        const t0 = clock();
        await seed(b.hub.store.sql, awards);
        report.note(`${awards} awards of lu.lv with their persons, programmes and ${PARTS} results each written straight into the records table in ${round(sinceMs(t0) / 1000, 1)} s (not measured)`);
        const reader = new RecordReader(b.hub.store.sql);
        const issue = () => issueBackCatalogue({ reader, issue: (records) => b.hub.credentials.issue(records) }, { institution: 'lu.lv', awardedSince: '1991-01-01', batch: 500 });
        const t1 = clock();
        const first = await issue();
        const ms = sinceMs(t1);
        if (first.issued !== awards) throw new Error(`issued ${first.issued} of ${awards}: ${JSON.stringify(first.failures.slice(0, 3))}`);
        report.add({
          name: 'issue and seal the back-catalogue',
          value: round(ms / 1000, 1),
          unit: 's',
          detail: { credentials: awards },
          target: { text: awards === 100_000 ? '100,000 credentials in under 5 minutes' : `${awards} credentials (100,000 in under 5 minutes at full size)`, met: ms < 300_000 * (awards / 100_000) },
        });
        report.add({ name: 'issuing rate', value: Math.round(awards / (ms / 1000)), unit: 'credentials/s' });
        const signing = b.hub.credentials.signing;
        report.add({
          name: 'signing share of the time',
          value: round((signing.ms / ms) * 100, 1),
          unit: '%',
          detail: { signatures: signing.count, signingMs: Math.round(signing.ms), perSignatureUs: round((signing.ms / Math.max(1, signing.count)) * 1000, 1) },
        });
        const t2 = clock();
        await b.hub.credentials.flushNotices();
        const noticesMs = sinceMs(t2);
        report.add({
          name: 'notices into the change log (pipeline)',
          value: round(noticesMs / 1000, 1),
          unit: 's',
          detail: { notices: await reader.count({ entity: 'credential', institution: 'lu.lv' }) },
        });
        const t3 = clock();
        const again = await issue();
        if (again.issued !== 0 || again.existing !== awards) throw new Error(`the second run issued ${again.issued}`);
        report.add({ name: 'run again (resume: everything issued already)', value: round(sinceMs(t3) / 1000, 1), unit: 's' });
        report.note(`RSS after the run: ${Math.round(memoryUsage().rss / 1e6)} MB; ES256 seals (P-256) with a development key`);
      } finally {
        await b.stop();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return report;
  },
};
