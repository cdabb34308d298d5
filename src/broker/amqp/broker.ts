import amqp, { type ChannelModel, type ConfirmChannel, type Options } from 'amqplib';
import { randomUUID } from 'node:crypto';
import { BrokerError, BrokerPublishError, errorMessage } from '../../core/errors.ts';
import type { ChangeEvent } from '../../core/types.ts';
import { EXCHANGE, type Broker, type Consumer, type Handler, type QueueStats } from '../types.ts';
import { sendConfirmed } from './confirm.ts';
import { AmqpConsumer, attemptOf, H, routingKeyOf, type ConsumerHost } from './consumer.ts';
import { declareQueueTopology, queueNames, type QueueNames } from './topology.ts';

/** The part of a pino logger the broker uses: it logs only what an operator acts on (connection lost, back). */
export interface BrokerLogger {
  warn(obj: object, msg: string): void;
  info(obj: object, msg: string): void;
}

export interface AmqpBrokerOptions {
  /** Name of the topic exchange for events (default hub.events). */
  exchange?: string;
  /** Namespaces the exchange and every queue (`<prefix>.<name>`), e.g. to isolate tests. */
  prefix?: string;
  logger?: BrokerLogger;
  /** Back-off between reconnection attempts: doubles from initialDelayMs up to maxDelayMs. */
  reconnect?: { initialDelayMs?: number; maxDelayMs?: number };
  /** How long publish() and the other calls wait for a lost connection to come back (default 30 s). */
  unavailableTimeoutMs?: number;
}

type State = 'idle' | 'connecting' | 'up' | 'down' | 'closed';

const noop = () => {};
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

function toBrokerError(e: unknown, what: string): BrokerError {
  return e instanceof BrokerError ? e : new BrokerError(`${what}: ${errorMessage(e)}`, { cause: e });
}

/** AMQP reply code of a channel or connection error (404 not found, 406 precondition failed, …). */
function replyCode(e: unknown): number | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'number' ? e.code : undefined;
}

/**
 * The production broker: RabbitMQ through amqplib. Durable topic exchange, quorum queues,
 * publisher confirms, manual acks; retries through a per-queue delay queue and dead letters in a
 * per-queue dead queue (see topology.ts). The attempt number travels in the x-attempt header.
 *
 * When the connection drops (broker restart, network) it reconnects with exponential back-off,
 * declares the exchange and every declared queue again and restarts every consumer; calls made
 * meanwhile wait for the connection, up to unavailableTimeoutMs, then fail with BrokerError.
 */
export class AmqpBroker implements Broker, ConsumerHost {
  readonly kind = 'amqp' as const;
  private readonly exchange: string;
  private readonly prefix: string;
  private readonly logger: BrokerLogger | undefined;
  private readonly initialDelayMs: number;
  private readonly maxDelayMs: number;
  private readonly unavailableMs: number;

  private state: State = 'idle';
  /** close() is draining consumers: the connection stays in use but is not re-established. */
  private closing = false;
  private conn: ChannelModel | undefined;
  private pub: ConfirmChannel | undefined;
  private connecting: Promise<void> | undefined;
  private reconnectTimer: NodeJS.Timeout | undefined;
  private failures = 0;
  private readonly waiters = new Set<{ resolve: () => void; reject: (e: Error) => void }>();
  /** Queues declared through this broker: declared again on every new connection. */
  private readonly declared = new Map<string, string[]>();
  private readonly consumers = new Set<AmqpConsumer>();

  constructor(
    private readonly url: string,
    opts: AmqpBrokerOptions = {},
  ) {
    this.prefix = opts.prefix ?? '';
    this.exchange = this.name(opts.exchange ?? EXCHANGE);
    this.logger = opts.logger;
    this.initialDelayMs = opts.reconnect?.initialDelayMs ?? 250;
    this.maxDelayMs = opts.reconnect?.maxDelayMs ?? 30_000;
    this.unavailableMs = opts.unavailableTimeoutMs ?? 30_000;
  }

  private name(n: string): string {
    return this.prefix ? `${this.prefix}.${n}` : n;
  }

  private names(queue: string): QueueNames {
    return queueNames(this.name(queue));
  }

  // ---- connection ---------------------------------------------------------------------------

  async connect(): Promise<void> {
    if (this.state === 'up') return;
    if (this.state === 'down') return void (await this.live(this.unavailableMs));
    this.closing = false;
    this.state = 'connecting';
    this.connecting ??= this.open()
      .catch((e: unknown) => {
        this.state = 'idle';
        const err = toBrokerError(e, 'cannot connect to RabbitMQ');
        for (const w of this.waiters) w.reject(err);
        this.waiters.clear();
        throw err;
      })
      .finally(() => (this.connecting = undefined));
    await this.connecting;
  }

