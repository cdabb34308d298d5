import assert from 'node:assert/strict';
import type { Broker, BrokerDelivery, Consumer, Handler } from '../../src/broker/types.ts';
import { uuidv7 } from '../../src/core/ids.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { eventually } from '../helpers/eventually.ts';

/** What a broker implementation hands the suite. */
export interface BrokerFixture {
  /** A fresh broker (not yet connected) on fresh durable state. */
  broker: Broker;
  /** Another broker on the same durable state (same file, same server and prefix), not yet connected: a restarted process. */
  reopen(): Broker;
  /** Makes b behave like a process that died: nothing acked, nothing waited for. */
  crash(b: Broker): Promise<void>;
  /** Closes whatever is still open and removes the durable state. */
  cleanup(): Promise<void>;
}

let seq = 0;

/** A valid change event (src/core/types.ts). */
export function testEvent(over: Partial<ChangeEvent> = {}): ChangeEvent {
  const recordId = uuidv7();
  return {
    eventId: uuidv7(),
    seq: ++seq,
    entity: 'person',
    op: 'upsert',
    schemaVersion: '1.0.0',
    source: 'lu-lais',
    institution: 'lu.lv',
    occurredAt: new Date().toISOString(),
    recordId,
    version: 1,
    messageId: uuidv7(),
    record: { id: recordId, version: 1, sourceId: 's1', givenNames: 'Anna', familyName: 'Bērziņa' },
    ...over,
  };
}

/** Waits for a condition (the tests' one polling helper, with the suite's shorter timeout). */
export async function waitFor(what: string, cond: () => boolean | Promise<boolean>, timeoutMs = 5000): Promise<void> {
  await eventually(cond, timeoutMs, what, 10);
}

/** A handler at work for a while (not a wait for a condition: the work it stands for takes time). */
const busy = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** A promise with its resolve function. */
function deferred<T>(): { promise: Promise<T>; resolve: (v: T) => void } {
  let resolve!: (v: T) => void;
  const promise = new Promise<T>((r) => (resolve = r));
  return { promise, resolve };
}

/**
 * The Broker contract (src/broker/types.ts), run against every implementation. Each test gets a
 * fresh broker from make(), connected by the suite. Delays are short so the suite stays fast.
 */
