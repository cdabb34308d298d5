import assert from 'node:assert/strict';
import pino from 'pino';
import { changesAfter } from '../src/store/changes.ts';
import type { IngestItem, Store } from '../src/store/types.ts';
import { ChunkBudget } from '../src/pipeline/chunk-budget.ts';
import { INGEST_CHUNK_BUDGET_MS, Pipeline } from '../src/pipeline/pipeline.ts';
import { canonicalPerson, makeHub, type TestHub } from './helpers/hub.ts';

describe('ingest chunks bounded by time (src/pipeline/chunk-budget.ts)', () => {
  it('starts small, fits the budget to the time a record takes, within min, max and what is left', () => {
    const b = new ChunkBudget(8, 100);
    assert.equal(b.size(1000), 20, 'nothing measured yet: a first chunk of 20');
    assert.equal(b.size(7), 7, 'never more than is left');
    b.observe(20, 4); // 0.2 ms a record: 40 fit in 8 ms
    assert.equal(b.size(1000), 40);
    b.observe(10, 20); // a slow chunk (2 ms a record) counts at once: 4 fit
    assert.equal(b.size(1000), 4);
    const sizes: number[] = [];
    for (let i = 0; i < 12; i++) {
      b.observe(b.size(1000), b.size(1000) * 0.05); // fast again: the estimate comes back down step by step
      sizes.push(b.size(1000));
    }
    assert.ok(
      sizes.every((s, i) => i === 0 || s >= sizes[i - 1]!),
      `grows back gradually: ${sizes.join(' ')}`,
    );
    assert.equal(sizes[sizes.length - 1], 100, 'up to the count bound');
    b.observe(1, 500); // one record slower than the whole budget: still one at a time, never none
    assert.equal(b.size(1000), 1);
    const even = new ChunkBudget(8, 100);
    even.observe(10, 2); // 40 fit: 100 records go as 34, 33, 33, not 40, 40, 20
    assert.deepEqual([even.size(100), even.size(66), even.size(33)], [34, 33, 33]);
    const floor = new ChunkBudget(8, 100, 25);
    floor.observe(10, 100); // 10 ms a record: still 25 a chunk
    assert.equal(floor.size(1000), 25);
    assert.throws(() => new ChunkBudget(0, 100), RangeError);
    assert.throws(() => new ChunkBudget(8, 0), RangeError);
  });
});

describe('Pipeline.ingest with time-bounded chunks (embedded)', function () {
  this.timeout(60_000);
  let t: TestHub;
  before(async () => {
    t = await makeHub();
  });
  after(async () => {
    await t?.stop();
  });

  /** A pipeline on the hub's store whose chunk sizes are noted (the store itself is the real one). */
  const pipeline = (chunkBudgetMs: number | undefined, sizes: number[], chunkMin?: number, config = t.config) => {
    const real = t.hub.store;
    const store: Store = Object.create(real) as Store;
    store.ingestBatch = (items: IngestItem[]) => {
      sizes.push(items.length);
      return real.ingestBatch(items);
    };
    return new Pipeline({
      config,
      store,
      schemas: t.hub.schemas,
      mappings: t.hub.mappings,
      metrics: t.hub.metrics,
      logger: pino({ level: 'silent' }),
      ...(chunkBudgetMs !== undefined ? { chunkBudgetMs } : {}),
      ...(chunkMin ? { chunkMin } : {}),
    });
  };

  it('the default budget is a few milliseconds, the config default of limits.ingestChunkMs', () => {
    assert.ok(INGEST_CHUNK_BUDGET_MS > 0 && INGEST_CHUNK_BUDGET_MS <= 20);
    assert.equal(t.config.limits?.ingestChunkMs, INGEST_CHUNK_BUDGET_MS, 'filled in at load');
  });

  it('limits.ingestChunkMs of the config sets the budget: an initial load may take 100-record chunks', async () => {
    const sizes: number[] = [];
    const p = pipeline(undefined, sizes, undefined, { ...t.config, limits: { ...t.config.limits, ingestChunkMs: 60_000 } });
    const results = await p.ingest(
      'rtu-push',
      'person',
      Array.from({ length: 250 }, (_, i) => canonicalPerson(830_000 + i)),
      'application/json',
    );
    assert.deepEqual(sizes, [25, 75, 75, 75]);
    assert.ok(results.every((r) => r.status === 'committed'));
    const tight: number[] = [];
    await pipeline(undefined, tight, undefined, { ...t.config, limits: { ...t.config.limits, ingestChunkMs: 1 } }).ingest(
      'rtu-push',
      'person',
      Array.from({ length: 100 }, (_, i) => canonicalPerson(840_000 + i)),
      'application/json',
    );
    assert.ok(tight.length >= 4 && tight.every((n) => n <= 25), `a 1 ms budget keeps chunks at the floor or below: ${tight.join(' ')}`);
  });

  it('commits every record once and in order, however the call is cut: results by index, duplicates and rejections where they were', async () => {
    const sizes: number[] = [];
    // A budget no transaction fits, no floor: after a first chunk of about 20, one record a transaction.
    const p = pipeline(0.0001, sizes, 1);
    const records: Record<string, unknown>[] = [];
    for (let i = 0; i < 130; i++) records.push(canonicalPerson(900_000 + i, { givenNames: `N${i}` }));
    records[50] = { ...records[50], familyName: undefined }; // rejected by the schema
    records.push(records[7]!); // the same input again, in a later chunk: a duplicate of record 7
    const results = await p.ingest('rtu-push', 'person', records, 'application/json');

    assert.equal(sizes[0], 19, '131 records at 20 a chunk, evened out');
    assert.ok(sizes.length > 100 && sizes.slice(1).every((s) => s === 1), `chunks: ${sizes.join(' ')}`);
    assert.equal(
      sizes.reduce((a, b) => a + b, 0),
      records.length,
      'each record stored once',
    );
    assert.deepEqual(
      results.map((r) => r.index),
      records.map((_, i) => i),
    );
    assert.equal(results[50]!.status, 'rejected');
    assert.equal(results[130]!.duplicate, true);
    assert.equal(results[130]!.messageId, results[7]!.messageId);
    const committed = results.filter((r) => r.status === 'committed' && !r.duplicate);
    assert.equal(committed.length, 129);
    assert.equal(new Set(committed.map((r) => r.recordId)).size, 129);

    // The change log holds one event per committed record, in the order of the input.
    const events = await changesAfter(t.hub.store.sql, { after: 0, limit: 1000, entities: ['person'] });
    const ours = events.filter((e) => String(e.record?.sourceId).startsWith('RTU9'));
    assert.deepEqual(
      ours.map((e) => e.recordId),
      committed.map((r) => r.recordId),
    );
  });

  it('with room in the budget, chunks grow up to 100 records, evened out over the call', async () => {
    const sizes: number[] = [];
    const p = pipeline(60_000, sizes);
    const records = Array.from({ length: 250 }, (_, i) => canonicalPerson(910_000 + i));
    const results = await p.ingest('rtu-push', 'person', records, 'application/json');
    assert.deepEqual(sizes, [25, 75, 75, 75]);
    assert.ok(results.every((r, i) => r.index === i && r.status === 'committed'));
  });

  it('however slow the records, a chunk holds at least 25 (the default floor)', async () => {
    const sizes: number[] = [];
    const p = pipeline(0.0001, sizes);
    await p.ingest(
      'rtu-push',
      'person',
      Array.from({ length: 100 }, (_, i) => canonicalPerson(920_000 + i)),
      'application/json',
    );
    assert.deepEqual(sizes, [25, 25, 25, 25]);
  });
});
