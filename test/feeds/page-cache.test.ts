import assert from 'node:assert/strict';
import request from 'supertest';
import type { ChangeEvent } from '../../src/core/types.ts';
import { FULL_VIEW } from '../../src/feeds/consumers.ts';
import { readFeed, type FeedQuery } from '../../src/feeds/feed.ts';
import { FeedPageCache, pageCacheOf } from '../../src/feeds/page-cache.ts';
import type { LoggedEntry } from '../../src/privacy/disclosure-log.ts';
import { newChangeLogGeneration } from '../../src/store/changes.ts';
import { auth, backends, makeHub, type TestHub } from '../helpers/hub.ts';
import { award, code, consent, ingest, person, privacyConfig, PURPOSE, RECIPIENT } from '../privacy/helpers.ts';

/** The cache of full feed pages (src/feeds/page-cache.ts): what it serves equals a fresh read, and the privacy rules still hold. */
const config = () =>
  privacyConfig({
    routes: [],
    sinks: [],
    consumers: [{ id: 'cv', entities: ['person', 'award'], fields: { award: ['person', 'title', 'likCode'] }, legalBasis: 'consent', purpose: PURPOSE, recipient: RECIPIENT }],
  });

const STUDENTS = ['RTU300001', 'RTU300002', 'RTU300003'] as const;

