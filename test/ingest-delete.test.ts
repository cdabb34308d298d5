import assert from 'node:assert/strict';
import request from 'supertest';
import { auth, backends, makeHub, type TestHub } from './helpers/hub.ts';
import { person } from './viis/fixtures.ts';

const PATH = '/api/v1/ingest/rtu-push/person';

for (const backend of backends()) {
  describe(`Deleting records through the pipeline (POST /api/v1/ingest/{sourceId}/{entity}/delete) (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;

    before(async () => {
      t = await makeHub({ backend });
    });
    after(async () => {
      await t?.stop();
    });

    it('a deletion is a message of its own, marks the record deleted (its last data kept) and publishes a delete event without the record; sent again it is unchanged; the same input as before the deletion brings the record back', async () => {
      const a = request(t.app);
      const created = await a.post(PATH).set(auth).send(person(11)).expect(202);
      const recordId = created.body.messages[0].recordId as string;
      const res = await a
        .post(`${PATH}/delete`)
        .set(auth)
        .send({ sourceIds: [person(11).sourceId] })
        .expect(202);
      const m = res.body.messages[0];
      assert.equal(m.status, 'committed');
      assert.equal(m.recordId, recordId);
      assert.equal(m.version, 2);
      const rec = (await a.get(`/api/v1/records/person/${recordId}`).set(auth).expect(200)).body;
      assert.equal(rec.deleted, true);
      assert.equal(rec.record.familyName, person(11).familyName, 'the last data stays for the trail');
      const message = await t.hub.store.getMessage(m.messageId as string);
      assert.equal(message?.raw, JSON.stringify({ delete: { sourceId: person(11).sourceId } }));
      const event = await t.hub.store.getEvent(message!.eventId!);
      assert.equal(event?.op, 'delete');
      assert.equal(event?.record, undefined, 'delete events carry no record');
      const again = await a
        .post(`${PATH}/delete`)
        .set(auth)
        .send({ sourceIds: [person(11).sourceId] })
        .expect(202);
      assert.equal(again.body.messages[0].status, 'unchanged');
      // The identical input again, after the deletion, means the record exists again: not a duplicate of
      // the first message (which keeps its trail but gives up its key), a new version, not deleted.
      const same = await a.post(PATH).set(auth).send(person(11)).expect(202);
      assert.equal(same.body.messages[0].duplicate, false);
      assert.notEqual(same.body.messages[0].messageId, created.body.messages[0].messageId);
      assert.equal(same.body.messages[0].version, 3);
      assert.equal((await a.get(`/api/v1/records/person/${recordId}`).set(auth).expect(200)).body.deleted, false);
      assert.equal((await t.hub.store.getMessage(created.body.messages[0].messageId as string))?.recordId, recordId, 'the first message keeps its trail');
      // Sent once more while the record lives, it is a duplicate again.
      const dup = await a.post(PATH).set(auth).send(person(11)).expect(202);
      assert.equal(dup.body.messages[0].duplicate, true);
      assert.equal(dup.body.messages[0].messageId, same.body.messages[0].messageId);
      // Sent changed, the next version.
      const back = await a
        .post(PATH)
        .set(auth)
        .send(person(11, { email: 'back@rtu.lv' }))
        .expect(202);
      assert.equal(back.body.messages[0].version, 4);
      assert.equal((await a.get(`/api/v1/records/person/${recordId}`).set(auth).expect(200)).body.deleted, false);
    });

    it('an id the source holds no record for is a rejected message (HUB_ERR_NOT_FOUND); replayed once the record exists, it deletes it', async () => {
      const a = request(t.app);
      const res = await a
        .post(`${PATH}/delete`)
        .set(auth)
        .send({ sourceIds: [person(12).sourceId] })
        .expect(422);
      assert.equal(res.body.code, 'HUB_ERR_NOT_FOUND');
      const messageId = res.body.messages[0].messageId as string;
      assert.equal((await t.hub.store.getMessage(messageId))?.status, 'rejected');
      const created = await a.post(PATH).set(auth).send(person(12)).expect(202);
      const replay = await a.post(`/api/v1/messages/${messageId}/replay`).set(auth).expect(200);
      assert.equal(JSON.stringify(replay.body).includes('committed'), true, JSON.stringify(replay.body));
      assert.equal(
        (
          await a
            .get(`/api/v1/records/person/${created.body.messages[0].recordId as string}`)
            .set(auth)
            .expect(200)
        ).body.deleted,
        true,
      );
    });

    it('a malformed body is a 400 (kept as a rejected message); an unknown source is a 404, no token a 401', async () => {
      const a = request(t.app);
      for (const body of [{}, { sourceIds: [] }, { sourceIds: [7] }, ['x']]) {
        const res = await a.post(`${PATH}/delete`).set(auth).send(body).expect(400);
        assert.ok(res.body.messageId, 'the input is kept');
      }
      await a
        .post('/api/v1/ingest/nowhere/person/delete')
        .set(auth)
        .send({ sourceIds: ['x'] })
        .expect(404);
      await a
        .post(`${PATH}/delete`)
        .send({ sourceIds: ['x'] })
        .expect(401);
    });
  });
}
