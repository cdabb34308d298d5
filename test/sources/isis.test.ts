import assert from 'node:assert/strict';
import { ISIS_LISTS, type IsisList } from '../../adapters/isis/client.ts';
import { parseIsisCursor } from '../../adapters/isis/source.ts';
import { IsisSimulator } from '../../adapters/isis/simulator.ts';
import type { SourceConfig } from '../../src/config/types.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { SourceStates } from '../../src/sources/state.ts';
import { backends, eventually } from '../helpers/hub.ts';
import { Backing, countChanges, countMessages, countRecords, passDone, recordOf, runner, sourceConfig, syncNow, type OpenHub } from './helpers.ts';

export function isisSourceConfig(endpoint: string, options: JsonObject = {}): SourceConfig {
  return {
    id: 'rsu-isis',
    institution: 'rsu.lv',
    system: 'isis',
    mappingSet: 'isis',
    adapter: { type: 'isis', options: { endpoint, pollIntervalMs: 3_600_000, retry: { initialDelayMs: 20, maxDelayMs: 200 }, ...options } },
  };
}

const expected = (sim: IsisSimulator) => Object.fromEntries(ISIS_LISTS.map((l) => [l.entity, sim.count(l.name)]));
const keyOf = (list: IsisList, r: JsonObject) => String(list === 'students' ? r.StudentNo : list === 'courses' || list === 'programmes' ? r.Code : r.Id);

