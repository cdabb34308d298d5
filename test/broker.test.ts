import amqp from 'amqplib';
import Database from 'better-sqlite3';
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { AmqpBroker, type AmqpBrokerOptions } from '../src/broker/amqp/broker.ts';
import { EmbeddedBroker } from '../src/broker/embedded/broker.ts';
import type { Broker, BrokerDelivery, Consumer } from '../src/broker/types.ts';
import { BrokerError } from '../src/core/errors.ts';
import { brokerConformance, testEvent, waitFor, type BrokerFixture } from './conformance/broker.suite.ts';
import { suiteNeeds } from './helpers/ci.ts';
import { TcpProxy } from './helpers/tcp-proxy.ts';

const rand = () => Math.random().toString(36).slice(2, 10);

brokerConformance('embedded', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-broker-'));
  const file = join(dir, 'broker.sqlite');
  const made: EmbeddedBroker[] = [];
  const open = () => {
    const b = new EmbeddedBroker(file);
    made.push(b);
    return b;
  };
  return {
    broker: open(),
    reopen: open,
    // A dead process simply stops: the next one to open the file takes over its unacked messages.
    crash: async () => {},
    cleanup: async () => {
      for (const b of made) await b.close();
      rmSync(dir, { recursive: true, force: true });
    },
  };
});

