import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import pino from 'pino';
import { EmbeddedBroker } from '../src/broker/embedded/broker.ts';
import type { Broker } from '../src/broker/types.ts';
import type { ResolvedRoute } from '../src/config/types.ts';
import type { ChangeEvent } from '../src/core/types.ts';
import { HubMetrics } from '../src/observability/metrics.ts';
import { OutboxRelay } from '../src/pipeline/relay.ts';
import { LEASE_TTL_MS, RelayLease } from '../src/pipeline/relay-lease.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { suiteNeeds } from './helpers/ci.ts';

const databaseUrl = process.env.DATABASE_URL;
const rand = () => Math.random().toString(36).slice(2, 10);

describe('outbox relay among several workers (PostgreSQL)', function () {
  this.timeout(30_000);
  if (!databaseUrl) {
    suiteNeeds('the relay among workers', ['DATABASE_URL']);
    return;
  }
  const schema = `relay_test_${rand()}`;
  const dir = mkdtempSync(join(tmpdir(), 'hub-relay-'));
  let store: PostgresStore;
  let broker: EmbeddedBroker;
  after(async () => {
    await store?.close();
    await broker?.close();
    rmSync(dir, { recursive: true, force: true });
    const c = new pg.Client({ connectionString: databaseUrl });
    await c.connect();
    await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
    await c.end();
  });

  it('a lease not renewed for its time to live passes to another worker, and only then', async () => {
    store = new PostgresStore(databaseUrl, { schema, poolSize: 4 });
    await store.migrate();
    const a = new RelayLease(store.sql);
    const b = new RelayLease(store.sql);
    const t0 = Date.now();
    assert.equal(await a.acquire(t0), true);
    assert.equal(await b.acquire(t0 + LEASE_TTL_MS - 100), false, 'still held');
    assert.equal(await a.acquire(t0 + LEASE_TTL_MS - 50), true, 'renewed by its holder');
    assert.equal(await b.acquire(t0 + 2 * LEASE_TTL_MS - 100), false, 'the renewal counts from when it was made');
    assert.equal(await b.acquire(t0 + 2 * LEASE_TTL_MS), true, 'taken over once it ran out (the holder stopped renewing: killed)');
    assert.equal(await a.acquire(t0 + 2 * LEASE_TTL_MS + 10), false);
    await store.sql.run('DELETE FROM relay_lease');
    await store.close();
  });

  it('a relay whose lease was taken over in the middle of a batch stops publishing it; the new holder publishes the rest once', async () => {
    store = new PostgresStore(databaseUrl, { schema, poolSize: 4 });
    await store.migrate();
    broker = new EmbeddedBroker(join(dir, 'broker.sqlite'));
    await broker.connect();
    await broker.declareQueue('route.all', ['#']);
    for (let i = 0; i < 150; i++) {
      const { message } = await store.insertMessage({
        id: `m-${String(i).padStart(4, '0')}`,
        sourceId: 's',
        entity: 'person',
        institution: 'lu.lv',
        contentType: null,
        raw: '{}',
        rawSize: 2,
        idempotencyKey: null,
        status: 'received',
      });
      await store.commit({
        messageId: message.id,
        entity: 'person',
        institution: 'lu.lv',
        sourceSystem: 'lais',
        sourceId: `p${i}`,
        source: 's',
        sourceUpdatedAt: null,
        data: { i },
        op: 'upsert',
        schemaVersion: '1',
      });
    }
    const published: string[] = [];
    const logger = pino({ level: 'silent' });
    const tracking: Broker = Object.assign(Object.create(broker) as Broker, {
      publishMany: async (messages: { routingKey: string; event: ChangeEvent }[]) => {
        await broker.publishMany(messages);
        published.push(...messages.map((m) => m.event.eventId));
      },
    });
    const other = new OutboxRelay(store, tracking, [], new HubMetrics(), logger);
    // The first relay's broker: after its first window, the lease expires and the other relay takes it.
    const slow: Broker = Object.assign(Object.create(broker) as Broker, {
      publishMany: async (messages: { routingKey: string; event: ChangeEvent }[]) => {
        await broker.publishMany(messages);
        published.push(...messages.map((m) => m.event.eventId));
        await store.sql.run('UPDATE relay_lease SET expires_at = 0');
        assert.equal(await other['lease']!.acquire(), true);
      },
    });
    const first = new OutboxRelay(store, slow, [], new HubMetrics(), logger);
    assert.equal(await first['lease']!.acquire(), true);
    assert.equal(await first.publishBatch(), 64, 'one window, then the lease was gone');
    assert.equal(await first['lease']!.acquire(), false);
    assert.equal(await other.publishBatch(), 86);
    assert.equal(await other.publishBatch(), 0);
    assert.equal(published.length, 150);
    assert.equal(new Set(published).size, 150);
    assert.deepEqual(await store.pendingOutbox(10), []);
  });

  it('a relay taking over marks the events consumers already claimed on every route as published, and publishes only the rest', async () => {
    // The store and broker of the test before (all of its events published).
    assert.deepEqual(await store.pendingOutbox(10), []);
    const events: ChangeEvent[] = [];
    for (let i = 0; i < 10; i++) {
      const { message } = await store.insertMessage({
        id: `t-${i}`,
        sourceId: 's',
        entity: 'person',
        institution: 'lu.lv',
        contentType: null,
        raw: '{}',
        rawSize: 2,
        idempotencyKey: null,
        status: 'received',
      });
      const r = await store.commit({
        messageId: message.id,
        entity: 'person',
        institution: 'lu.lv',
        sourceSystem: 'lais',
        sourceId: `t${i}`,
        source: 's',
        sourceUpdatedAt: null,
        data: { i },
        op: 'upsert',
        schemaVersion: '1',
      });
      events.push(r.event!);
    }
    // The previous holder published all ten and died before marking them; consumers claimed 0–3 on
    // both routes and 4 on one route only.
    for (const e of events.slice(0, 4)) for (const r of ['r1', 'r2']) assert.equal((await store.beginAttempt(e.eventId, r)).proceed, true);
    assert.equal((await store.beginAttempt(events[4]!.eventId, 'r1')).proceed, true);
    const published: string[] = [];
    const tracking: Broker = Object.assign(Object.create(broker) as Broker, {
      publishMany: async (messages: { routingKey: string; event: ChangeEvent }[]) => {
        await broker.publishMany(messages);
        published.push(...messages.map((m) => m.event.eventId));
      },
    });
    const routes = ['r1', 'r2'].map((id) => ({ id, match: {} }) as unknown as ResolvedRoute);
    const relay = new OutboxRelay(store, tracking, routes, new HubMetrics(), pino({ level: 'silent' }));
    relay['takingOver'] = true;
    assert.equal(await relay.publishBatch(), 6);
    assert.deepEqual(
      published,
      events.slice(4).map((e) => e.eventId),
    );
    assert.deepEqual(await store.pendingOutbox(10), []);
    for (const e of events.slice(0, 4)) assert.equal((await store.getMessage(e.messageId!))!.status, 'published');
    assert.deepEqual(
      (await store.listDeliveries(events[4]!.messageId!)).map((d) => [d.routeId, d.attempts]),
      [
        ['r1', 1],
        ['r2', 0],
      ],
    );
  });
});