for (const backend of backends()) {
  describe(`feed page cache (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    const ids: Record<string, string> = {};
    const bearer = (token: string) => ({ authorization: `Bearer ${token}` });
    const token = async (name: string, scopes: string[]) => (await request(t.app).post('/api/v1/tokens').set(auth).send({ name, scopes }).expect(201)).body as { id: string; token: string };
    const log = async (): Promise<LoggedEntry[]> => {
      const out: LoggedEntry[] = [];
      for await (const e of t.hub.privacy.log.entries()) out.push(e);
      return out;
    };

    before(async () => {
      t = await makeHub({ backend, config: config() });
      for (const [i, sid] of STUDENTS.entries()) {
        ids[sid] = (await ingest(t, 'rtu-push', 'person', person('rtu.lv', sid, code(2000, 5, 6, 301 + i)))).recordId;
        ids[`AW-${sid}`] = (await ingest(t, 'rtu-push', 'award', award('rtu.lv', `AW-${sid}`, sid))).recordId;
      }
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-300001', 'RTU300001', 'given'));
    });
    after(async () => {
      await t?.stop();
    });

    it('a cached full page equals a fresh read; a page that was not full is not cached; a rewrite of the change log starts afresh', async () => {
      const cache = new FeedPageCache();
      const q = (after: number): FeedQuery => ({ entity: 'award', after, limit: 2, view: FULL_VIEW });
      const fresh = await readFeed(t.hub.store.sql, q(0));
      assert.equal(fresh.hasMore, true);
      const first = await readFeed(t.hub.store.sql, q(0), cache);
      assert.deepEqual([cache.hits, cache.misses, cache.size], [0, 1, 1]);
      const again = await readFeed(t.hub.store.sql, q(0), cache);
      assert.deepEqual([cache.hits, cache.misses], [1, 1]);
      for (const p of [first, again]) {
        assert.deepEqual(p.items, fresh.items);
        assert.deepEqual([p.next, p.hasMore, p.disclosed], [fresh.next, fresh.hasMore, fresh.disclosed]);
        assert.deepEqual(JSON.parse(p.itemsBytes!.toString()), fresh.items);
      }
      // The last page is not full: read from the store each time, never kept.
      const last = await readFeed(t.hub.store.sql, q(fresh.next), cache);
      assert.equal(last.hasMore, false);
      assert.equal(last.itemsBytes, undefined);
      await readFeed(t.hub.store.sql, q(fresh.next), cache);
      assert.deepEqual([cache.hits, cache.misses, cache.size], [1, 3, 1]);
      // An erasure rewrites stored events: a page read before it is not served after it.
      await newChangeLogGeneration(t.hub.store.sql);
      assert.deepEqual((await readFeed(t.hub.store.sql, q(0), cache)).items, fresh.items);
      assert.deepEqual([cache.hits, cache.misses], [1, 4]);
    });

    it('a cached page is screened again on every request: what passes now is served, not what passed then', async () => {
      const cache = new FeedPageCache();
      const events = (await readFeed(t.hub.store.sql, { entity: 'award', after: 0, limit: 2, view: FULL_VIEW })).disclosed;
      let allowed = new Set(events.map((e) => e.eventId));
      const q: FeedQuery = { entity: 'award', after: 0, limit: 2, view: FULL_VIEW, screen: async (es: ChangeEvent[]) => es.filter((e) => allowed.has(e.eventId)) };
      const all = await readFeed(t.hub.store.sql, q, cache);
      assert.equal(all.items.length, 2);
      allowed = new Set([events[1]!.eventId]);
      const one = await readFeed(t.hub.store.sql, q, cache);
      assert.equal(cache.hits, 1);
      assert.deepEqual(
        one.items.map((e) => e.eventId),
        [events[1]!.eventId],
      );
      assert.deepEqual(JSON.parse(one.itemsBytes!.toString()), one.items);
      assert.deepEqual(one.disclosed, [events[1]]);
    });

    it('over HTTP: the same bytes to two tokens of one view, each disclosure logged; a consent given later shows on the cached page', async () => {
      const a = await token('reader a', ['admin']);
      const b = await token('reader b', ['admin']);
      const cache = pageCacheOf(t.hub);
      const first = await request(t.app).get('/api/v1/feeds/award?limit=2').set(bearer(a.token)).expect(200);
      const hits = cache.hits;
      const second = await request(t.app).get('/api/v1/feeds/award?limit=2').set(bearer(b.token)).expect(200);
      assert.equal(cache.hits, hits + 1, 'the second reader got the cached page');
      assert.equal(second.body.hasMore, true);
      assert.equal(second.text, first.text);
      assert.equal(second.headers.etag, first.headers.etag);
      assert.match(String(second.headers['content-type']), /^application\/json/);
      assert.deepEqual(Object.keys(second.body), ['entity', 'consumer', 'after', 'next', 'hasMore', 'items']);
      const entries = await log();
      for (const tok of [a, b]) {
        assert.deepEqual(
          entries
            .filter((e) => e.route === `feed:*:${tok.id}`)
            .map((e) => e.recordId)
            .sort(),
          [ids['AW-RTU300001'], ids['AW-RTU300002']].sort(),
          'each reader of the cached page is in the disclosure log',
        );
      }
      // The cached page remembers the channels it is logged on; reading it again adds no entry, a new reader does.
      const cachedPage = await readFeed(t.hub.store.sql, { entity: 'award', after: 0, limit: 2, view: FULL_VIEW }, cache);
      assert.deepEqual([...cachedPage.logged!].sort(), [`feed:*:${a.id}`, `feed:*:${b.id}`].sort());
      await request(t.app).get('/api/v1/feeds/award?limit=2').set(bearer(a.token)).expect(200);
      assert.equal((await log()).length, entries.length, 'a page read again adds nothing to the log');
      const c = await token('reader c', ['admin']);
      await request(t.app).get('/api/v1/feeds/award?limit=2').set(bearer(c.token)).expect(200);
      assert.equal((await log()).filter((e) => e.route === `feed:*:${c.id}`).length, 2, 'a new reader of the cached page is logged');

      // The consent consumer: only the person who consented, then also the one who consents later.
      const cv = await token('cv reader', ['feed:cv']);
      const read = async () => (await request(t.app).get('/api/v1/feeds/award?limit=2').set(bearer(cv.token)).expect(200)).body as { items: ChangeEvent[]; hasMore: boolean };
      const before = await read();
      assert.equal(before.hasMore, true);
      assert.deepEqual(
        before.items.map((e) => e.recordId),
        [ids['AW-RTU300001']],
      );
      assert.deepEqual(await read(), before);
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-300002', 'RTU300002', 'given'));
      const after = await read();
      assert.deepEqual(
        after.items.map((e) => e.recordId),
        [ids['AW-RTU300001'], ids['AW-RTU300002']],
      );
      assert.deepEqual(Object.keys(after.items[1]!.record!).sort(), ['id', 'institution', 'likCode', 'person', 'sourceId', 'title', 'version'], 'projected for the consumer');
      assert.deepEqual(
        (await log())
          .filter((e) => e.route === 'feed:cv' && e.entity === 'award')
          .map((e) => e.recordId)
          .sort(),
        [ids['AW-RTU300001'], ids['AW-RTU300002']].sort(),
      );
    });
  });
}