describe('EmbeddedBroker specifics', function () {
  this.timeout(30_000);

  it('the stats of a queue of `backgroundFrom` messages or more are counted on a thread of their own, with the same counts', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-broker-'));
    const broker = new EmbeddedBroker(join(dir, 'broker.sqlite'), 5000, { backgroundFrom: 3 });
    try {
      await broker.connect();
      await broker.declareQueue('big', ['#']);
      for (let i = 0; i < 3; i++) await broker.publish('person.upsert.lu.lv', testEvent());
      assert.deepEqual(await broker.stats('big'), { ready: 3, dead: 0 });
      assert.equal(broker.backgroundReads, 0, 'its size was not known: counted on the connection');
      assert.deepEqual(await broker.stats('big'), { ready: 3, dead: 0 });
      assert.equal(broker.backgroundReads, 1, 'three messages at the last look: on the thread');
      const got: BrokerDelivery[] = [];
      const c = await broker.consume(
        'big',
        async (d) => {
          got.push(d);
          return got.length === 1 ? { action: 'dead', error: 'no' } : { action: 'ack' };
        },
        { prefetch: 1 },
      );
      await waitFor('three handled', () => got.length === 3);
      await c.cancel();
      // The acks are written before the count (stats flushes them first); the first is a dead letter.
      assert.deepEqual(await broker.stats('big'), { ready: 0, dead: 1 });
      assert.equal(broker.backgroundReads, 2);
      assert.deepEqual(await broker.stats('big'), { ready: 0, dead: 1 });
      assert.equal(broker.backgroundReads, 2, 'one message at the last look: on the connection again');
    } finally {
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('a consumer whose file is locked by another process: the message is taken, its ack written once the file is free, the message not handed out twice meanwhile (no error thrown from a timer)', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-broker-'));
    const file = join(dir, 'broker.sqlite');
    // SQLite's busy wait (5 s by default) blocks the thread: 200 ms here.
    const broker = new EmbeddedBroker(file, 200);
    const other = new Database(file);
    try {
      await broker.connect();
      await broker.declareQueue('locked', ['#']);
      const e = testEvent();
      await broker.publish('person.upsert.lu.lv', e);
      // Another process holds the write lock: the consumer still reads (the claim is in this process's
      // memory), but the ack's DELETE fails with SQLITE_BUSY after the busy wait and is tried again.
      other.exec('BEGIN EXCLUSIVE');
      const got: BrokerDelivery[] = [];
      const c = await broker.consume(
        'locked',
        async (d) => {
          got.push(d);
          return { action: 'ack' };
        },
        { prefetch: 4 },
      );
      await waitFor('the message taken under the lock', () => got.length === 1);
      // Its ack is not on disk yet: it stays held, and no consumer's look hands it out again.
      await new Promise((r) => setTimeout(r, 700));
      assert.equal(got.length, 1, 'handed out once while its ack waits');
      assert.equal(Number((other.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n), 1, 'still in the file under the lock');
      other.exec('ROLLBACK');
      await waitFor('the ack written once the lock is gone', () => Number((other.prepare('SELECT COUNT(*) AS n FROM items').get() as { n: number }).n) === 0, 10_000);
      assert.equal(got.length, 1);
      assert.equal(got[0]!.event.eventId, e.eventId);
      await c.cancel();
      assert.deepEqual(await broker.stats('locked'), { ready: 0, dead: 0 });
    } finally {
      other.close();
      await broker.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

/** An AmqpBroker that remembers the queues it declared, so the test can delete them afterwards. */
class TrackedAmqpBroker extends AmqpBroker {
  constructor(
    url: string,
    opts: AmqpBrokerOptions,
    private readonly queues: Set<string>,
  ) {
    super(url, opts);
  }

  override async declareQueue(queue: string, patterns: string[]): Promise<void> {
    this.queues.add(queue);
    await super.declareQueue(queue, patterns);
  }
}

/** A fresh prefix on the server; cleanup deletes every exchange and queue made under it. */
function amqpFixture(url: string, opts: AmqpBrokerOptions = {}, brokerUrl = url): BrokerFixture & { prefix: string; open(o?: AmqpBrokerOptions): AmqpBroker } {
  const prefix = `test-${rand()}`;
  const queues = new Set<string>();
  const made: AmqpBroker[] = [];
  const open = (o: AmqpBrokerOptions = {}) => {
    const b = new TrackedAmqpBroker(brokerUrl, { prefix, ...opts, ...o }, queues);
    made.push(b);
    return b;
  };
  return {
    prefix,
    open,
    broker: open(),
    reopen: () => open(),
    crash: (b: Broker) => (b as AmqpBroker).destroy(),
    cleanup: async () => {
      for (const b of made) await b.close();
      const conn = await amqp.connect(url);
      try {
        const ch = await conn.createChannel();
        for (const q of queues) for (const suffix of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.${q}${suffix}`);
        await ch.deleteExchange(`${prefix}.hub.events`);
      } finally {
        await conn.close();
      }
    },
  };
}

const amqpUrl = process.env.AMQP_URL;
if (amqpUrl) {
  brokerConformance('amqp', async () => amqpFixture(amqpUrl));

  describe('AmqpBroker specifics', function () {
    this.timeout(20_000);
    const cleanups: (() => Promise<void>)[] = [];
    afterEach(async () => {
      for (const f of cleanups.splice(0).reverse()) await f();
    });

    async function fixture(opts: AmqpBrokerOptions = {}, brokerUrl = amqpUrl!) {
      const fx = amqpFixture(amqpUrl!, opts, brokerUrl);
      cleanups.push(fx.cleanup);
      await fx.broker.connect();
      return fx;
    }

    async function rawChannel() {
      const conn = await amqp.connect(amqpUrl!);
      cleanups.push(() => conn.close());
      return conn.createChannel();
    }

    async function proxied(opts: AmqpBrokerOptions = {}) {
      const u = new URL(amqpUrl!);
      const proxy = new TcpProxy(u.hostname, Number(u.port || 5672));
      const port = await proxy.start();
      cleanups.push(() => proxy.stop());
      u.hostname = '127.0.0.1';
      u.port = String(port);
      const fx = await fixture({ reconnect: { initialDelayMs: 50, maxDelayMs: 200 }, ...opts }, u.toString());
      return { proxy, fx, broker: fx.broker };
    }

    it('declares quorum queues with retry and dead-letter plumbing', async () => {
      const { broker, prefix } = await fixture();
      await broker.declareQueue('topo', ['#']);
      const q = (name: string) => `${prefix}.topo${name}`;
      /** What each queue must have been declared with (RabbitMQ refuses a declaration that differs). */
      const expected: Record<string, Record<string, unknown>> = {
        '': { 'x-delivery-limit': 20, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q('.dead') },
        '.retry': { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': q(''), 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' },
        '.dead': {},
        '.bindings': {},
      };
      const conn = await amqp.connect(amqpUrl!);
      cleanups.push(() => conn.close());
      /** Declares the queue again with these arguments on a channel of its own (a refusal closes the channel). */
      const redeclare = async (name: string, type: string) => {
        const ch = await conn.createChannel();
        ch.on('error', () => undefined);
        try {
          await ch.assertQueue(q(name), { durable: true, arguments: { 'x-queue-type': type, ...expected[name] } });
        } finally {
          await ch.close().catch(() => undefined);
        }
      };
      for (const name of Object.keys(expected)) {
        // The same arguments with type quorum are accepted: the queue exists with exactly these.
        await redeclare(name, 'quorum');
        // A classic queue of the same name is refused, naming the type the queue has.
        await assert.rejects(redeclare(name, 'classic'), /PRECONDITION_FAILED - inequivalent arg 'x-queue-type' .*received 'classic' but current is 'quorum'/, `${q(name)} is a quorum queue`);
      }
      await (await rawChannel()).checkExchange(`${prefix}.hub.events`);
      // Declaring again with the same arguments is fine (every process does it at start).
      await broker.declareQueue('topo', ['#']);
    });

    it('sends a poison (non-JSON) message straight to the dead letters, never to the handler', async () => {
      const { broker, prefix } = await fixture();
      await broker.declareQueue('poison', ['#']);
      let calls = 0;
      const c = await broker.consume(
        'poison',
        async () => {
          calls++;
          return { action: 'ack' };
        },
        { prefetch: 1 },
      );
      const ch = await rawChannel();
      ch.sendToQueue(`${prefix}.poison`, Buffer.from('{"eventId": "broken'), { persistent: true });
      ch.sendToQueue(`${prefix}.poison`, Buffer.from('[1, 2]'), { persistent: true });
      await waitFor('the poison messages dead', async () => (await broker.stats('poison')).dead === 2);
      // With the consumer gone, a message it held unacked would count as ready again.
      await c.cancel();
      await waitFor('the poison queue settled', async () => JSON.stringify(await broker.stats('poison')) === JSON.stringify({ ready: 0, dead: 2 }));
      assert.equal(calls, 0);
      const m = await ch.get(`${prefix}.poison.dead`, { noAck: true });
      assert.ok(m);
      assert.equal(m.content.toString(), '{"eventId": "broken');
      assert.match(String(m.properties.headers?.['x-error']), /not a JSON change event/);
    });

    it('keeps the attempt and the error in headers of retry and dead copies', async () => {
      const { broker, prefix } = await fixture();
      await broker.declareQueue('headers', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      const attempts: number[] = [];
      const c = await broker.consume(
        'headers',
        async (d) => {
          attempts.push(d.attempt);
          return d.attempt < 2 ? { action: 'retry', delayMs: 50, error: 'timeout' } : { action: 'dead', error: 'gave up after 2 attempts: timeout' };
        },
        { prefetch: 1 },
      );
      await waitFor('dead', async () => (await broker.stats('headers')).dead === 1);
      await c.cancel();
      assert.deepEqual(attempts, [1, 2]);
      const m = await (await rawChannel()).get(`${prefix}.headers.dead`, { noAck: true });
      assert.ok(m);
      assert.equal(m.properties.headers?.['x-attempt'], 2);
      assert.equal(m.properties.headers?.['x-error'], 'gave up after 2 attempts: timeout');
      assert.equal(m.properties.headers?.['x-routing-key'], 'person.upsert.lu.lv');
    });

    it('unbinds patterns a later declaration no longer wants, also from another process', async () => {
      const fx = await fixture();
      await fx.broker.declareQueue('rebind', ['person.#', 'course.#']);
      const later = fx.open();
      await later.connect();
      await later.declareQueue('rebind', ['course.#', 'grade.#']);
      await later.publish('person.upsert.lu.lv', testEvent());
      await later.publish('course.upsert.lu.lv', testEvent({ entity: 'course' }));
      await later.publish('grade.upsert.lu.lv', testEvent({ entity: 'grade' }));
      // Publishing waits for the broker's confirm, given once the message is routed: the counts are final.
      assert.equal((await later.stats('rebind')).ready, 2);
    });

    it('sendToQueue to a queue that does not exist fails instead of dropping the message', async () => {
      const { broker } = await fixture();
      await assert.rejects(broker.sendToQueue('no.such.queue', testEvent()), BrokerError);
      await broker.ping();
    });

    it('reconnects after the connection drops: topology and consumers come back', async () => {
      const { proxy, broker } = await proxied();
      await broker.declareQueue('reconnect', ['#']);
      const got: BrokerDelivery[] = [];
      const c: Consumer = await broker.consume(
        'reconnect',
        async (d) => {
          got.push(d);
          return { action: 'ack' };
        },
        { prefetch: 2 },
      );
      // Redeliveries after a drop may come too; what counts is that every event arrives.
      const arrived = (e: { eventId: string }) => got.some((d) => d.event.eventId === e.eventId);
      const e1 = testEvent();
      await broker.publish('person.upsert.lu.lv', e1);
      await waitFor('the first message', () => arrived(e1));
      proxy.refusing = true;
      proxy.drop();
      await waitFor('a reconnection attempt', () => proxy.refused > 0);
      // Published while the connection is being re-established: waits, then goes out.
      const e2 = testEvent();
      const publishing = broker.publish('person.upsert.lu.lv', e2);
      proxy.refusing = false;
      await publishing;
      await waitFor('the second message through the restored consumer', () => arrived(e2));
      await broker.ping();
      proxy.drop();
      await waitFor('reconnected again', async () =>
        broker.ping().then(
          () => true,
          () => false,
        ),
      );
      const e3 = testEvent();
      await broker.publish('person.upsert.lu.lv', e3);
      await waitFor('the third message', () => arrived(e3));
      await c.cancel();
    });

    it('a handler in flight when the connection drops: its message comes again, redelivered', async () => {
      const { proxy, broker } = await proxied();
      await broker.declareQueue('inflight', ['#']);
      const got: BrokerDelivery[] = [];
      let release!: () => void;
      const hang = new Promise<void>((r) => (release = r));
      const c = await broker.consume(
        'inflight',
        async (d) => {
          got.push(d);
          if (got.length === 1) await hang;
          return { action: 'ack' };
        },
        { prefetch: 1 },
      );
      await broker.publish('person.upsert.lu.lv', testEvent());
      await waitFor('the first delivery', () => got.length === 1);
      proxy.drop();
      await waitFor('the redelivery', () => got.length === 2);
      release();
      assert.equal(got[1]!.event.eventId, got[0]!.event.eventId);
      assert.equal(got[1]!.redelivered, true);
      // The late ack of the first copy (on the lost channel) changes nothing; with the consumer gone,
      // anything left unacked would count as ready.
      await c.cancel();
      await waitFor('an empty queue', async () => (await broker.stats('inflight')).ready === 0);
      assert.equal(got.length, 2);
    });

    it('publish during an outage waits for the broker, and gives up with BrokerError when it stays away', async () => {
      const { proxy, broker } = await proxied({ unavailableTimeoutMs: 800 });
      await broker.declareQueue('outage', ['#']);
      proxy.refusing = true;
      proxy.drop();
      const started = Date.now();
      await assert.rejects(broker.publish('person.upsert.lu.lv', testEvent()), BrokerError);
      // It waited for the broker before giving up (a lower bound only).
      const waited = Date.now() - started;
      assert.ok(waited >= 700, `gave up after ${waited} ms`);
      await assert.rejects(broker.ping(), BrokerError);
      let settled = false;
      const pending = broker.publish('person.upsert.lu.lv', testEvent()).finally(() => (settled = true));
      const refusedBefore = proxy.refused;
      await waitFor('another reconnection attempt', () => proxy.refused > refusedBefore);
      assert.equal(settled, false, 'the publish waits while the broker stays away');
      proxy.refusing = false;
      await pending;
      await waitFor('the message in the queue', async () => (await broker.stats('outage')).ready === 1);
    });

    it('close while reconnecting does not wait for the broker to come back', async () => {
      const { proxy, broker } = await proxied();
      proxy.refusing = true;
      proxy.drop();
      await waitFor('a reconnection attempt', () => proxy.refused > 0);
      // The broker stays away for the rest of the test: a close that waited for it would never return.
      await broker.close();
      await assert.rejects(broker.publish('person.upsert.lu.lv', testEvent()), BrokerError);
    });
  });
} else {
  describe('Broker conformance: amqp', () => {
    suiteNeeds('the amqp broker conformance suite', ['AMQP_URL']);
  });
}