export function brokerConformance(name: string, make: () => Promise<BrokerFixture>): void {
  describe(`Broker conformance: ${name}`, function () {
    this.timeout(15_000);
    let fx: BrokerFixture;
    let broker: Broker;
    const consumers: Consumer[] = [];

    beforeEach(async () => {
      fx = await make();
      broker = fx.broker;
      await broker.connect();
    });
    afterEach(async () => {
      await Promise.all(consumers.splice(0).map((c) => c.cancel()));
      await fx.cleanup();
    });

    async function consume(queue: string, handler: Handler, prefetch = 5, b: Broker = broker): Promise<Consumer> {
      const c = await b.consume(queue, handler, { prefetch });
      consumers.push(c);
      return c;
    }

    /**
     * Consumes and acks until `count` messages came, stops consuming, and returns them in order. The
     * queue must then be empty: a message more would be held there (or have come too), never missed.
     */
    async function drain(queue: string, count: number, b: Broker = broker): Promise<BrokerDelivery[]> {
      const got: BrokerDelivery[] = [];
      const c = await b.consume(
        queue,
        async (d) => {
          got.push(d);
          return { action: 'ack' };
        },
        { prefetch: 10 },
      );
      try {
        await eventually(() => got.length >= count || undefined, 5000, `${count} messages from ${queue}`, 10).catch((e: Error) => {
          throw new Error(`${e.message} (${got.length} came)`);
        });
      } finally {
        await c.cancel();
      }
      await settled(queue, { ready: 0, dead: 0 }, b);
      return got;
    }

    /**
     * Waits until the queue's counts are these and returns. A consumer that is still running
     * must be cancelled first: an unacked message counts as ready only once its consumer is gone.
     */
    async function settled(queue: string, want: { ready: number; dead: number }, b: Broker = broker): Promise<void> {
      await eventually(
        async () => {
          const s = await b.stats(queue);
          if (s.ready !== want.ready || s.dead !== want.dead) throw new Error(`it holds ${JSON.stringify(s)}`);
          return true;
        },
        5000,
        `${queue} to hold ${JSON.stringify(want)}`,
        10,
      );
    }

    it('answers ping once connected', async () => {
      await broker.ping();
      assert.ok(broker.kind === 'embedded' || broker.kind === 'amqp');
    });

    it('routes a published event only to the queues whose patterns match', async () => {
      await broker.declareQueue('r.one', ['person.*.lu.lv']);
      await broker.declareQueue('r.all', ['#']);
      await broker.declareQueue('r.course', ['course.upsert.#']);
      // Institutions have dots: '*' is one word, so this matches none of the keys below.
      await broker.declareQueue('r.star', ['person.upsert.*']);
      await broker.declareQueue('r.exact', ['person.upsert.lu.lv']);
      await broker.declareQueue('r.two', ['person.delete.#', 'course.#']);
      await broker.declareQueue('r.none', ['grade.#']);
      const e1 = testEvent();
      const e2 = testEvent({ entity: 'course', institution: 'rtu.lv' });
      const e3 = testEvent({ op: 'delete', institution: 'rtu.lv' });
      const e4 = testEvent({ institution: 'rtu.lv' });
      await broker.publish('person.upsert.lu.lv', e1);
      await broker.publish('course.upsert.rtu.lv', e2);
      await broker.publish('person.delete.rtu.lv', e3);
      await broker.publish('person.upsert.rtu.lv', e4);
      const expected: Record<string, ChangeEvent[]> = {
        'r.one': [e1],
        'r.all': [e1, e2, e3, e4],
        'r.course': [e2],
        'r.exact': [e1],
        'r.two': [e2, e3],
        'r.none': [],
        'r.star': [],
      };
      for (const [q, events] of Object.entries(expected)) {
        await waitFor(`${q} to hold ${events.length}`, async () => (await broker.stats(q)).ready === events.length);
        const got = await drain(q, events.length);
        assert.deepEqual(got.map((d) => d.event.eventId).sort(), events.map((e) => e.eventId).sort(), `queue ${q}`);
      }
    });

    it('publishMany routes each message by its own key and keeps their order', async () => {
      await broker.declareQueue('many.person', ['person.#']);
      await broker.declareQueue('many.all', ['#']);
      const events = Array.from({ length: 30 }, (_, i) => (i % 3 === 0 ? testEvent({ entity: 'course' }) : testEvent()));
      await broker.publishMany(events.map((e) => ({ routingKey: `${e.entity}.upsert.lu.lv`, event: e })));
      await waitFor('all 30 held', async () => (await broker.stats('many.all')).ready === 30);
      assert.equal((await broker.stats('many.person')).ready, 20);
      const got = await drain('many.all', 30);
      assert.deepEqual(
        got.map((d) => d.event.eventId),
        events.map((e) => e.eventId),
      );
    });

    it('keeps what was published before anyone consumed, and hands it over intact', async () => {
      await broker.declareQueue('keep', ['person.#']);
      const e = testEvent();
      await broker.publish('person.upsert.lu.lv', e);
      const [d, ...rest] = await drain('keep', 1);
      assert.equal(rest.length, 0);
      assert.ok(d);
      assert.deepEqual(d.event, e);
      assert.equal(d.routingKey, 'person.upsert.lu.lv');
      assert.equal(d.attempt, 1);
      assert.equal(d.redelivered, false);
      assert.equal(typeof d.id, 'string');
      assert.ok(d.id.length > 0);
    });

    it('an acked message is gone', async () => {
      await broker.declareQueue('ack', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      let calls = 0;
      const c = await consume('ack', async () => {
        calls++;
        return { action: 'ack' };
      });
      await waitFor('the delivery', () => calls === 1);
      // Once the consumer is gone, an ack that was lost would show the message ready again.
      await c.cancel();
      await settled('ack', { ready: 0, dead: 0 });
      assert.equal(calls, 1);
    });

    it('retry delivers again after about the delay, with the attempt counted up', async () => {
      await broker.declareQueue('retry', ['#']);
      const e = testEvent();
      await broker.publish('person.upsert.lu.lv', e);
      const seen: { d: BrokerDelivery; at: number }[] = [];
      await consume('retry', async (d) => {
        seen.push({ d, at: Date.now() });
        return seen.length < 3 ? { action: 'retry', delayMs: 150, error: 'sink timed out' } : { action: 'ack' };
      });
      await waitFor('three attempts', () => seen.length === 3);
      assert.deepEqual(
        seen.map((s) => s.d.attempt),
        [1, 2, 3],
      );
      for (const s of seen) {
        assert.deepEqual(s.d.event, e);
        assert.equal(s.d.routingKey, 'person.upsert.lu.lv');
      }
      // Never before the delay (a lower bound only: a busy machine is later, never earlier).
      for (let i = 1; i < 3; i++) {
        const gap = seen[i]!.at - seen[i - 1]!.at;
        assert.ok(gap >= 130, `retry came after ${gap} ms, before the 150 ms delay`);
      }
      await consumers.pop()!.cancel();
      await settled('retry', { ready: 0, dead: 0 });
      assert.equal(seen.length, 3);
    });

    it('a scheduled retry counts as ready', async () => {
      await broker.declareQueue('sched', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      let calls = 0;
      // A delay no test run reaches: the retry stays scheduled while the counts are read.
      const c = await consume('sched', async () => (++calls === 1 ? { action: 'retry', delayMs: 600_000, error: 'later' } : { action: 'ack' }));
      await waitFor('the first attempt', () => calls === 1);
      await c.cancel();
      await settled('sched', { ready: 1, dead: 0 });
      assert.equal(calls, 1);
    });

    it('dead moves the message to the dead letters, not delivered again', async () => {
      await broker.declareQueue('dead', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      let calls = 0;
      await consume('dead', async () => {
        calls++;
        return { action: 'dead', error: 'rejected: 400 Bad Request' };
      });
      await waitFor('the delivery', () => calls === 1);
      await consumers.pop()!.cancel();
      await settled('dead', { ready: 0, dead: 1 });
      assert.equal(calls, 1);
    });

    it('a handler that throws is retried after about a second', async () => {
      await broker.declareQueue('throws', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      const seen: { attempt: number; at: number }[] = [];
      await consume('throws', async (d) => {
        seen.push({ attempt: d.attempt, at: Date.now() });
        if (seen.length === 1) throw new Error('boom');
        return { action: 'ack' };
      });
      await waitFor('the retry', () => seen.length === 2, 5000);
      assert.deepEqual(
        seen.map((s) => s.attempt),
        [1, 2],
      );
      // Not at once: about a second later (a lower bound only).
      const gap = seen[1]!.at - seen[0]!.at;
      assert.ok(gap >= 900, `retried after ${gap} ms`);
    });

    it('prefetch bounds the handlers running at once', async () => {
      await broker.declareQueue('prefetch', ['#']);
      for (let i = 0; i < 8; i++) await broker.publish('person.upsert.lu.lv', testEvent());
      let running = 0;
      let most = 0;
      let done = 0;
      await consume(
        'prefetch',
        async () => {
          most = Math.max(most, ++running);
          // Each handler waits until the prefetch window is full (or nothing more can come), so that
          // a fourth handler would start now if the bound did not hold.
          await waitFor('a full prefetch window', () => running >= 3 || done + running === 8);
          running--;
          done++;
          return { action: 'ack' };
        },
        3,
      );
      await waitFor('all eight', () => done === 8);
      assert.equal(most, 3);
    });

    it('sendToQueue puts a message on one queue only', async () => {
      await broker.declareQueue('direct.a', ['nothing.matches']);
      await broker.declareQueue('direct.b', ['#']);
      const e = testEvent();
      await broker.sendToQueue('direct.a', e);
      assert.deepEqual(await broker.stats('direct.b'), { ready: 0, dead: 0 });
      const got = await drain('direct.a', 1);
      assert.deepEqual(
        got.map((d) => [d.event.eventId, d.attempt]),
        [[e.eventId, 1]],
      );
    });

    it('requeueDead moves the dead letters back, attempt 1 again', async () => {
      await broker.declareQueue('requeue', ['#']);
      const events = [testEvent(), testEvent()];
      for (const e of events) await broker.publish('person.upsert.lu.lv', e);
      let kill = true;
      const seen: BrokerDelivery[] = [];
      await consume('requeue', async (d) => {
        seen.push(d);
        return kill ? { action: 'dead', error: 'no' } : { action: 'ack' };
      });
      await waitFor('two dead letters', async () => (await broker.stats('requeue')).dead === 2);
      kill = false;
      assert.equal(await broker.requeueDead('requeue'), 2);
      await waitFor('both again', () => seen.length === 4);
      assert.deepEqual(
        seen.slice(2).map((d) => d.attempt),
        [1, 1],
      );
      assert.deepEqual(
        seen
          .slice(2)
          .map((d) => d.event.eventId)
          .sort(),
        events.map((e) => e.eventId).sort(),
      );
      await waitFor('an empty queue', async () => {
        const s = await broker.stats('requeue');
        return s.ready === 0 && s.dead === 0;
      });
      assert.equal(await broker.requeueDead('requeue'), 0);
    });

    it('stats of an unknown queue are zero', async () => {
      assert.deepEqual(await broker.stats('never.declared'), { ready: 0, dead: 0 });
    });

    it('cancel waits for the handler in flight and takes no more', async () => {
      await broker.declareQueue('cancel', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      const started = deferred<void>();
      let finished = false;
      let calls = 0;
      const c = await broker.consume(
        'cancel',
        async () => {
          calls++;
          started.resolve();
          await busy(200);
          finished = true;
          return { action: 'ack' };
        },
        { prefetch: 1 },
      );
      await started.promise;
      await c.cancel();
      assert.equal(finished, true);
      const later = testEvent();
      await broker.publish('person.upsert.lu.lv', later);
      // A new consumer gets the message: the cancelled one did not take it (one consumer per message).
      const [next] = await drain('cancel', 1);
      assert.equal(next?.event.eventId, later.eventId);
      assert.equal(calls, 1);
    });

    it('close waits for the handler in flight, whose ack is kept', async () => {
      await broker.declareQueue('close', ['#']);
      await broker.publish('person.upsert.lu.lv', testEvent());
      const started = deferred<void>();
      let finished = false;
      await broker.consume(
        'close',
        async () => {
          started.resolve();
          await busy(200);
          finished = true;
          return { action: 'ack' };
        },
        { prefetch: 1 },
      );
      await started.promise;
      await broker.close();
      assert.equal(finished, true);
      const again = fx.reopen();
      await again.connect();
      await again.declareQueue('close', ['#']);
      assert.deepEqual(await again.stats('close'), { ready: 0, dead: 0 });
    });

    it('keeps published messages across a restart', async () => {
      await broker.declareQueue('durable', ['#']);
      const e = testEvent();
      await broker.publish('person.upsert.lu.lv', e);
      await broker.close();
      const again = fx.reopen();
      await again.connect();
      await again.declareQueue('durable', ['#']);
      const got = await drain('durable', 1, again);
      assert.deepEqual(
        got.map((d) => d.event),
        [e],
      );
    });

    it('delivers a message again when its consumer died without acking it', async () => {
      await broker.declareQueue('crash', ['#']);
      const e = testEvent();
      await broker.publish('person.upsert.lu.lv', e);
      const first = deferred<BrokerDelivery>();
      const hang = deferred<void>();
      await broker.consume(
        'crash',
        async (d) => {
          first.resolve(d);
          await hang.promise;
          return { action: 'ack' };
        },
        { prefetch: 1 },
      );
      try {
        const d1 = await first.promise;
        assert.equal(d1.redelivered, false);
        await fx.crash(broker);
        const again = fx.reopen();
        await again.connect();
        await again.declareQueue('crash', ['#']);
        const second = deferred<BrokerDelivery>();
        await consume(
          'crash',
          async (d) => {
            second.resolve(d);
            return { action: 'ack' };
          },
          1,
          again,
        );
        const d2 = await second.promise;
        assert.deepEqual(d2.event, e);
        assert.equal(d2.redelivered, true);
        assert.equal(d2.attempt, 1);
        hang.resolve();
        await waitFor('an empty queue', async () => (await again.stats('crash')).ready === 0);
      } finally {
        // The dead process' handler finishes late; its ack must change nothing.
        hang.resolve();
      }
    });
  });
}
