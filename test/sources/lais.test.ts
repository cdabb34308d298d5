import assert from 'node:assert/strict';
import { LAIS_RESOURCES } from '../../adapters/lais/client.ts';
import { parseCursor } from '../../adapters/lais/source.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { SourceStates } from '../../src/sources/state.ts';
import { backends, eventually } from '../helpers/hub.ts';
import { Backing, countChanges, countMessages, countRecords, laisSourceConfig, passDone, recordOf, runner, sourceConfig, syncNow, type OpenHub } from './helpers.ts';

const expectedCounts = (sim: LaisSimulator) => Object.fromEntries(LAIS_RESOURCES.map((r) => [r.entity, sim.count(r.path)]));

for (const backend of backends()) {
  describe(`LAIS source against its simulator (${backend})`, function () {
    this.timeout(60_000);
    let sim: LaisSimulator;
    let backing: Backing;
    let t: OpenHub;

    before(async () => {
      sim = new LaisSimulator({ students: 60, resultsPerStudent: 3, hangMs: 1500 });
      const url = await sim.start();
      backing = new Backing(backend);
      t = await backing.open(sourceConfig([laisSourceConfig(url, { pageSize: 25, timeoutMs: 1000 })]));
      await passDone(t.hub, 'lu-lais');
    });
    after(async () => {
      await t?.stop();
      await backing?.drop();
      await sim?.close();
    });

    it('a full sync lands every simulated record as a canonical record', async () => {
      assert.deepEqual(await countRecords(t.hub, 'lais'), expectedCounts(sim));
      assert.equal(await countMessages(t.hub, 'lu-lais', 'rejected'), 0);
      // Spot checks: a student, a graduate's study right and diploma, a result.
      const s = sim.record('studenti', 7)!;
      const p = await recordOf(t.hub, 'person', 'lais', String(s.studenta_id));
      assert.equal(p?.data.givenNames, s.vards);
      assert.equal(p?.data.familyName, s.uzvards);
      assert.equal(p?.data.email, s.epasts);
      const graduate = [...Array(sim.students).keys()].find((i) => sim.plan(i).outcome === 'graduated')!;
      const sr = await recordOf(t.hub, 'study-right', 'lais', `ST-${sim.plan(graduate).person.studentNumber}`);
      const periods = sr?.data.statusPeriods as { status: string }[];
      assert.equal(periods[periods.length - 1]?.status, 'graduated');
      assert.equal((sr?.data.exmatriculation as { reason: string }).reason, 'graduated');
      const award = await recordOf(t.hub, 'award', 'lais', `D-${sim.plan(graduate).person.studentNumber}`);
      assert.equal(award?.data.likCode, sim.plan(graduate).programme.lik);
      const v = sim.record('vertejumi', 4)!;
      const a = await recordOf(t.hub, 'attainment', 'lais', String(v.id));
      assert.equal((a?.data.course as { sourceId: string }).sourceId, v.kursa_kods);
      assert.equal((a?.data.grade as { label: string }).label !== undefined, true);
      // The cursor holds every resource's `since`; the lag is measured from the oldest.
      const st = await new SourceStates(t.hub.store.sql).get('lu-lais');
      const cursor = parseCursor(st?.cursor ?? undefined);
      for (const r of LAIS_RESOURCES) assert.ok(cursor.r[r.path]?.since && !cursor.r[r.path]?.token, `cursor of ${r.path}: ${JSON.stringify(cursor.r[r.path])}`);
      assert.ok(st?.cursorAsOf);
      assert.equal(
        st?.recordsRead,
        Object.values(expectedCounts(sim)).reduce((x, y) => x + y, 0),
      );
    });

    it('an incremental sync moves only the changes', async () => {
      const messages = await countMessages(t.hub, 'lu-lais');
      const changes = await countChanges(t.hub, 'lais');
      const served = sim.recordsServed;
      const changed = sim.change('studenti', 3, (r) => ({ ...r, epasts: 'jauna.adrese@students.example.lv' }));
      sim.change('vertejumi', 10);
      const added = sim.addResult(5);
      await syncNow(t.hub, 'lu-lais');
      assert.equal(sim.recordsServed - served, 3, 'LAIS served only the three changed records');
      assert.equal((await countMessages(t.hub, 'lu-lais')) - messages, 3);
      assert.equal((await countChanges(t.hub, 'lais')) - changes, 3);
      const p = await recordOf(t.hub, 'person', 'lais', String(changed.studenta_id));
      assert.equal(p?.version, 2);
      assert.equal(p?.data.email, 'jauna.adrese@students.example.lv');
      assert.ok(await recordOf(t.hub, 'attainment', 'lais', String(added.id)));
      // Nothing changed: a pass reads nothing new.
      const quiet = await countMessages(t.hub, 'lu-lais');
      await syncNow(t.hub, 'lu-lais');
      assert.equal(await countMessages(t.hub, 'lu-lais'), quiet);
    });

    it('a record that changes while the hub pages through a listing arrives in its latest version', async () => {
      sim.changeDuringPaging = true;
      try {
        await t.hub.sources!.trigger('lu-lais', true); // full sync: every listing pages again
        await passDone(t.hub, 'lu-lais', runner(t.hub, 'lu-lais').passes);
      } finally {
        sim.changeDuringPaging = false;
      }
      assert.ok(sim.pagingChanges.length >= 2, `the simulator changed records while paging (${sim.pagingChanges.length})`);
      await syncNow(t.hub, 'lu-lais');
      const entityOf = (path: string) => LAIS_RESOURCES.find((r) => r.path === path)!.entity;
      for (const c of sim.pagingChanges) {
        const rec = sim.record(c.resource, c.index)!;
        const key = String(c.resource === 'studenti' ? rec.studenta_id : c.resource === 'kursi' ? rec.kursa_kods : c.resource === 'studiju-programmas' ? rec.programmas_kods : rec.id);
        const got = await recordOf(t.hub, entityOf(c.resource), 'lais', key);
        assert.equal(Date.parse(String(got?.data.sourceUpdatedAt)), Date.parse(rec.mainits), `${c.resource} ${key} is in its latest version`);
      }
      assert.deepEqual(await countRecords(t.hub, 'lais'), expectedCounts(sim));
    });

    it('retries 5xx, timeouts, cut-off pages and dropped connections; keeps the cut-off page as a rejected message', async () => {
      const states = new SourceStates(t.hub.store.sql);
      const errorsBefore = (await states.get('lu-lais'))!.errorCount;
      const changed = sim.change('studenti', 11, (r) => ({ ...r, epasts: 'pec.kludam@students.example.lv' }));
      for (const f of ['http-503', 'malformed', 'timeout', 'drop', 'http-500'] as const) sim.failNext(1, f);
      await syncNow(t.hub, 'lu-lais');
      const st = (await states.get('lu-lais'))!;
      assert.equal(st.errorCount - errorsBefore, 5);
      assert.equal(st.consecutiveFailures, 0);
      assert.equal(st.lastErrorCode, 'HUB_ERR_TRANSPORT');
      const p = await recordOf(t.hub, 'person', 'lais', String(changed.studenta_id));
      assert.equal(p?.data.email, 'pec.kludam@students.example.lv');
      const rejected = await t.hub.store.listMessages({ sourceId: 'lu-lais', status: 'rejected', limit: 10 });
      assert.equal(rejected.length, 1);
      assert.equal(rejected[0]!.errorCode, 'HUB_ERR_MALFORMED_INPUT');
      assert.ok(rejected[0]!.raw && rejected[0]!.raw.length > 0, 'the raw page is kept');
    });
  });

  describe(`LAIS source: restart in the middle of a sync (${backend})`, function () {
    this.timeout(60_000);
    let sim: LaisSimulator;
    let backing: Backing;

    before(async () => {
      sim = new LaisSimulator({ students: 100, resultsPerStudent: 2, latencyMs: 20 });
      await sim.start();
      backing = new Backing(backend);
    });
    after(async () => {
      await backing?.drop();
      await sim?.close();
    });

    it('resumes from the saved cursor instead of reading everything again', async () => {
      const config = sourceConfig([laisSourceConfig(sim.url, { pageSize: 20 })]);
      const total = Object.values(expectedCounts(sim)).reduce((x, y) => x + y, 0);
      const first = await backing.open(config);
      await eventually(async () => sim.recordsServed >= 200, 20_000, 'a few pages read');
      await first.stop();
      const servedBefore = sim.recordsServed;
      assert.ok(servedBefore < total, 'stopped in the middle of the sync');
      const requestsBefore = sim.requests.length;
      const second = await backing.open(config);
      try {
        await passDone(second.hub, 'lu-lais');
        const resumed = sim.requests.slice(requestsBefore);
        // Resources already read are asked for changes since their cursor; the one read midway continues with its token.
        const begun = new Set(sim.requests.slice(0, requestsBefore).map((r) => r.resource));
        const fromScratch = resumed.filter((r) => begun.has(r.resource) && !r.continued && r.from === null);
        assert.deepEqual(fromScratch, [], 'no listing begun before the restart starts from scratch');
        assert.ok(
          resumed.some((r) => r.continued && r.records > 0),
          'the listing left midway continues',
        );
        assert.ok(sim.recordsServed - servedBefore <= total - servedBefore + 20, `read ${sim.recordsServed - servedBefore} records after the restart, ${total - servedBefore} were left`);
        assert.deepEqual(await countRecords(second.hub, 'lais'), expectedCounts(sim));
      } finally {
        await second.stop();
      }
    });
  });
}
