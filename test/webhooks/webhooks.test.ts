import assert from 'node:assert/strict';
import request from 'supertest';
import { SIGNATURE_HEADER, signPayload, TIMESTAMP_HEADER } from '../../adapters/webhook/index.ts';
import type { HubConfig } from '../../src/config/types.ts';
import { auth, backends, baseConfig, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { person, personalCode } from '../viis/fixtures.ts';
import { Receiver } from '../helpers/receiver.ts';

const config = (): HubConfig =>
  baseConfig({
    sources: [...baseConfig().sources, { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' }],
    sinks: [],
    routes: [],
    // the test's receivers listen on loopback: named here, as a deployment names its internal receivers
    webhooks: { allowTargets: ['127.0.0.1'] },
    consumers: [
      { id: 'library', entities: ['person'], institutions: ['rtu.lv'], fields: { person: ['givenNames', 'familyName', 'identifiers'] }, legalBasis: 'contract', purpose: 'Library accounts' },
    ],
  });

const fast = { maxAttempts: 5, initialDelayMs: 20, maxDelayMs: 100 };

for (const backend of backends()) {
  describe(`webhook subscriptions (${backend})`, function () {
    this.timeout(30_000);
    let t: TestHub;
    let rx: Receiver;
    let library: string;
    const ingest = (source: string, body: object) => request(t.app).post(`/api/v1/ingest/${source}/person`).set(auth).send(body).expect(202);
    const subscribe = (body: object, headers: Record<string, string> = auth) => request(t.app).post('/api/v1/webhooks').set(headers);

    before(async () => {
      rx = new Receiver();
      await rx.start();
      t = await makeHub({ backend, config: config() });
      library = (
        await request(t.app)
          .post('/api/v1/tokens')
          .set(auth)
          .send({ name: 'library', scopes: ['feed:library'] })
          .expect(201)
      ).body.token;
    });
    after(async () => {
      await t?.stop();
      await rx?.close();
    });

    it('delivers change events signed with HMAC-SHA256, the event id as idempotency key', async () => {
      const sub = await subscribe({})
        .send({ url: `${rx.url}/all`, entities: ['person'], retry: fast })
        .expect(201);
      assert.match(sub.body.secret, /^whsec_/);
      assert.equal(sub.headers.location, `/api/v1/webhooks/${sub.body.id}`);
      const listed = await request(t.app).get('/api/v1/webhooks').set(auth).expect(200);
      assert.equal(listed.body.items.length, 1);
      assert.equal(listed.body.items[0].secret, undefined, 'the secret is shown once only');
      await ingest('rtu-push', [person(1), person(2)]);
      const got = await eventually(async () => (rx.ok('/all').length >= 2 ? rx.ok('/all') : undefined), 10_000, 'two deliveries');
      for (const r of got) {
        const ts = String(r.headers[TIMESTAMP_HEADER]);
        assert.equal(r.headers[SIGNATURE_HEADER], signPayload(sub.body.secret, ts, r.body));
        assert.equal(r.headers['idempotency-key'], r.event.eventId);
        assert.equal(r.event.entity, 'person');
      }
      // Two records: their deliveries run concurrently, so only per-record order is promised.
      assert.deepEqual(got.map((r) => String(r.event.record?.sourceId)).sort(), ['P00001', 'P00002']);
      const detail = await eventually(async () => {
        const d = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(200);
        return d.body.deliveries.delivered === 2 ? d.body : undefined;
      });
      assert.equal(detail.deliveries.dead, 0);
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(204);
    });

    it('retries failures and keeps per-record order: a later version waits for the earlier one, other records go ahead', async () => {
      const sub = await subscribe({})
        .send({ url: `${rx.url}/order`, retry: { ...fast, maxAttempts: 50 } })
        .expect(201);
      const otherDelivered = () => rx.ok('/order').some((r) => r.event.record?.sourceId === 'P00011');
      // Version 1 of P00010 fails at least 3 times, and for as long as P00011 is not delivered: another
      // record held up behind the failing one would never arrive, and the wait below would time out.
      let failures = 0;
      rx.respond = (e, path) => (path === '/order' && e.record?.sourceId === 'P00010' && e.version === 1 && (failures < 3 || !otherDelivered()) ? (failures++, 503) : 200);
      await ingest('rtu-push', person(10));
      await ingest('rtu-push', person(10, { familyName: 'Otrā' }));
      await ingest('rtu-push', person(11));
      await eventually(async () => (rx.ok('/order').filter((r) => r.event.record?.sourceId === 'P00010').length === 2 ? true : undefined), 10_000, 'both versions delivered');
      assert.ok(otherDelivered(), 'another record was delivered while the first failed');
      const x = rx.received.filter((r) => r.path === '/order' && r.event.record?.sourceId === 'P00010');
      assert.ok(failures >= 3);
      assert.deepEqual(
        x.map((r) => [r.event.version, r.status]),
        [...Array.from({ length: failures }, () => [1, 503]), [1, 200], [2, 200]],
        'version 2 is not sent before version 1 is delivered',
      );
      const retried = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=delivered`).set(auth).expect(200);
      const v1 = retried.body.items.find((d: { seq: number; attempts: number }) => d.attempts === failures + 1);
      assert.ok(v1, 'the delivery records its attempts');
      rx.respond = () => 200;
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(204);
    });

    it("delivers a consumer's view: its institutions and fields, no personal codes", async () => {
      const headers = { authorization: `Bearer ${library}` };
      const sub = await subscribe({}, headers)
        .send({ url: `${rx.url}/library`, consumer: 'library', retry: fast })
        .expect(201);
      assert.equal(sub.body.consumer, 'library');
      await ingest('lu-push', person(20, { sourceId: 'LU20' }));
      await ingest('rtu-push', person(21));
      const got = await eventually(async () => (rx.ok('/library').length >= 1 ? rx.ok('/library') : undefined));
      // Fanned out past both changes, and only the rtu.lv one became a delivery: lu.lv is outside the consumer.
      const m = (await t.hub.store.sql.query<{ m: number }>('SELECT MAX(seq) AS m FROM changes'))[0]?.m;
      await eventually(async () => {
        const s = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(headers).expect(200);
        return Number(s.body.cursor) >= Number(m) ? true : undefined;
      });
      const rows = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}/deliveries`).set(headers).expect(200);
      assert.equal(rows.body.items.length, 1);
      assert.deepEqual(
        rx.ok('/library').map((r) => r.event.record?.sourceId),
        ['P00021'],
      );
      const rec = got[0]!.event.record!;
      assert.ok(!got[0]!.body.includes(personalCode(21)));
      assert.equal(rec.birthDate, undefined);
      assert.deepEqual(rec.identifiers, [{ scheme: 'student-number', value: 'P00021' }]);
      // The consumer sees its own subscriptions only; an admin sees all.
      const own = await request(t.app).get('/api/v1/webhooks').set(headers).expect(200);
      assert.deepEqual(
        own.body.items.map((s: { id: string }) => s.id),
        [sub.body.id],
      );
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(headers).expect(204);
    });

    it('dead-letters a delivery the receiver refuses (4xx) and shows why', async () => {
      const sub = await subscribe({})
        .send({ url: `${rx.url}/refuse`, retry: fast })
        .expect(201);
      rx.respond = (_e, path) => (path === '/refuse' ? 422 : 200);
      await ingest('rtu-push', person(30));
      const dead = await eventually(async () => {
        const r = await request(t.app).get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=dead`).set(auth).expect(200);
        return r.body.items.length ? r.body.items : undefined;
      });
      assert.match(dead[0].lastError, /^rejected: webhook .* answered HTTP 422/);
      assert.equal(dead[0].attempts, 1);
      rx.respond = () => 200;
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(204);
      await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(404);
    });

    it("starts from 'start' when asked: the changes held so far come first, in order", async () => {
      await subscribe({})
        .send({ url: `${rx.url}/backfill`, from: 'start', entities: ['person'], institutions: ['lu.lv'], retry: fast })
        .expect(201);
      const got = await eventually(async () => (rx.ok('/backfill').length >= 1 ? rx.ok('/backfill') : undefined));
      assert.deepEqual(
        got.map((r) => r.event.record?.sourceId),
        ['LU20'],
      );
    });

    it('validates a subscription: JSON pointers per violation, scopes, the consumer view', async () => {
      const bad = await subscribe({})
        .send({ url: 'ftp://x', entities: ['person', 'person'], surprise: 1 })
        .expect(400);
      const pointers = bad.body.errors.map((e: { pointer: string }) => e.pointer).sort();
      assert.ok(pointers.includes('/url'), pointers.join());
      assert.ok(pointers.includes('/surprise'), pointers.join());
      const headers = { authorization: `Bearer ${library}` };
      await subscribe({}, headers)
        .send({ url: `${rx.url}/x` })
        .expect(403);
      const outside = await subscribe({}, headers)
        .send({ url: `${rx.url}/x`, consumer: 'library', entities: ['award'] })
        .expect(400);
      assert.equal(outside.body.errors[0].pointer, '/entities/0');
      await subscribe({})
        .send({ url: `${rx.url}/x`, consumer: 'nobody' })
        .expect(404);
      await subscribe({}, headers)
        .send({ url: `${rx.url}/x`, consumer: 'other' })
        .expect(403);
      await request(t.app)
        .post('/api/v1/webhooks')
        .send({ url: `${rx.url}/x` })
        .expect(401);
    });
  });
}
