import assert from 'node:assert/strict';
import request from 'supertest';
import { routeQueue } from '../../src/broker/types.ts';
import { auth, backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { attainment, award, code, consent, deliveryStatus, findEverywhere, ingest, person, privacyConfig, sinkLines, type Ingested } from './helpers.ts';

for (const backend of backends()) {
  describe(`erasure (${backend})`, () => {
    let t: TestHub;
    const pc = code(1995, 4, 23, 505);
    const otherCode = code(1996, 6, 30, 606);
    const names = { givenNames: 'Austra', familyName: 'Vilciņa-Kalēja', email: 'austra.vk@edu.rtu.lv' };
    const x: Record<string, Ingested> = {};
    let y: Ingested;
    let queued: Ingested;

    before(async () => {
      t = await makeHub({ backend, config: privacyConfig() });
      x.rtu = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU300001', pc, names));
      x.lu = await ingest(t, 'lu-push', 'person', person('lu.lv', 'LU-3001', pc, { ...names, email: 'av@edu.lu.lv' }));
      x.consent = await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-31', 'RTU300001', 'given'));
      x.award = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-31', 'RTU300001'));
      x.attainment = await ingest(t, 'lu-push', 'attainment', attainment('lu.lv', 'ATT-31', 'LU-3001'));
      // Input that never became a record keeps its raw payload (with the personal code) as a rejected message.
      x.rejected = await ingest(t, 'rtu-push', 'person', { ...person('rtu.lv', 'RTU300001', pc, names), familyName: undefined, birthDate: 'yesterday' }, 'rejected');
      y = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU300002', otherCode, { givenNames: 'Ints', familyName: 'Bērziņš' }));
      // Another module's table that happens to hold the code in a text (a source's report on a file it read).
      await t.hub.store.sql.run('INSERT INTO source_processed (source_id, item_key, detail, processed_at) VALUES (?, ?, ?, ?)', [
        'rtu-push',
        'students.csv',
        `row 3: ${pc} (${pc.replace('-', '')}) has no family name`,
        new Date().toISOString(),
      ]);
      for (const m of [x.rtu, x.lu, x.consent, x.attainment, y]) await deliveryStatus(t, m!.messageId, 'archive', ['delivered']);
      await deliveryStatus(t, x.award!.messageId, 'employer', ['delivered']);
    });
    after(async () => {
      await t?.stop();
    });

    it('finds the personal code in the store before (the search works)', async () => {
      const hits = await findEverywhere(t.hub.store.sql, pc);
      for (const where of ['records.data', 'changes.event', 'messages.raw', 'source_processed.detail']) assert.ok(hits.includes(where), `${where} not in ${hits.join(', ')}`);
    });

    it('erases: afterwards no personal code, name or e-mail of the person is anywhere in the store; a queued delivery does not go out', async () => {
      // A change of the person's award waits in the queues when the erasure comes.
      await t.hub.router.stop();
      queued = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-31', 'RTU300001', { awardedAt: '2024-07-01' }));
      await eventually(async () => (await t.hub.broker.stats(routeQueue('employer'))).ready >= 1 && (await t.hub.broker.stats(routeQueue('archive'))).ready >= 1, 10_000, 'queued');

      const res = await request(t.app).post(`/api/v1/persons/${x.rtu!.recordId}/erasure`).set(auth).expect(200);
      assert.deepEqual([...res.body.persons].sort(), [x.rtu!.recordId, x.lu!.recordId].sort());
      assert.deepEqual([...res.body.records].sort(), [x.consent!.recordId, x.award!.recordId, x.attainment!.recordId].sort());
      assert.ok(res.body.counts.messages >= 7, JSON.stringify(res.body.counts));

      await t.hub.router.start();
      for (const route of ['employer', 'archive']) {
        await deliveryStatus(t, queued.messageId, route, ['withheld', 'delivered']);
        const d = (await t.hub.store.listDeliveries(queued.messageId)).find((r) => r.routeId === route);
        assert.equal(d?.status, 'withheld', route);
        assert.match(d?.lastError ?? '', /erased/);
      }
      assert.ok(!sinkLines(t, 'employer.jsonl').some((e) => e.record?.awardedAt === '2024-07-01'));
      assert.ok(!sinkLines(t, 'archive.jsonl').some((e) => e.record?.awardedAt === '2024-07-01'));

      const sql = t.hub.store.sql;
      for (const needle of [pc, pc.replace('-', ''), 'Vilciņa-Kalēja', 'Austra', 'austra.vk@edu.rtu.lv', 'av@edu.lu.lv', 'RTU300001', 'LU-3001']) {
        assert.deepEqual(await findEverywhere(sql, needle), [], `'${needle}' is still in the store`);
      }
      // Only this person: the other one is untouched.
      assert.ok((await findEverywhere(sql, otherCode)).includes('records.data'));
      const other = await request(t.app).get(`/api/v1/records/person/${y.recordId}`).set(auth).expect(200);
      assert.equal(other.body.record.familyName, 'Bērziņš');
    });

    it('keeps the study facts, pseudonymised, and marks the person records erased', async () => {
      const p = await t.hub.store.getRecord('person', x.rtu!.recordId);
      assert.equal(p?.deleted, true);
      assert.deepEqual(Object.keys(p!.data).sort(), ['erased', 'id', 'identifiers', 'institution', 'sourceId', 'version']);
      assert.match(String(p!.data.sourceId), /^erased-[0-9a-f]{24}$/);
      const aw = await t.hub.store.getRecord('award', x.award!.recordId);
      assert.equal(aw?.data.likCode, '43481001');
      assert.equal(aw?.data.diplomaNumber, undefined, 'a diploma number identifies the person');
      assert.deepEqual(aw?.data.person, { sourceId: p!.data.sourceId }, 'linked to the same pseudonymous person');
      const att = await t.hub.store.getRecord('attainment', x.attainment!.recordId);
      assert.deepEqual(att?.data.credits, { value: 6, scheme: 'ECTS' });
      const m = await t.hub.store.getMessage(x.rejected!.messageId);
      assert.equal(m?.raw, null);
      assert.equal(m?.status, 'rejected', 'the message stays, as metadata');
    });

    it('records the erasure; the disclosure log stays verifiable and still answers subject access', async () => {
      const v = await request(t.app).get('/api/v1/audit/disclosures/verify').set(auth).expect(200);
      assert.equal(v.body.ok, true, JSON.stringify(v.body.problems));
      const list = await request(t.app).get('/api/v1/audit/erasures').set(auth).expect(200);
      assert.equal(list.body.items.length, 1);
      assert.match(list.body.items[0].requestedBy, /admin/);
      const d = await request(t.app).get(`/api/v1/persons/${x.rtu!.recordId}/disclosures`).set(auth).expect(200);
      const kinds = d.body.disclosures.map((e: { kind: string; route: string | null }) => `${e.kind} ${e.route}`);
      assert.ok(kinds.includes('erasure null'), kinds.join(', '));
      assert.ok(kinds.includes('disclosure employer'), kinds.join(', '));
      assert.ok(kinds.filter((k: string) => k === 'disclosure archive').length >= 5, kinds.join(', '));
      const again = await request(t.app).post(`/api/v1/persons/${x.lu!.recordId}/erasure`).set(auth).expect(409);
      assert.equal(again.body.code, 'HUB_ERR_CONFLICT');
      await request(t.app).post('/api/v1/persons/00000000-0000-7000-8000-000000000000/erasure').set(auth).expect(404);
    });
  });
}
