import assert from 'node:assert/strict';
import request from 'supertest';
import type { HubConfig } from '../../src/config/types.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { auth, backends, baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';
import { person, personalCode, studyRight } from '../viis/fixtures.ts';

const config = (): HubConfig =>
  baseConfig({
    sources: [...baseConfig().sources, { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' }],
    sinks: [],
    routes: [],
    consumers: [
      {
        id: 'library',
        description: 'RTU library system',
        entities: ['person', 'study-right'],
        institutions: ['rtu.lv'],
        fields: { person: ['givenNames', 'familyName', 'identifiers', 'email'] },
        legalBasis: 'contract',
        purpose: 'Library accounts of students',
      },
      {
        id: 'registry',
        entities: ['person'],
        identifierSchemes: ['lv-personas-kods', 'student-number'],
        legalBasis: 'legal-obligation',
        purpose: 'National register of students',
      },
    ],
  });

for (const backend of backends()) {
  describe(`feeds API (${backend})`, () => {
    let t: TestHub;
    let library: string;
    let registry: string;
    let both: string;
    let reader: string;
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const token = async (scopes: string[]) =>
      (
        await request(t.app)
          .post('/api/v1/tokens')
          .set(auth)
          .send({ name: scopes.join(' '), scopes })
          .expect(201)
      ).body.token as string;
    const ingest = (source: string, entity: string, body: object) => request(t.app).post(`/api/v1/ingest/${source}/${entity}`).set(auth).send(body).expect(202);
    const feed = (path: string, headers: Record<string, string> = auth) => request(t.app).get(`/api/v1/feeds/${path}`).set(headers);

    before(async () => {
      t = await makeHub({ backend, config: config() });
      library = await token(['feed:library']);
      registry = await token(['feed:registry']);
      both = await token(['feed:library', 'feed:registry']);
      reader = await token(['read:course']);
      await ingest('rtu-push', 'person', [person(1), person(2), person(3)]);
      await ingest('lu-push', 'person', person(4, { sourceId: 'LU4' }));
      await ingest('rtu-push', 'study-right', studyRight(1));
      await ingest('rtu-push', 'person', person(1, { familyName: 'Kalniņš' }));
    });
    after(async () => {
      await t?.stop();
    });

    it('gives an admin the full feed of an entity in change sequence order, updates as new events', async () => {
      const res = await feed('person').expect(200);
      const items = res.body.items as ChangeEvent[];
      assert.equal(res.body.consumer, null);
      assert.deepEqual(
        items.map((e) => [e.record?.sourceId, e.version, e.institution]),
        [
          ['P00001', 1, 'rtu.lv'],
          ['P00002', 1, 'rtu.lv'],
          ['P00003', 1, 'rtu.lv'],
          ['LU4', 1, 'lu.lv'],
          ['P00001', 2, 'rtu.lv'],
        ],
      );
      assert.ok(items.every((e, i) => i === 0 || e.seq > items[i - 1]!.seq));
      assert.equal(res.body.hasMore, false);
      assert.equal(res.body.next, String(items.at(-1)!.seq));
      assert.ok(JSON.stringify(items).includes(personalCode(1)), 'the full view has the personal codes');
    });

    it('pages with the cursor: limit, next, hasMore; an empty page keeps the cursor', async () => {
      const p1 = await feed('person?limit=2').expect(200);
      assert.equal(p1.body.items.length, 2);
      assert.equal(p1.body.hasMore, true);
      assert.match(String(p1.headers.link), /rel="next"/);
      const p2 = await feed(`person?limit=2&after=${p1.body.next}`).expect(200);
      const p3 = await feed(`person?limit=2&after=${p2.body.next}`).expect(200);
      assert.equal(p3.body.items.length, 1);
      assert.equal(p3.body.hasMore, false);
      const all = [...p1.body.items, ...p2.body.items, ...p3.body.items] as ChangeEvent[];
      assert.equal(new Set(all.map((e) => e.eventId)).size, 5);
      const p4 = await feed(`person?limit=2&after=${p3.body.next}`).expect(200);
      assert.deepEqual(p4.body.items, []);
      assert.equal(p4.body.next, p3.body.next);
    });

    it('reads as the consumer of the token: its institutions, its fields, no personal codes', async () => {
      const res = await feed('person', bearer(library)).expect(200);
      assert.equal(res.body.consumer, 'library');
      const items = res.body.items as ChangeEvent[];
      assert.deepEqual(
        items.map((e) => e.record?.sourceId),
        ['P00001', 'P00002', 'P00003', 'P00001'],
      );
      const text = JSON.stringify(items);
      for (const n of [1, 2, 3]) assert.ok(!text.includes(personalCode(n)), 'no personal code in a library feed');
      assert.ok(!text.includes('lv-personas-kods'));
      const rec = items[0]!.record!;
      assert.deepEqual(Object.keys(rec).sort(), ['email', 'familyName', 'givenNames', 'id', 'identifiers', 'institution', 'sourceId', 'version']);
      assert.deepEqual(rec.identifiers, [{ scheme: 'student-number', value: 'P00001' }]);
      const sr = await feed('study-right', bearer(library)).expect(200);
      assert.equal(sr.body.items.length, 1);
      assert.ok(sr.body.items[0].record.statusPeriods, 'entities without a field list are seen whole');
    });

    it('shows personal codes only to a consumer configured for them', async () => {
      const res = await feed('person', bearer(registry)).expect(200);
      assert.ok(JSON.stringify(res.body.items).includes(personalCode(2)));
      assert.equal(res.body.items.length, 5, 'no institution filter');
    });

    it('refuses what the consumer does not receive, unknown consumers and ambiguous tokens', async () => {
      const r1 = await feed('award', bearer(library)).expect(403);
      assert.equal(String(r1.headers['content-type']).split(';')[0], 'application/problem+json');
      await feed('study-right', bearer(registry)).expect(403);
      const r2 = await feed('person', bearer(both)).expect(400);
      assert.equal(r2.body.errors[0].pointer, '/query/consumer');
      assert.equal((await feed('person?consumer=registry', bearer(both)).expect(200)).body.consumer, 'registry');
      await feed('person?consumer=registry', bearer(library)).expect(403);
      await feed('person?consumer=nobody').expect(404);
      await feed('person', bearer(reader)).expect(403);
      await request(t.app).get('/api/v1/feeds/person').expect(401);
    });

    it('answers 304 to If-None-Match while the page is unchanged, 200 once a change arrives', async () => {
      const first = await feed('person?limit=100', bearer(library)).expect(200);
      const etag = first.headers.etag as string;
      assert.ok(etag);
      await feed('person?limit=100', { ...bearer(library), 'if-none-match': etag }).expect(304);
      // A full page never changes again.
      const full = await feed('person?limit=1', bearer(library)).expect(200);
      await feed('person?limit=1', { ...bearer(library), 'if-none-match': full.headers.etag as string }).expect(304);
      await ingest('rtu-push', 'person', person(5));
      const after = await feed('person?limit=100', { ...bearer(library), 'if-none-match': etag }).expect(200);
      assert.equal(after.body.items.length, 5);
      assert.notEqual(after.headers.etag, etag);
      // Another consumer reading the same page gets another ETag (another projection).
      const other = await feed('person?limit=100', bearer(registry)).expect(200);
      assert.notEqual(other.headers.etag, after.headers.etag);
    });

    it('carries deletes as events without a record', async () => {
      const rec = (await feed('person?limit=1').expect(200)).body.items[0] as ChangeEvent;
      const [m] = await t.hub.pipeline.ingest('rtu-push', 'person', [person(9)], 'application/json');
      const stored = await t.hub.store.getRecord('person', m!.recordId!);
      await t.hub.store.commit({
        messageId: m!.messageId,
        entity: 'person',
        institution: 'rtu.lv',
        sourceSystem: 'rtu-push',
        sourceId: 'P00009',
        source: 'rtu-push',
        sourceUpdatedAt: null,
        data: stored!.data,
        op: 'delete',
        schemaVersion: '1',
      });
      const items = (await feed(`person?after=${rec.seq}&limit=1000`, bearer(library)).expect(200)).body.items as ChangeEvent[];
      const del = items.at(-1)!;
      assert.equal(del.op, 'delete');
      assert.equal(del.recordId, m!.recordId);
      assert.equal(del.record, undefined);
    });

    it('lists what a token can read', async () => {
      const res = await request(t.app).get('/api/v1/feeds').set(bearer(library)).expect(200);
      assert.deepEqual(res.body.consumers, [{ id: 'library', entities: ['person', 'study-right'], institutions: ['rtu.lv'] }]);
      assert.deepEqual(res.body.fullView, []);
    });

    it('rejects a bad cursor, a bad limit and an unknown entity with a pointer', async () => {
      const a = await feed('person?after=abc').expect(400);
      assert.equal(a.body.errors[0].pointer, '/query/after');
      const b = await feed('person?limit=0').expect(400);
      assert.equal(b.body.errors[0].pointer, '/query/limit');
      await feed('person?limit=1001').expect(400);
      await feed('nothing').expect(404);
    });
  });
}