  /** Opens a connection, asserts the topology and restarts the consumers. */
  private async open(): Promise<void> {
    const conn = await amqp.connect(this.url, { clientProperties: { connection_name: `study-hub${this.prefix ? ` ${this.prefix}` : ''}` } });
    try {
      conn.on('error', noop); // 'close' follows, with the error
      const pub = await conn.createConfirmChannel();
      pub.on('error', noop);
      // The publishing channel closed under an open connection (e.g. the exchange was deleted):
      // start over with a new connection, which declares everything again.
      // (Deferred: when the whole connection goes, its own close event names the real cause.)
      pub.on('close', () => setImmediate(() => this.drop(conn, new Error('publishing channel closed'))));
      await pub.assertExchange(this.exchange, 'topic', { durable: true });
      for (const [queue, patterns] of this.declared) await this.declareOn(conn, queue, patterns);
      if (this.closing || this.state === 'closed') throw new BrokerError('amqp broker was closed while connecting');
      conn.on('close', (err?: Error) => this.drop(conn, err));
      this.conn = conn;
      this.pub = pub;
    } catch (e) {
      await conn.close().catch(noop);
      throw e;
    }
    this.state = 'up';
    this.failures = 0;
    for (const w of this.waiters) w.resolve();
    this.waiters.clear();
    for (const c of this.consumers) c.ensure(conn).catch(noop);
  }

  /** The connection `conn` is gone (or must go): reconnect unless closing. */
  private drop(conn: ChannelModel, err: Error | undefined): void {
    if (this.conn !== conn) return;
    this.conn = undefined;
    this.pub = undefined;
    void conn.close().catch(noop);
    if (this.closing || this.state === 'closed') {
      this.state = 'closed';
      return;
    }
    this.state = 'down';
    this.logger?.warn({ err }, `RabbitMQ connection lost${err ? `: ${err.message}` : ''}; reconnecting`);
    this.scheduleReconnect();
  }

  private scheduleReconnect(): void {
    if (this.reconnectTimer || this.state !== 'down') return;
    const base = Math.min(this.maxDelayMs, this.initialDelayMs * 2 ** this.failures);
    const delay = Math.round(base * (0.8 + Math.random() * 0.2));
    this.reconnectTimer = setTimeout(() => {
      this.reconnectTimer = undefined;
      if (this.state !== 'down') return;
      const attempt = this.failures + 1;
      this.open().then(
        () => this.logger?.info({ attempt }, 'RabbitMQ connection re-established'),
        (e: unknown) => {
          this.failures++;
          this.logger?.warn({ err: e, attempt }, `RabbitMQ reconnection attempt ${attempt} failed: ${errorMessage(e)}`);
          this.scheduleReconnect();
        },
      );
    }, delay);
  }

