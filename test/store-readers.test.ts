import assert from 'node:assert/strict';
import { RecordReader } from '../src/store/records.ts';
import { backends, baseConfig, canonicalPerson, makeHub, type TestHub } from './helpers/hub.ts';

for (const backend of backends()) {
  describe(`the store's record reader (${backend})`, function () {
    this.timeout(30_000);
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend, config: baseConfig() });
      const persons = [5, 1, 7, 3, 2, 6, 4].map((n) => canonicalPerson(n));
      for (const r of await t.hub.pipeline.ingest('rtu-push', 'person', persons, 'application/json')) assert.equal(r.status, 'committed');
      await t.hub.pipeline.ingest('rtu-push', 'person', [canonicalPerson(8)], 'application/json');
    });
    after(async () => t?.stop());

    it('walks an entity of an institution page by page in the order of the natural key, each record once', async () => {
      const seen: string[] = [];
      for await (const r of new RecordReader(t.hub.store.sql).walkByKey({ entity: 'person', institution: 'rtu.lv' }, 3)) seen.push(r.sourceId);
      assert.deepEqual(seen, ['RTU000001', 'RTU000002', 'RTU000003', 'RTU000004', 'RTU000005', 'RTU000006', 'RTU000007', 'RTU000008']);
      const none: string[] = [];
      for await (const r of new RecordReader(t.hub.store.sql).walkByKey({ entity: 'person', institution: 'lu.lv' }, 3)) none.push(r.sourceId);
      assert.deepEqual(none, []);
    });

    it('finds records by any of several source ids', async () => {
      const found = await new RecordReader(t.hub.store.sql).find({ entity: 'person', institution: 'rtu.lv', sourceIds: ['RTU000002', 'RTU000006', 'RTU999999'] });
      assert.deepEqual(found.map((r) => r.sourceId).sort(), ['RTU000002', 'RTU000006']);
      assert.deepEqual(await new RecordReader(t.hub.store.sql).find({ entity: 'person', sourceIds: [] }), []);
    });
  });
}
