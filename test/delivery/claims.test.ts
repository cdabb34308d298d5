import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import type { ChangeEvent } from '../../src/core/types.ts';
import { HubMetrics } from '../../src/observability/metrics.ts';
import { AttemptBatcher } from '../../src/routing/attempt-batcher.ts';
import { BUSY_RETRY_MAX_MS, deliverClaimed, DeliveryEngine, type Subscriber } from '../../src/routing/delivery-engine.ts';
import { CLAIM_TIMEOUT_MS } from '../../src/store/claims.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';

/** A broker delivery meeting another copy's claim (src/store/claims.ts): the router's side of the rule. */
describe('a copy of an event whose attempt is in progress (router)', () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-claims-'));
  const store = new SqliteStore(join(dir, 'hub.sqlite'));
  const metrics = new HubMetrics();
  const d = { attempts: new AttemptBatcher(store), engine: new DeliveryEngine(pino({ level: 'silent' }), metrics), metrics };
  const calls: string[] = [];
  const sub: Subscriber = {
    id: 'r1',
    metricLabel: 'r1',
    retry: { maxAttempts: 3, initialDelayMs: 10, multiplier: 2, maxDelayMs: 100 },
    deliver: async (e) => void calls.push(e.eventId),
  };
  let event: ChangeEvent;

  /** A message committed as a record version with its change event (an input that went through). */
  async function committed(id: string, sourceId: string, n: number) {
    const { message } = await store.insertMessage({ id, sourceId: 's', entity: 'person', institution: 'lu.lv', contentType: null, raw: '{}', rawSize: 2, idempotencyKey: null, status: 'received' });
    const r = await store.commit({
      messageId: message.id,
      entity: 'person',
      institution: 'lu.lv',
      sourceSystem: 'lais',
      sourceId,
      source: 's',
      sourceUpdatedAt: null,
      data: { n },
      op: 'upsert',
      schemaVersion: '1',
    });
    return { message, r };
  }

  before(async () => {
    await store.migrate();
    const { message, r } = await committed('m-1', 'p1', 1);
    event = r.event!;
    await store.markPublished([{ eventId: event.eventId, messageId: message.id, routeIds: ['r1'] }]);
  });
  after(async () => {
    await store.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('waits (retry, not ack) while the other attempt runs, then is acked without calling the sink once it is delivered', async () => {
    // Another worker claimed it a moment ago and is delivering it.
    const other = await store.beginAttempt(event.eventId, 'r1');
    assert.deepEqual(other, { proceed: true, attempt: 1 });
    const waiting = await deliverClaimed(d, sub, event);
    assert.equal(waiting.action, 'retry');
    assert.ok(waiting.action === 'retry' && waiting.delayMs > 0 && waiting.delayMs <= BUSY_RETRY_MAX_MS, JSON.stringify(waiting));
    assert.deepEqual(calls, []);
    await store.finishAttempt({ eventId: event.eventId, routeId: 'r1', attempt: 1, outcome: 'delivered', status: 'delivered', error: null, detail: null, durationMs: 1 });
    assert.deepEqual(await deliverClaimed(d, sub, event), { action: 'ack' });
    assert.deepEqual(calls, []);
    assert.equal((await store.listAttempts('m-1')).length, 1);
  });

  it('a claim whose worker died is taken over once it timed out: the copy delivers it', async () => {
    const { r } = await committed('m-2', 'p2', 2);
    const e = r.event!;
    // Claimed 30 s ago by a worker that never recorded an outcome.
    assert.equal((await store.beginAttempt(e.eventId, 'r1', Date.now() - CLAIM_TIMEOUT_MS - 1)).proceed, true);
    assert.deepEqual(await deliverClaimed(d, sub, e), { action: 'ack' });
    assert.deepEqual(calls, [e.eventId]);
    assert.deepEqual(
      (await store.listAttempts('m-2')).map((a) => [a.attempt, a.outcome]),
      [[2, 'delivered']],
    );
  });

  it('a worker renews the claims of its attempts in progress, so a slow sink is not called twice; once released, the claim lapses', async function () {
    this.timeout(20_000);
    const { r } = await committed('m-3', 'p3', 3);
    const e = r.event!;
    const worker = new AttemptBatcher(store);
    const claim = await worker.begin(e.eventId, 'r1');
    assert.equal(claim.proceed, true);
    // Longer than a claim lasts without renewal: the worker's renewals keep a copy out.
    await new Promise((resolve) => setTimeout(resolve, CLAIM_TIMEOUT_MS + 600));
    const copy = await store.beginAttempt(e.eventId, 'r1');
    assert.equal(copy.proceed, false, 'a copy is refused while the slow attempt runs');
    assert.ok(copy.busyMs !== undefined && copy.busyMs > 0);
    // The attempt ends without an outcome (its worker stops renewing, as a dead one would): the claim lapses and is taken over.
    worker.release(e.eventId, 'r1', claim.attempt);
    assert.deepEqual(await store.beginAttempt(e.eventId, 'r1', Date.now() + CLAIM_TIMEOUT_MS + 1), { proceed: true, attempt: 2 });
  });
});
