import assert from 'node:assert/strict';
import request from 'supertest';
import type { ChangeEvent } from '../../src/core/types.ts';
import type { LoggedEntry } from '../../src/privacy/disclosure-log.ts';
import { auth, backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { Receiver } from '../helpers/receiver.ts';
import { award, code, consent, ingest, person, privacyConfig, PURPOSE, RECIPIENT } from './helpers.ts';

/** Feed consumers and webhook subscriptions obey the privacy rules of routes (docs/privacy.md). */
const config = () =>
  privacyConfig({
    routes: [],
    sinks: [],
    webhooks: { allowTargets: ['127.0.0.1'] },
    consumers: [
      {
        id: 'cv',
        entities: ['person', 'award'],
        fields: { award: ['person', 'title', 'likCode'] },
        legalBasis: 'consent',
        purpose: PURPOSE,
        recipient: RECIPIENT,
      },
      { id: 'stats', entities: ['award'], legalBasis: 'legal-obligation', purpose: 'Official statistics on higher education' },
    ],
  });

for (const backend of backends()) {
  describe(`feeds and webhooks under the privacy rules (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let rx: Receiver;
    let cv: string;
    let stats: string;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const token = async (name: string, scopes: string[]) => (await request(t.app).post('/api/v1/tokens').set(auth).send({ name, scopes }).expect(201)).body.token as string;
    const feed = async (path: string, headers: Record<string, string>) => (await request(t.app).get(`/api/v1/feeds/${path}`).set(headers).expect(200)).body as { items: ChangeEvent[]; next: string };
    const log = async (): Promise<LoggedEntry[]> => {
      const out: LoggedEntry[] = [];
      for await (const e of t.hub.privacy.log.entries()) out.push(e);
      return out;
    };
    const ids: Record<string, string> = {};

    before(async () => {
      rx = new Receiver();
      await rx.start();
      t = await makeHub({ backend, config: config() });
      cv = await token('cv reader', ['feed:cv']);
      stats = await token('statistics', ['feed:stats']);
      for (const [sid, serial] of [
        ['RTU300001', 301],
        ['RTU300002', 302],
      ] as const) {
        ids[sid] = (await ingest(t, 'rtu-push', 'person', person('rtu.lv', sid, code(2000, 5, 6, serial)))).recordId;
        ids[`AW-${sid}`] = (await ingest(t, 'rtu-push', 'award', award('rtu.lv', `AW-${sid}`, sid))).recordId;
      }
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-300001', 'RTU300001', 'given'));
    });
    after(async () => {
      await t?.stop();
      await rx?.close();
    });

    it('a consent consumer reads only the records of persons whose consent covers its purpose and recipient', async () => {
      const page = await feed('award', bearer(cv));
      assert.deepEqual(
        page.items.map((e) => e.recordId),
        [ids['AW-RTU300001']],
      );
      assert.deepEqual(Object.keys(page.items[0]!.record!).sort(), ['id', 'institution', 'likCode', 'person', 'sourceId', 'title', 'version'], 'its projection');
      const persons = await feed('person', bearer(cv));
      assert.deepEqual(
        persons.items.map((e) => e.recordId),
        [ids.RTU300001],
      );
      // The cursor moves past what the consumer may not see.
      assert.equal(Number(page.next) >= Number((await feed('award', auth)).next), true);
    });

    it('logs one entry per record version disclosed to the consumer, once however often the page is read', async () => {
      const before = (await log()).filter((e) => e.route === 'feed:cv');
      assert.deepEqual(
        before.map((e) => [e.entity, e.recordId, e.recordVersion]).sort(),
        [
          ['award', ids['AW-RTU300001'], 1],
          ['person', ids.RTU300001, 1],
        ].sort(),
      );
      const entry = before.find((e) => e.entity === 'award')!;
      assert.equal(entry.recipient, RECIPIENT);
      assert.equal(entry.legalBasis, 'consent');
      assert.equal(entry.purpose, PURPOSE);
      assert.deepEqual(entry.fields, ['person', 'title', 'likCode']);
      assert.match(entry.person ?? '', /^p:[0-9a-f]{64}$/);
      await feed('award', bearer(cv));
      await feed('award?limit=1', bearer(cv));
      assert.equal((await log()).filter((e) => e.route === 'feed:cv').length, 2, 'reading again adds nothing');

      const s = await feed('award', bearer(stats));
      assert.equal(s.items.length, 2, 'a legal-obligation consumer sees every award');
      const statsEntries = (await log()).filter((e) => e.route === 'feed:stats');
      assert.equal(statsEntries.length, 2);
      assert.ok(statsEntries.every((e) => e.recipient === 'stats' && e.legalBasis === 'legal-obligation' && e.fields === null));

      // The full view is administrative access: logged with the token as recipient.
      await feed('award', auth);
      const admin = (await log()).filter((e) => e.route?.startsWith('feed:*:'));
      assert.equal(admin.length, 2);
      assert.ok(admin.every((e) => e.recipient?.startsWith('token:') && e.legalBasis === null));
      assert.equal((await t.hub.privacy.log.verify()).ok, true);

      const sa = await request(t.app).get(`/api/v1/persons/${ids.RTU300001}/disclosures`).set(auth).expect(200);
      const routes = (sa.body.disclosures as LoggedEntry[]).map((d) => `${d.route} ${d.entity}`);
      for (const r of ['feed:cv award', 'feed:cv person', 'feed:stats award']) assert.ok(routes.includes(r), `subject access lists ${r}`);
      const other = await request(t.app).get(`/api/v1/persons/${ids.RTU300002}/disclosures`).set(auth).expect(200);
      assert.ok(!(other.body.disclosures as LoggedEntry[]).some((d) => d.route === 'feed:cv'), 'nothing disclosed to the consent consumer about the other person');
    });

    it('a webhook subscription of a consent consumer withholds without a consent, delivers and logs with one', async () => {
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(cv))
        .send({ url: `${rx.url}/cv`, consumer: 'cv', entities: ['award'], from: 'start' })
        .expect(201);
      const deliveries = async (status: string) =>
        (await request(t.app).get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=${status}`).set(auth).expect(200)).body.items as { recordId: string; lastError: string }[];
      const withheld = await eventually(async () => {
        const w = await deliveries('withheld');
        return w.length === 1 ? w : undefined;
      });
      assert.equal(withheld[0]!.recordId, ids['AW-RTU300002']);
      assert.match(withheld[0]!.lastError, new RegExp(`^withheld: no consent of the person for purpose '${PURPOSE}', recipient '${RECIPIENT}'`));
      await eventually(async () => (rx.events.length === 1 ? true : undefined));
      assert.equal(rx.events[0]!.recordId, ids['AW-RTU300001']);
      assert.deepEqual(Object.keys(rx.events[0]!.record!).sort(), ['id', 'institution', 'likCode', 'person', 'sourceId', 'title', 'version']);
      const entries = await eventually(async () => {
        const e = (await log()).filter((x) => x.route === `webhook:${sub.body.id}`);
        return e.length ? e : undefined;
      });
      assert.deepEqual(
        entries.map((e) => [e.recordId, e.recipient, e.legalBasis]),
        [[ids['AW-RTU300001'], RECIPIENT, 'consent']],
      );
      // The outcome is recorded after the receiver answered (and after the disclosure): wait for it.
      const counts = await eventually(async () => {
        const c = (await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(200)).body.deliveries as { withheld: number; delivered: number };
        return c.delivered >= 1 ? c : undefined;
      });
      assert.equal(counts.withheld, 1);
      assert.equal(counts.delivered, 1);

      // A withdrawal stops what comes next at once: a new version of the award is withheld.
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-300001', 'RTU300001', 'withdrawn'));
      await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-RTU300001', 'RTU300001', { likCode: '43481002' }));
      await eventually(async () => ((await deliveries('withheld')).length === 2 ? true : undefined));
      assert.equal(rx.events.length, 1);
      assert.deepEqual((await feed('award', bearer(cv))).items, [], 'the feed of the consent consumer is empty after the withdrawal');
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(204);
    });

    it('hides the records of an erased person from feeds and subscriptions', async () => {
      assert.equal((await feed('award', bearer(stats))).items.filter((e) => e.recordId === ids['AW-RTU300002']).length, 1);
      await request(t.app).post(`/api/v1/persons/${ids.RTU300002}/erasure`).set(auth).expect(200);
      const page = await feed('award', bearer(stats));
      assert.ok(page.items.some((e) => e.recordId === ids['AW-RTU300001']));
      assert.ok(!page.items.some((e) => e.recordId === ids['AW-RTU300002']), 'no change of the erased person is read after the erasure');
      // A subscription from the start: the changes made before the erasure are checked at delivery time.
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer(stats))
        .send({ url: `${rx.url}/stats`, consumer: 'stats', from: 'start' })
        .expect(201);
      const withheld = await eventually(async () => {
        const w = (await request(t.app).get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=withheld`).set(auth).expect(200)).body.items as { recordId: string; lastError: string }[];
        return w.length ? w : undefined;
      });
      assert.deepEqual(
        withheld.map((d) => [d.recordId, d.lastError]),
        [[ids['AW-RTU300002'], "not delivered: the person's data was erased after this change"]],
      );
      await eventually(async () => ((await request(t.app).get(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(200)).body.deliveries.pending === 0 ? true : undefined));
      const got = rx.events.filter((e) => e.entity === 'award');
      assert.ok(got.some((e) => e.recordId === ids['AW-RTU300001']));
      assert.ok(!got.some((e) => e.recordId === ids['AW-RTU300002']), 'nothing about the erased person is pushed');
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(auth).expect(204);
    });
  });
}
