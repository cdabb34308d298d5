import assert from 'node:assert/strict';
import request from 'supertest';
import type { ChangeEvent } from '../../src/core/types.ts';
import type { PostgresStore } from '../../src/store/postgres/store.ts';
import { auth, backends, baseConfig, canonicalPerson, makeHub, type TestHub } from '../helpers/hub.ts';

const TOTAL = 4000;
const BATCH = 200;
const WRITERS = 4;

for (const backend of backends()) {
  describe(`feed paging during a concurrent ingest (${backend})`, function () {
    this.timeout(120_000);
    let t: TestHub;
    before(async () => {
      // API role, no routes: this test is about the change sequence and the feed, not publishing or deliveries.
      t = await makeHub({ backend, role: 'api', config: baseConfig({ sinks: [], routes: [] }) });
      if (t.hub.store.kind === 'postgres') {
        // This session only: COMMIT does not wait for the WAL flush. Visibility order is unchanged (a
        // transaction becomes visible, then releases its advisory lock, either way); only the fsync
        // waits, serialised by that lock, are skipped, which keeps the test near 30 s on 2 cores.
        const pool = (t.hub.store as PostgresStore).pool;
        pool.on('connect', (c) => void c.query('SET synchronous_commit = off'));
        const clients = await Promise.all(Array.from({ length: 10 }, () => pool.connect()));
        for (const c of clients) {
          await c.query('SET synchronous_commit = off');
          c.release();
        }
      }
    });
    after(async () => {
      await t?.stop();
    });

    it(`a consumer paging while ${TOTAL} records are written receives each change exactly once, in order`, async () => {
      let done = false;
      const batches = Array.from({ length: TOTAL / BATCH }, (_, b) => Array.from({ length: BATCH }, (_, i) => canonicalPerson(b * BATCH + i + 1)));
      const writer = async () => {
        for (let b = batches.shift(); b; b = batches.shift()) {
          const results = await t.hub.pipeline.ingest('rtu-push', 'person', b, 'application/json');
          assert.ok(
            results.every((r) => r.status === 'committed'),
            'every record is committed',
          );
        }
      };
      const ingest = Promise.all(Array.from({ length: WRITERS }, writer)).finally(() => (done = true));

      const seen: ChangeEvent[] = [];
      let after = '0';
      let pages = 0;
      let emptyPolls = 0;
      for (;;) {
        const finished = done; // read before the page: once the ingest is over, a page without more is the end
        const res = await request(t.app).get(`/api/v1/feeds/person?after=${after}&limit=${BATCH}`).set(auth).expect(200);
        pages++;
        seen.push(...(res.body.items as ChangeEvent[]));
        after = res.body.next as string;
        if (res.body.items.length === 0) emptyPolls++;
        if (finished && !res.body.hasMore) break;
        if (res.body.items.length === 0) await new Promise((r) => setTimeout(r, 10));
        assert.ok(pages < 10_000, 'bounded');
      }
      await ingest;

      // In order: strictly increasing sequence numbers.
      for (let i = 1; i < seen.length; i++) assert.ok(seen[i]!.seq > seen[i - 1]!.seq, `seq ${seen[i]!.seq} after ${seen[i - 1]!.seq}`);
      // Exactly once: every change once, and every record (each created once) once.
      assert.equal(new Set(seen.map((e) => e.eventId)).size, seen.length, 'no event twice');
      assert.equal(seen.length, TOTAL);
      assert.equal(new Set(seen.map((e) => e.recordId)).size, TOTAL);
      assert.ok(seen.every((e) => e.op === 'upsert' && e.version === 1 && e.entity === 'person'));
      // Nothing missed: the feed holds exactly what the change table holds.
      const all = await t.hub.store.sql.query<{ seq: number | string }>("SELECT seq FROM changes WHERE entity = 'person' ORDER BY seq");
      assert.deepEqual(
        seen.map((e) => e.seq),
        all.map((r) => Number(r.seq)),
      );
      assert.ok(pages > 2, `the consumer paged during the ingest (${pages} pages, ${emptyPolls} empty)`);
    });
  });
}
