import assert from 'node:assert/strict';
import { LAIS_RESOURCES } from '../../adapters/lais/client.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { Backing, countChanges, countMessages, countRecords, laisSourceConfig, passDone, recordOf, sourceConfig, syncNow, type OpenHub } from './helpers.ts';

/**
 * The "done when": a full sync of 20,000 simulated LAIS students with their study rights,
 * results and diplomas lands as canonical records, then an incremental sync moves only the changes.
 * Embedded backend only (the pipeline's per-record cost decides the time; see docs/sources.md for
 * the figures). Times are printed, never asserted.
 */
describe('LAIS: full sync of 20,000 students, then an incremental sync', function () {
  this.timeout(1_200_000);
  const STUDENTS = Number(process.env.LAIS_BENCH_STUDENTS ?? 20_000);
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
    const started = Date.now();
    t = await backing.open(sourceConfig([laisSourceConfig(sim.url, { pageSize: 1000, batchSize: 500 })], { routes: false }));
    await passDone(t.hub, 'lu-lais', 0, 1_100_000);
    const seconds = (Date.now() - started) / 1000;
    const expected = Object.fromEntries(LAIS_RESOURCES.map((r) => [r.entity, sim.count(r.path)]));
    const total = Object.values(expected).reduce((a, b) => a + b, 0);
    console.log(`      full sync: ${total} records (${JSON.stringify(expected)}) in ${seconds.toFixed(1)} s = ${(total / seconds).toFixed(0)} records/s`);
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
    for (let i = 0; i < 25; i++) sim.change('studenti', i * 97);
    for (let i = 0; i < 25; i++) sim.addResult(i * 131);
    const started = Date.now();
    await syncNow(t.hub, 'lu-lais', 60_000);
    console.log(`      incremental sync: 50 changes in ${((Date.now() - started) / 1000).toFixed(2)} s`);
    assert.equal(sim.recordsServed - served, 50);
    assert.equal((await countMessages(t.hub, 'lu-lais')) - messages, 50);
    assert.equal((await countChanges(t.hub, 'lais')) - changes, 50);
  });
});
