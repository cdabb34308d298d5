import amqp from 'amqplib';
import { clock, sinceMs } from './measure.ts';

export interface BaselineResult {
  ms: number;
  perSecond: number;
}

/**
 * The broker's own limit for the hub's delivery pattern: raw amqplib publishing every payload as a
 * persistent message with publisher confirms to a durable topic exchange bound to a quorum queue
 * (the hub's topology), and one consumer acking each message by hand, both at once. `window` is how
 * many confirms may be outstanding: 1 is a publisher that awaits each confirm; more is what RabbitMQ
 * can do when the publisher pipelines (the hub's relay keeps a window of 64). `prefetch` is how many
 * unacked messages the broker hands the consumer at once. The pipeline scenario sweeps both and takes
 * the best, so that the baseline is the engine's limit, not a setting's.
 */
export async function amqpBaseline(url: string, payloads: readonly Buffer[], opts: { window: number; prefetch: number; noDelay?: boolean }): Promise<BaselineResult> {
  const prefix = `benchbase${Math.random().toString(36).slice(2, 10)}`;
  const exchange = `${prefix}.events`;
  const queue = `${prefix}.q`;
  const conn = await amqp.connect(url, { noDelay: opts.noDelay ?? false });
  try {
    const pub = await conn.createConfirmChannel();
    await pub.assertExchange(exchange, 'topic', { durable: true });
    await pub.assertQueue(queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    await pub.bindQueue(queue, exchange, '#');
    const sub = await conn.createChannel();
    await sub.prefetch(opts.prefetch);
    let consumed = 0;
    let done: () => void = () => undefined;
    const allConsumed = new Promise<void>((r) => (done = r));
    const t = clock();
    await sub.consume(
      queue,
      (m) => {
        if (!m) return;
        JSON.parse(m.content.toString('utf8'));
        sub.ack(m);
        if (++consumed === payloads.length) done();
      },
      { noAck: false },
    );
    let inFlight = 0;
    let wake: (() => void) | undefined;
    let failed: Error | undefined;
    for (const body of payloads) {
      while (inFlight >= opts.window) await new Promise<void>((r) => (wake = r));
      if (failed) throw failed;
      inFlight++;
      pub.publish(exchange, 'person.upsert.lu.lv', body, { persistent: true, contentType: 'application/json' }, (err) => {
        if (err) failed = err instanceof Error ? err : new Error(String(err));
        inFlight--;
        wake?.();
      });
    }
    await allConsumed;
    const ms = sinceMs(t);
    await pub.waitForConfirms();
    await sub.close();
    await pub.deleteQueue(queue);
    await pub.deleteExchange(exchange);
    await pub.close();
    return { ms, perSecond: (payloads.length / ms) * 1000 };
  } finally {
    await conn.close().catch(() => undefined);
  }
}