for (const backend of backends()) {
  describe(`ISIS SOAP source against its simulator (${backend})`, function () {
    this.timeout(60_000);
    let sim: IsisSimulator;
    let backing: Backing;
    let t: OpenHub;

    before(async () => {
      sim = new IsisSimulator({ students: 50, resultsPerStudent: 3, hangMs: 1500 });
      await sim.start();
      backing = new Backing(backend);
      t = await backing.open(sourceConfig([isisSourceConfig(sim.url, { pageSize: 20, timeoutMs: 1000 })]));
      await passDone(t.hub, 'rsu-isis');
    });
    after(async () => {
      await t?.stop();
      await backing?.drop();
      await sim?.close();
    });

    it('a full sync lands every ISIS record as a canonical record', async () => {
      assert.deepEqual(await countRecords(t.hub, 'isis'), expected(sim));
      assert.equal(await countMessages(t.hub, 'rsu-isis', 'rejected'), 0);
      const s = sim.record('students', 9)!;
      const p = await recordOf(t.hub, 'person', 'isis', String(s.StudentNo));
      assert.equal(p?.data.familyName, s.LastName);
      assert.equal(p?.data.birthDate, String(s.BirthDate).split('.').reverse().join('-'), 'dd.mm.yyyy became ISO');
      const pc = (p?.data.identifiers as { scheme: string; value: string }[]).find((i) => i.scheme === 'lv-personas-kods');
      if (s.PersonalCode) assert.match(pc!.value, /^\d{6}-\d{5}$/);
      const sr = sim.record('studyRights', 9)!;
      const right = await recordOf(t.hub, 'study-right', 'isis', String(sr.Id));
      assert.equal((right?.data.person as { sourceId: string }).sourceId, s.StudentNo);
      const r = sim.record('results', 20)!;
      const a = await recordOf(t.hub, 'attainment', 'isis', String(r.Id));
      assert.equal((a?.data.course as { sourceId: string }).sourceId, r.CourseCode);
      const st = await new SourceStates(t.hub.store.sql).get('rsu-isis');
      const cursor = parseIsisCursor(st?.cursor ?? undefined);
      assert.equal(cursor.after.results, Math.max(...sim.tables.results.list({ limit: 100_000 }).items.map((x) => x.key)));
    });

    it('an incremental sync moves only the changes', async () => {
      const messages = await countMessages(t.hub, 'rsu-isis');
      const changes = await countChanges(t.hub, 'isis');
      const served = sim.recordsServed;
      const changed = sim.change('students', 4, (r) => ({ ...r, Email: 'jauns@stud.example.lv' }));
      sim.change('studyRights', 6);
      sim.addResult(2);
      await syncNow(t.hub, 'rsu-isis');
      assert.equal(sim.recordsServed - served, 3);
      assert.equal((await countMessages(t.hub, 'rsu-isis')) - messages, 3);
      assert.equal((await countChanges(t.hub, 'isis')) - changes, 3);
      const p = await recordOf(t.hub, 'person', 'isis', String(changed.StudentNo));
      assert.equal(p?.version, 2);
      assert.equal(p?.data.email, 'jauns@stud.example.lv');
    });

    it('a record that changes while the hub pages through a list arrives in its latest version', async () => {
      sim.changeDuringPaging = true;
      try {
        await t.hub.sources!.trigger('rsu-isis', true);
        await passDone(t.hub, 'rsu-isis', runner(t.hub, 'rsu-isis').passes);
      } finally {
        sim.changeDuringPaging = false;
      }
      assert.ok(sim.pagingChanges.length >= 2, `changed while paging: ${sim.pagingChanges.length}`);
      const entity = (l: IsisList) => ISIS_LISTS.find((x) => x.name === l)!.entity;
      for (const c of sim.pagingChanges) {
        const rec = sim.record(c.list, c.index)!;
        const got = await recordOf(t.hub, entity(c.list), 'isis', keyOf(c.list, rec));
        assert.equal(Date.parse(String(got?.data.sourceUpdatedAt)), Date.parse(rec.Modified), `${c.list} ${keyOf(c.list, rec)} in its latest version`);
      }
    });

    it('retries SOAP faults, HTTP 503, timeouts, cut-off answers and dropped connections', async () => {
      const states = new SourceStates(t.hub.store.sql);
      const before = (await states.get('rsu-isis'))!.errorCount;
      const changed = sim.change('students', 12, (r) => ({ ...r, LastName: 'Pēc-Kļūdām' }));
      for (const f of ['soap-fault', 'http-503', 'malformed', 'timeout', 'drop'] as const) sim.failNext(1, f);
      await syncNow(t.hub, 'rsu-isis');
      const st = (await states.get('rsu-isis'))!;
      assert.equal(st.errorCount - before, 5);
      assert.equal(st.consecutiveFailures, 0);
      assert.equal((await recordOf(t.hub, 'person', 'isis', String(changed.StudentNo)))?.data.familyName, 'Pēc-Kļūdām');
      const rejected = await t.hub.store.listMessages({ sourceId: 'rsu-isis', status: 'rejected', limit: 10 });
      assert.equal(rejected.length, 1, 'the cut-off answer is kept');
      assert.equal(rejected[0]!.errorCode, 'HUB_ERR_MALFORMED_INPUT');
      assert.equal(rejected[0]!.contentType, 'text/xml');
    });

    it('a record that fails its mapping is kept as rejected with its reason; reading goes on', async () => {
      const bad = sim.change('results', 5, (r) => ({ ...r, Grade: '12' }));
      const good = sim.change('results', 6, (r) => ({ ...r, Grade: '10' }));
      await syncNow(t.hub, 'rsu-isis');
      const rejected = await t.hub.store.listMessages({ sourceId: 'rsu-isis', status: 'rejected', entity: 'attainment', limit: 10 });
      assert.ok(rejected.some((m) => m.errorCode === 'HUB_ERR_MAPPING' && /Grade: '12'/.test(m.errorDetail ?? '') && m.raw?.includes(String(bad.Id))));
      assert.equal(((await recordOf(t.hub, 'attainment', 'isis', String(good.Id)))?.data.grade as { label: string }).label, 'izcili');
      assert.equal(runner(t.hub, 'rsu-isis').lastPass?.result, 'ok', 'a rejected record is no failed pass');
    });

    it('restarts in the middle of a sync from the last change number read', async () => {
      await t.stop();
      const before = sim.recordsServed;
      sim.setLatency(30);
      for (let i = 0; i < 40; i++) sim.change('results', i);
      t = await backing.open(sourceConfig([isisSourceConfig(sim.url, { pageSize: 5 })]));
      await eventually(async () => sim.recordsServed - before >= 15, 10_000, 'some pages of the changes');
      await t.stop();
      sim.setLatency(0);
      const mid = sim.recordsServed;
      t = await backing.open(sourceConfig([isisSourceConfig(sim.url, { pageSize: 5 })]));
      await passDone(t.hub, 'rsu-isis');
      assert.ok(sim.recordsServed - mid <= 40 - (mid - before) + 5, `resumed: ${sim.recordsServed - mid} read after the restart, ${mid - before} before`);
      assert.deepEqual(await countRecords(t.hub, 'isis'), expected(sim));
    });
  });
}
