import assert from 'node:assert/strict';
import { LAIS_RESOURCES } from '../../adapters/lais/client.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { Backing, countChanges, countMessages, countRecords, laisSourceConfig, passDone, recordOf, sourceConfig, syncNow, type OpenHub } from './helpers.ts';

/**
 * A full sync of simulated LAIS students with their study rights, results and diplomas lands as
 * canonical records, then an incremental sync moves only the changes. The size is what proves it:
 * every resource spans several pages (keyset paging with continuation tokens), and the adapter's
 * batches do not line up with the pages. How fast it goes at 20,000 students is a benchmark's
 * question: `npm run bench -- lais-sync` (bench/lais-sync.ts).
 */
const STUDENTS = 1_000;
const PAGE = 150;
const BATCH = 100;

describe(`LAIS: full sync of ${STUDENTS} students over several pages, then an incremental sync`, function () {
  this.timeout(300_000);
  let sim: LaisSimulator;
  let backing: Backing;
  let t: OpenHub;

  before(async () => {
    sim = new LaisSimulator({ students: STUDENTS, resultsPerStudent: 2 });
    await sim.start();
    backing = new Backing('embedded');
  });
  after(async () => {
    await t?.stop();
    await backing?.drop();
    await sim?.close();
  });

  it(`lands every record of ${STUDENTS} students as canonical records`, async () => {
    t = await backing.open(sourceConfig([laisSourceConfig(sim.url, { pageSize: PAGE, batchSize: BATCH })], { routes: false }));
    await passDone(t.hub, 'lu-lais', 0, 240_000);
    const expected = Object.fromEntries(LAIS_RESOURCES.map((r) => [r.entity, sim.count(r.path)]));
    // Several pages of the big resources, each page after the first asked for with its continuation token.
    for (const r of ['studenti', 'vertejumi'] as const) {
      const asked = sim.requests.filter((q) => q.resource === r && q.status === 200);
      assert.ok(asked.length >= Math.ceil(sim.count(r) / PAGE), `${r}: ${asked.length} pages for ${sim.count(r)} records`);
      assert.equal(asked.filter((q) => q.continued).length, asked.length - 1, `${r}: continued pages`);
    }
    assert.deepEqual(await countRecords(t.hub, 'lais'), expected);
    assert.equal(await countMessages(t.hub, 'lu-lais', 'rejected'), 0);
    for (const i of [0, Math.floor(STUDENTS / 2), STUDENTS - 1]) {
      const s = sim.record('studenti', i)!;
      const p = await recordOf(t.hub, 'person', 'lais', String(s.studenta_id));
      assert.equal(p?.data.familyName, s.uzvards);
      const v = sim.record('vertejumi', i * 2 + 1)!;
      const a = await recordOf(t.hub, 'attainment', 'lais', String(v.id));
      assert.equal((a?.data.person as { sourceId: string }).sourceId, s.studenta_id);
      assert.equal(a?.data.date, String(v.datums).split('.').reverse().join('-'));
    }
  });

  it('an incremental sync afterwards moves only the changes', async () => {
    const messages = await countMessages(t.hub, 'lu-lais');
    const changes = await countChanges(t.hub, 'lais');
    const served = sim.recordsServed;
    for (let i = 0; i < 25; i++) sim.change('studenti', (i * 97) % STUDENTS);
    for (let i = 0; i < 25; i++) sim.addResult((i * 131) % STUDENTS);
    await syncNow(t.hub, 'lu-lais', 60_000);
    assert.equal(sim.recordsServed - served, 50);
    assert.equal((await countMessages(t.hub, 'lu-lais')) - messages, 50);
    assert.equal((await countChanges(t.hub, 'lais')) - changes, 50);
  });
});
