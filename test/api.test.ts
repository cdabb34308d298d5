import assert from 'node:assert/strict';
import { readFileSync, existsSync } from 'node:fs';
import { join } from 'node:path';
import iconv from 'iconv-lite';
import request from 'supertest';
import { auth, backends, canonicalPerson, eventually, makeHub, type TestHub } from './helpers/hub.ts';

for (const backend of backends()) {
  describe(`HTTP API and pipeline (${backend})`, () => {
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend });
    });
    after(async () => {
      await t?.stop();
    });

    const ingest = (source: string, entity: string) => request(t.app).post(`/api/v1/ingest/${source}/${entity}`).set(auth);
    const archived = () => {
      const f = join(t.dir, 'out', 'all.jsonl');
      return existsSync(f)
        ? readFileSync(f, 'utf8')
            .trim()
            .split('\n')
            .filter(Boolean)
            .map((l) => JSON.parse(l) as { recordId: string; version: number; entity: string })
        : [];
    };

    it('ingests a canonical record: 202, committed as version 1, delivered to the sink', async () => {
      const res = await ingest('rtu-push', 'person').send(canonicalPerson(1)).expect(202);
      assert.equal(res.body.accepted, 1);
      const m = res.body.messages[0];
      assert.equal(m.status, 'committed');
      assert.equal(m.version, 1);
      const line = await eventually(async () => archived().find((e) => e.recordId === m.recordId), 10_000, 'delivery to the file sink');
      assert.equal(line.entity, 'person');
      const rec = await request(t.app).get(`/api/v1/records/person/${m.recordId}`).set(auth).expect(200);
      assert.equal(rec.body.version, 1);
      assert.equal(rec.body.record.familyName, 'Ozoliņa');
      assert.equal(rec.body.record.id, m.recordId);
      const etag = rec.headers.etag as string;
      await request(t.app).get(`/api/v1/records/person/${m.recordId}`).set(auth).set('if-none-match', etag).expect(304);
      const detail = await eventually(
        async () => {
          const r = await request(t.app).get(`/api/v1/messages/${m.messageId}`).set(auth).expect(200);
          return r.body.status === 'delivered' ? r.body : undefined;
        },
        10_000,
        'message status delivered',
      );
      const steps = detail.history.map((h: { status: string }) => h.status);
      // 'published' may come after 'delivered' is recorded when the consumer is faster than the relay's bookkeeping.
      assert.deepEqual(steps.slice(0, 3), ['received', 'validated', 'committed'], steps.join(','));
      assert.equal(detail.status, 'delivered');
      assert.ok(steps.includes('delivered'), steps.join(','));
      assert.equal(detail.deliveries[0].routeId, 'all');
      assert.equal(detail.deliveries[0].attempts[0].outcome, 'delivered');
    });

    it('is idempotent: the same record twice makes one version; changed content makes version 2', async () => {
      const p = canonicalPerson(2);
      const a = await ingest('rtu-push', 'person').send(p).expect(202);
      const b = await ingest('rtu-push', 'person').send(p).expect(202);
      assert.equal(b.body.messages[0].duplicate, true);
      assert.equal(b.body.messages[0].messageId, a.body.messages[0].messageId);
      const c = await ingest('rtu-push', 'person')
        .send({ ...p, email: 'liga@example.lv' })
        .expect(202);
      assert.equal(c.body.messages[0].version, 2);
      assert.equal(c.body.messages[0].recordId, a.body.messages[0].recordId);
      // Same content in another field order is the same record: a duplicate, not a new version.
      const d = await ingest('rtu-push', 'person')
        .send({ email: 'liga@example.lv', ...p })
        .expect(202);
      assert.equal(d.body.messages[0].duplicate, true);
      // A new source timestamp is a change of the record.
      const e = await ingest('rtu-push', 'person')
        .send({ ...p, email: 'liga@example.lv', sourceUpdatedAt: '2026-01-01T00:00:00Z' })
        .expect(202);
      assert.equal(e.body.messages[0].status, 'committed');
      assert.equal(e.body.messages[0].version, 3);
      const rec = await request(t.app).get(`/api/v1/records/person/${a.body.messages[0].recordId}`).set(auth).expect(200);
      assert.equal(rec.body.version, 3);
    });

    it('records an update older than the stored version as stale and keeps the stored one', async () => {
      const p = canonicalPerson(3, { sourceUpdatedAt: '2026-05-01T10:00:00Z' });
      const a = await ingest('rtu-push', 'person').send(p).expect(202);
      const old = await ingest('rtu-push', 'person')
        .send({ ...p, familyName: 'Vecā', sourceUpdatedAt: '2026-04-01T10:00:00Z' })
        .expect(202);
      assert.equal(old.body.messages[0].status, 'stale');
      const rec = await request(t.app).get(`/api/v1/records/person/${a.body.messages[0].recordId}`).set(auth).expect(200);
      assert.equal(rec.body.record.familyName, 'Ozoliņa');
      assert.equal(rec.body.version, 1);
      const list = await request(t.app).get('/api/v1/messages?status=stale').set(auth).expect(200);
      assert.ok(list.body.items.some((x: { id: string }) => x.id === old.body.messages[0].messageId));
    });

    it('rejects a schema violation with 422 problem+json, a pointer per violation, and keeps the record', async () => {
      const bad = canonicalPerson(4, { identifiers: [{ scheme: 'lv-personas-kods', value: '170599-11234' }], shoeSize: 44 });
      const res = await ingest('rtu-push', 'person').send(bad).expect(422);
      assert.match(res.headers['content-type'] as string, /^application\/problem\+json/);
      assert.equal(res.body.code, 'HUB_ERR_SCHEMA_VALIDATION');
      const pointers = res.body.errors.map((e: { pointer: string }) => e.pointer);
      assert.ok(pointers.includes('/identifiers/0/value'), pointers.join(','));
      assert.ok(pointers.includes('/shoeSize'), pointers.join(','));
      const id = res.body.messages[0].messageId;
      const m = await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200);
      assert.equal(m.body.status, 'rejected');
      assert.equal(JSON.parse(m.body.raw).shoeSize, 44);
      assert.ok(m.body.errors.some((e: { pointer: string }) => e.pointer === '/identifiers/0/value'));
    });

    it('takes an array: good records are accepted, bad ones rejected with their index in the pointer', async () => {
      const res = await ingest('rtu-push', 'person')
        .send([canonicalPerson(5), canonicalPerson(6, { familyName: 7 })])
        .expect(422);
      assert.equal(res.body.accepted, 1);
      assert.equal(res.body.messages[0].status, 'committed');
      assert.equal(res.body.messages[1].status, 'rejected');
      assert.ok(res.body.errors.some((e: { pointer: string }) => e.pointer === '/1/familyName'));
    });

    it('answers malformed JSON with 400 and where it breaks, and keeps the raw input', async () => {
      const res = await ingest('rtu-push', 'person').set('content-type', 'application/json').send('{"sourceId": "X",\n "oops" }').expect(400);
      assert.equal(res.body.code, 'HUB_ERR_MALFORMED_INPUT');
      assert.match(res.body.detail, /not valid JSON/);
      assert.equal(res.body.line, 2);
      const m = await request(t.app).get(`/api/v1/messages/${res.body.messageId}`).set(auth).expect(200);
      assert.equal(m.body.status, 'rejected');
      assert.equal(m.body.raw, '{"sourceId": "X",\n "oops" }');
    });

    it('answers a wrong content type with 415 and keeps the input', async () => {
      const res = await ingest('rtu-push', 'person').set('content-type', 'text/csv').send('a,b\n1,2').expect(415);
      assert.equal(res.body.code, 'HUB_ERR_UNSUPPORTED_MEDIA_TYPE');
      const m = await request(t.app).get(`/api/v1/messages/${res.body.messageId}`).set(auth).expect(200);
      assert.equal(m.body.raw, 'a,b\n1,2');
    });

    it('answers invalid UTF-8 with 400 and the byte offset; decodes a declared windows-1257 body', async () => {
      const latin = iconv.encode(JSON.stringify(canonicalPerson(7, { familyName: 'Šmite' })), 'windows-1257');
      const bad = await ingest('rtu-push', 'person')
        .set('content-type', 'application/json')
        .serialize((x: unknown) => x as string)
        .send(latin as unknown as string)
        .expect(400);
      assert.equal(bad.body.code, 'HUB_ERR_ENCODING');
      assert.equal(typeof bad.body.byteOffset, 'number');
      const ok = await ingest('rtu-push', 'person')
        .set('content-type', 'application/json; charset=windows-1257')
        .serialize((x: unknown) => x as string)
        .send(latin as unknown as string)
        .expect(202);
      const rec = await request(t.app).get(`/api/v1/records/person/${ok.body.messages[0].recordId}`).set(auth).expect(200);
      assert.equal(rec.body.record.familyName, 'Šmite');
    });

    it('answers a body over the limit with 413 and records the attempt', async () => {
      const big = JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) });
      const res = await ingest('rtu-push', 'person').set('content-type', 'application/json').send(big).expect(413);
      assert.equal(res.body.code, 'HUB_ERR_PAYLOAD_TOO_LARGE');
      const m = await request(t.app).get(`/api/v1/messages/${res.body.messageId}`).set(auth).expect(200);
      assert.equal(m.body.status, 'rejected');
      assert.equal(m.body.errorCode, 'HUB_ERR_PAYLOAD_TOO_LARGE');
    });

    it('answers an unknown source with 404 and stores nothing; an unknown entity of a known source keeps the input', async () => {
      const a = await ingest('nope', 'person').send(canonicalPerson(8)).expect(404);
      assert.equal(a.body.code, 'HUB_ERR_UNKNOWN_SOURCE');
      assert.equal(a.body.messageId, undefined);
      const none = await request(t.app).get('/api/v1/messages?source=nope').set(auth).expect(200);
      assert.deepEqual(none.body.items, []);
      const b = await ingest('rtu-push', 'spaceship').send({ sourceId: 'X8' }).expect(404);
      assert.equal(b.body.code, 'HUB_ERR_UNKNOWN_ENTITY');
      const m = await request(t.app).get(`/api/v1/messages/${b.body.messageId}`).set(auth).expect(200);
      assert.equal(m.body.sourceId, 'rtu-push');
      assert.equal(JSON.parse(m.body.raw).sourceId, 'X8');
    });

    it('rejects a record of another institution than the source', async () => {
      const res = await ingest('rtu-push', 'person')
        .send(canonicalPerson(9, { institution: 'lu.lv' }))
        .expect(403);
      assert.equal(res.body.errors[0].pointer, '/institution');
    });

    it('lists messages by status, source and entity, newest first, with a cursor', async () => {
      const res = await request(t.app).get('/api/v1/messages?status=rejected&source=rtu-push&limit=2').set(auth).expect(200);
      assert.equal(res.body.items.length, 2);
      assert.ok(res.body.items.every((m: { status: string; sourceId: string }) => m.status === 'rejected' && m.sourceId === 'rtu-push'));
      assert.ok(res.body.items[0].id > res.body.items[1].id);
      const next = await request(t.app).get(`/api/v1/messages?status=rejected&source=rtu-push&limit=2&before=${res.body.next}`).set(auth).expect(200);
      assert.ok(next.body.items.every((m: { id: string }) => m.id < res.body.next));
      const bad = await request(t.app).get('/api/v1/messages?status=lost').set(auth).expect(400);
      assert.equal(bad.body.errors[0].pointer, '/query/status');
    });

    it('keeps serving after all that', async () => {
      await request(t.app).get('/healthz').expect(200);
      await ingest('rtu-push', 'person').send(canonicalPerson(10)).expect(202);
    });
  });
}
