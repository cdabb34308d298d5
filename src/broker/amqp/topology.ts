import type { ConfirmChannel, Options } from 'amqplib';
import { sendConfirmed } from './confirm.ts';

/**
 * RabbitMQ objects behind one logical queue Q of the Broker interface (names after the optional prefix):
 *
 * - `Q`          durable quorum queue, bound to the events exchange by the queue's topic patterns.
 *                A message redelivered more than DELIVERY_LIMIT times (consumers crashing on it)
 *                is dead-lettered by RabbitMQ to `Q.dead`.
 * - `Q.retry`    durable quorum queue without consumers: a retried message is published here with
 *                `expiration` = the delay; when it expires RabbitMQ dead-letters it (at least once)
 *                back to `Q`. Expiry happens at the head of the queue, so a short delay queued
 *                behind a longer one waits for it.
 * - `Q.dead`     durable quorum queue of dead-lettered messages, for inspection and requeueDead.
 * - `Q.bindings` one small message with the patterns the last declaration bound, so that the next
 *                declaration (also after a restart) can unbind the patterns no longer wanted:
 *                AMQP itself cannot list bindings.
 */
export interface QueueNames {
  main: string;
  retry: string;
  dead: string;
  bindings: string;
}

export const DELIVERY_LIMIT = 20;

export function queueNames(name: string): QueueNames {
  return { main: name, retry: `${name}.retry`, dead: `${name}.dead`, bindings: `${name}.bindings` };
}

const quorum = (extra: Record<string, unknown> = {}): Options.AssertQueue => ({ durable: true, arguments: { 'x-queue-type': 'quorum', ...extra } });

/** Declares the queues of one logical queue and brings its bindings to exactly `patterns`. */
export async function declareQueueTopology(ch: ConfirmChannel, exchange: string, n: QueueNames, patterns: readonly string[]): Promise<void> {
  await ch.assertQueue(n.dead, quorum());
  await ch.assertQueue(n.main, quorum({ 'x-delivery-limit': DELIVERY_LIMIT, 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': n.dead }));
  await ch.assertQueue(n.retry, quorum({ 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': n.main, 'x-dead-letter-strategy': 'at-least-once', 'x-overflow': 'reject-publish' }));
  await ch.assertQueue(n.bindings, quorum());
  // New bindings first, old ones off after: no moment in which a wanted event is not routed.
  for (const p of patterns) await ch.bindQueue(n.main, exchange, p);
  const previous = new Set<string>();
  const read = [];
  for (let i = 0; i < 1000; i++) {
    const m = await ch.get(n.bindings, { noAck: false });
    if (!m) break;
    read.push(m);
    try {
      const body = JSON.parse(m.content.toString('utf8')) as { patterns?: unknown };
      if (Array.isArray(body.patterns)) for (const p of body.patterns) if (typeof p === 'string') previous.add(p);
    } catch {
      // Not ours: dropped below.
    }
  }
  for (const p of previous) if (!patterns.includes(p)) await ch.unbindQueue(n.main, exchange, p);
  await sendConfirmed(ch, '', n.bindings, Buffer.from(JSON.stringify({ patterns })), { persistent: true, contentType: 'application/json' });
  for (const m of read) ch.ack(m);
}