  /** The live connection and publishing channel; waits up to timeoutMs while reconnecting. */
  private async live(timeoutMs: number): Promise<{ conn: ChannelModel; pub: ConfirmChannel }> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.state === 'up' && this.conn && this.pub) return { conn: this.conn, pub: this.pub };
      if (this.state === 'idle' || this.state === 'closed') throw new BrokerError('amqp broker is not connected');
      const left = deadline - Date.now();
      if (left <= 0) throw new BrokerError(`RabbitMQ is unreachable: no connection within ${timeoutMs} ms`);
      await new Promise<void>((resolve, reject) => {
        const w = {
          resolve: () => (clearTimeout(t), resolve()),
          reject: (e: Error) => (clearTimeout(t), reject(e)),
        };
        const t = setTimeout(() => (this.waiters.delete(w), resolve()), left);
        this.waiters.add(w);
      });
    }
  }

  liveConnection(): ChannelModel | undefined {
    return this.state === 'up' && !this.closing ? this.conn : undefined;
  }

  /** Runs fn on a channel of its own, so that a channel error (404, 406) hurts nobody else. */
  private async withChannel<T>(conn: ChannelModel, fn: (ch: ConfirmChannel) => Promise<T>): Promise<T> {
    const ch = await conn.createConfirmChannel();
    ch.on('error', noop);
    try {
      return await fn(ch);
    } finally {
      await ch.close().catch(noop);
    }
  }

  /**
   * Publishes confirmed. Until the deadline, a publish lost with its channel (connection dropped)
   * waits for the reconnection and goes out again: a duplicate at worst, which consumers drop by
   * event id. A nack or an unroutable mandatory message fails at once.
   */
  private async send(exchange: string, routingKey: string, content: Buffer, props: Options.Publish): Promise<void> {
    const deadline = Date.now() + this.unavailableMs;
    for (;;) {
      const { pub } = await this.live(deadline - Date.now());
      const options: Options.Publish = { persistent: true, contentType: 'application/json', messageId: randomUUID(), timestamp: Math.floor(Date.now() / 1000), ...props };
      let timer: NodeJS.Timeout | undefined;
      try {
        await Promise.race([
          sendConfirmed(pub, exchange, routingKey, content, options),
          new Promise<never>((_, reject) => {
            timer = setTimeout(() => reject(new BrokerError(`RabbitMQ did not confirm the message within ${this.unavailableMs} ms`)), Math.max(1, deadline - Date.now()));
          }),
        ]);
        return;
      } catch (e) {
        if (e instanceof BrokerPublishError && e.reason === 'closed' && Date.now() < deadline && this.state !== 'closed') {
          await sleep(20);
          continue;
        }
        throw toBrokerError(e, 'publish failed');
      } finally {
        clearTimeout(timer);
      }
    }
  }

  // ---- Broker ---------------------------------------------------------------------------------

  private async declareOn(conn: ChannelModel, queue: string, patterns: readonly string[]): Promise<void> {
    await this.withChannel(conn, (ch) => declareQueueTopology(ch, this.exchange, this.names(queue), patterns));
  }

  async declareQueue(queue: string, patterns: string[]): Promise<void> {
    const { conn } = await this.live(this.unavailableMs);
    try {
      await this.declareOn(conn, queue, patterns);
    } catch (e) {
      throw toBrokerError(e, `cannot declare queue ${this.name(queue)}`);
    }
    this.declared.set(queue, [...patterns]);
  }

  async publish(routingKey: string, event: ChangeEvent): Promise<void> {
    await this.send(this.exchange, routingKey, Buffer.from(JSON.stringify(event)), { headers: { [H.attempt]: 1, [H.routingKey]: routingKey } });
  }

  async publishMany(messages: { routingKey: string; event: ChangeEvent }[]): Promise<void> {
    // All on the publishing channel at once, in order; the confirms come back together.
    const sent = await Promise.allSettled(messages.map((m) => this.publish(m.routingKey, m.event)));
    const failed = sent.find((r): r is PromiseRejectedResult => r.status === 'rejected');
    if (failed) throw failed.reason;
  }

  /** Straight onto the queue; fails when the queue does not exist (mandatory), instead of dropping it. */
  async sendToQueue(queue: string, event: ChangeEvent): Promise<void> {
    await this.copyTo(this.names(queue).main, Buffer.from(JSON.stringify(event)), 'application/json', { [H.attempt]: 1, [H.routingKey]: `direct.${queue}` });
  }

  async copyTo(queue: string, content: Buffer, contentType: string | undefined, headers: Record<string, unknown>, expiration?: string): Promise<void> {
    await this.send('', queue, content, { mandatory: true, headers, ...(contentType ? { contentType } : {}), ...(expiration === undefined ? {} : { expiration }) });
  }

  async consume(queue: string, handler: Handler, opts: { prefetch: number }): Promise<Consumer> {
    const { conn } = await this.live(this.unavailableMs);
    const c = new AmqpConsumer(this, this.names(queue), handler, Math.max(1, opts.prefetch));
    this.consumers.add(c);
    try {
      await c.ensure(conn);
    } catch (e) {
      await c.cancel();
      throw toBrokerError(e, `cannot consume from ${this.name(queue)}`);
    }
    return { cancel: () => c.cancel() };
  }

  forget(c: AmqpConsumer): void {
    this.consumers.delete(c);
  }

  warn(obj: object, msg: string): void {
    this.logger?.warn(obj, msg);
  }

  async stats(queue: string): Promise<QueueStats> {
    const { conn } = await this.live(this.unavailableMs);
    const n = this.names(queue);
    try {
      return await this.withChannel(conn, async (ch) => {
        const main = await ch.checkQueue(n.main);
        const retry = await ch.checkQueue(n.retry);
        const dead = await ch.checkQueue(n.dead);
        return { ready: main.messageCount + retry.messageCount, dead: dead.messageCount };
      });
    } catch (e) {
      if (replyCode(e) === 404) return { ready: 0, dead: 0 };
      throw toBrokerError(e, `cannot read queue ${n.main}`);
    }
  }

  /** Moves what is in `<queue>.dead` now back to the queue, attempt 1 again; returns how many. */
  async requeueDead(queue: string): Promise<number> {
    const { conn } = await this.live(this.unavailableMs);
    const n = this.names(queue);
    try {
      return await this.withChannel(conn, async (ch) => {
        // Only as many as are there now: what dies again meanwhile stays dead.
        const { messageCount } = await ch.checkQueue(n.dead);
        let moved = 0;
        for (let i = 0; i < messageCount; i++) {
          const m = await ch.get(n.dead, { noAck: false });
          if (!m) break;
          await sendConfirmed(ch, '', n.main, m.content, {
            persistent: true,
            mandatory: true,
            messageId: randomUUID(),
            contentType: (m.properties.contentType as string | undefined) ?? 'application/json',
            headers: { [H.attempt]: 1, [H.routingKey]: routingKeyOf(m), 'x-requeued-from-attempt': attemptOf(m.properties.headers) },
          });
          ch.ack(m);
          moved++;
        }
        return moved;
      });
    } catch (e) {
      if (replyCode(e) === 404) return 0;
      throw toBrokerError(e, `cannot requeue dead messages of ${n.main}`);
    }
  }

  /**
   * Removes selected messages from `<queue>.dead`: each message there now is taken; a selected one is
   * acknowledged (gone), any other is put back at the end of the dead queue, confirmed, before its ack.
   */
  async purgeDead(queue: string, select: (e: ChangeEvent) => boolean | Promise<boolean>): Promise<number> {
    const { conn } = await this.live(this.unavailableMs);
    const n = this.names(queue);
    try {
      return await this.withChannel(conn, async (ch) => {
        const { messageCount } = await ch.checkQueue(n.dead);
        let removed = 0;
        for (let i = 0; i < messageCount; i++) {
          const m = await ch.get(n.dead, { noAck: false });
          if (!m) break;
          let event: ChangeEvent | undefined;
          try {
            event = JSON.parse(m.content.toString('utf8')) as ChangeEvent;
          } catch {
            event = undefined;
          }
          if (event && (await select(event))) {
            ch.ack(m);
            removed++;
            continue;
          }
          const pr = m.properties;
          await sendConfirmed(ch, '', n.dead, m.content, {
            persistent: true,
            mandatory: true,
            headers: pr.headers ?? {},
            ...(pr.contentType ? { contentType: pr.contentType as string } : {}),
            ...(pr.messageId ? { messageId: pr.messageId as string } : {}),
            ...(pr.timestamp ? { timestamp: pr.timestamp as number } : {}),
          });
          ch.ack(m);
        }
        return removed;
      });
    } catch (e) {
      if (replyCode(e) === 404) return 0;
      throw toBrokerError(e, `cannot purge dead messages of ${n.main}`);
    }
  }

  async ping(): Promise<void> {
    const conn = this.state === 'up' ? this.conn : undefined;
    if (!conn) throw new BrokerError(`RabbitMQ connection is ${this.state === 'down' ? 'down (reconnecting)' : 'not open'}`);
    try {
      await this.withChannel(conn, (ch) => ch.checkExchange(this.exchange));
    } catch (e) {
      throw toBrokerError(e, 'RabbitMQ does not answer');
    }
  }

  async close(): Promise<void> {
    if (this.state === 'idle' || this.state === 'closed') return;
    this.closing = true;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    await this.connecting?.catch(noop);
    // Consumers first, while the connection still carries their acks and retry copies.
    await Promise.all([...this.consumers].map((c) => c.cancel()));
    this.shutdown();
    const conn = this.conn;
    this.conn = undefined;
    this.pub = undefined;
    if (conn) await conn.close().catch(noop);
  }

  /**
   * Drops the connection at once, without waiting for handlers or acking anything: what a crash
   * does (RabbitMQ delivers the unacked messages again). For tests and a forced shutdown.
   */
  async destroy(): Promise<void> {
    for (const c of this.consumers) c.abandon();
    this.consumers.clear();
    this.shutdown();
    const conn = this.conn;
    this.conn = undefined;
    this.pub = undefined;
    if (conn) await conn.close().catch(noop);
  }

  private shutdown(): void {
    this.state = 'closed';
    this.closing = false;
    if (this.reconnectTimer) clearTimeout(this.reconnectTimer);
    this.reconnectTimer = undefined;
    const err = new BrokerError('amqp broker is closed');
    for (const w of this.waiters) w.reject(err);
    this.waiters.clear();
  }
}
