import type { Channel, ChannelModel, ConsumeMessage, MessagePropertyHeaders } from 'amqplib';
import { errorMessage, MalformedInputError } from '../../core/errors.ts';
import type { ChangeEvent } from '../../core/types.ts';
import type { Consumer, Handler, HandlerResult } from '../types.ts';
import type { QueueNames } from './topology.ts';

/** Headers the hub puts on its messages. */
export const H = {
  /** 1 on the first delivery, +1 on each retry copy. */
  attempt: 'x-attempt',
  /** The routing key the event was published with (a retry copy comes back with the queue name). */
  routingKey: 'x-routing-key',
  /** Why the previous attempt is being retried. */
  lastError: 'x-last-error',
  /** Why the message was dead-lettered. */
  error: 'x-error',
  deadAt: 'x-dead-at',
} as const;

const MAX_HEADER_TEXT = 2000;
const noop = () => {};

export function clip(text: string): string {
  return text.length > MAX_HEADER_TEXT ? `${text.slice(0, MAX_HEADER_TEXT)}…` : text;
}

export function attemptOf(headers: MessagePropertyHeaders | undefined): number {
  const v = Number(headers?.[H.attempt]);
  return Number.isInteger(v) && v >= 1 ? v : 1;
}

export function routingKeyOf(msg: { fields: { routingKey: string }; properties: { headers?: MessagePropertyHeaders | undefined } }): string {
  const v = msg.properties.headers?.[H.routingKey];
  return typeof v === 'string' ? v : msg.fields.routingKey;
}

/** What a consumer needs from its broker. */
export interface ConsumerHost {
  /** The connection while it is up and the broker is not closing. */
  liveConnection(): ChannelModel | undefined;
  /** Publishes a copy straight to a queue, confirmed (waits for a lost connection, bounded). */
  copyTo(queue: string, content: Buffer, contentType: string | undefined, headers: Record<string, unknown>, expiration?: string): Promise<void>;
  forget(c: AmqpConsumer): void;
  /** Something an operator should know about (a retry or dead copy that could not be published). */
  warn(obj: object, msg: string): void;
}

/**
 * One consumer of one queue, on a channel of its own (its own prefetch, manual acks). Survives
 * reconnects: the broker calls ensure() on every new connection; a channel lost while the
 * connection stays up is re-opened here with back-off.
 */
export class AmqpConsumer implements Consumer {
  private ch: Channel | undefined;
  private tag: string | undefined;
  private starting: Promise<void> | undefined;
  private readonly closed = new WeakSet<Channel>();
  private inflight = 0;
  private idle: (() => void)[] = [];
  private cancelled = false;
  private restartTimer: NodeJS.Timeout | undefined;
  private restarts = 0;

  constructor(
    private readonly host: ConsumerHost,
    private readonly names: QueueNames,
    private readonly handler: Handler,
    private readonly prefetch: number,
  ) {}

  /** Starts consuming on conn unless already consuming (or starting). */
  ensure(conn: ChannelModel): Promise<void> {
    if (this.cancelled || this.ch) return Promise.resolve();
    this.starting ??= this.start(conn)
      .catch((e: unknown) => {
        this.lost(); // tried again later, unless cancelled meanwhile
        throw e;
      })
      .finally(() => (this.starting = undefined));
    return this.starting;
  }

  private async start(conn: ChannelModel): Promise<void> {
    const ch = await conn.createChannel();
    ch.on('error', noop); // 'close' follows
    ch.on('close', () => {
      this.closed.add(ch);
      if (this.ch === ch) {
        this.ch = undefined;
        this.tag = undefined;
        this.lost();
      }
    });
    this.ch = ch;
    try {
      await ch.prefetch(this.prefetch);
      const { consumerTag } = await ch.consume(this.names.main, (msg) => this.onMessage(ch, msg), { noAck: false });
      this.tag = consumerTag;
      this.restarts = 0;
      if (this.cancelled) await ch.cancel(consumerTag).catch(noop);
    } catch (e) {
      if (this.ch === ch) this.ch = undefined;
      await ch.close().catch(noop);
      throw e;
    }
  }

  /** The channel went away while the connection may still be up: consume again after a while. */
  private lost(): void {
    if (this.cancelled || this.restartTimer) return;
    const delay = Math.min(30_000, 500 * 2 ** this.restarts++);
    this.restartTimer = setTimeout(() => {
      this.restartTimer = undefined;
      const conn = this.host.liveConnection();
      // No live connection: the broker calls ensure() once it has reconnected.
      if (conn) this.ensure(conn).catch(noop);
    }, delay);
  }

  private onMessage(ch: Channel, msg: ConsumeMessage | null): void {
    if (msg === null) {
      // RabbitMQ cancelled the consumer (queue deleted or failed over): consume again later.
      if (this.ch === ch) {
        this.ch = undefined;
        this.tag = undefined;
        void ch.close().catch(noop);
        this.lost();
      }
      return;
    }
    if (this.cancelled) {
      this.settle(ch, () => ch.nack(msg, false, true));
      return;
    }
    this.inflight++;
    void this.handle(ch, msg).finally(() => {
      if (--this.inflight === 0) for (const f of this.idle.splice(0)) f();
    });
  }

  /** Acks or nacks unless the channel is gone; then RabbitMQ delivers the message again anyway. */
  private settle(ch: Channel, f: () => void): void {
    if (this.closed.has(ch)) return;
    try {
      f();
    } catch {
      // The channel closed meanwhile: the message is redelivered.
    }
  }

  private async handle(ch: Channel, msg: ConsumeMessage): Promise<void> {
    const attempt = attemptOf(msg.properties.headers);
    const routingKey = routingKeyOf(msg);
    let event: ChangeEvent;
    try {
      const value: unknown = JSON.parse(msg.content.toString('utf8'));
      if (typeof value !== 'object' || value === null || Array.isArray(value)) throw new MalformedInputError('not a JSON object');
      const e = value as Partial<ChangeEvent>;
      if (typeof e.eventId !== 'string' || typeof e.entity !== 'string' || typeof e.institution !== 'string') throw new MalformedInputError('eventId, entity or institution missing');
      event = value as ChangeEvent;
    } catch (e) {
      // Poison: never handed to the handler, never looped.
      await this.forward(ch, msg, this.names.dead, {
        [H.attempt]: attempt,
        [H.routingKey]: routingKey,
        [H.error]: clip(`not a JSON change event: ${errorMessage(e)}`),
        [H.deadAt]: new Date().toISOString(),
      });
      return;
    }
    let result: HandlerResult;
    try {
      result = await this.handler({ id: String(msg.properties.messageId ?? msg.fields.deliveryTag), routingKey, event, attempt, redelivered: msg.fields.redelivered });
    } catch (e) {
      result = { action: 'retry', delayMs: 1000, error: errorMessage(e) };
    }
    if (result.action === 'ack') this.settle(ch, () => ch.ack(msg));
    else if (result.action === 'retry') {
      const delay = Math.max(0, Math.round(result.delayMs));
      await this.forward(ch, msg, this.names.retry, { [H.attempt]: attempt + 1, [H.routingKey]: routingKey, [H.lastError]: clip(result.error) }, String(delay), delay);
    } else {
      await this.forward(ch, msg, this.names.dead, { [H.attempt]: attempt, [H.routingKey]: routingKey, [H.error]: clip(result.error), [H.deadAt]: new Date().toISOString() });
    }
  }

  /**
   * Publishes the copy (confirmed), then acks the original. When the copy cannot be published the
   * original goes back to the queue, after a pause so that a broken retry path does not spin.
   */
  private async forward(ch: Channel, msg: ConsumeMessage, queue: string, headers: Record<string, unknown>, expiration?: string, holdMs = 1000): Promise<void> {
    // The channel is gone: RabbitMQ redelivers the original; a copy now would be a duplicate.
    if (this.closed.has(ch)) return;
    try {
      await this.host.copyTo(queue, msg.content, msg.properties.contentType as string | undefined, headers, expiration);
    } catch (e) {
      this.host.warn({ err: e, queue }, `cannot publish to ${queue}, the message goes back to ${this.names.main}: ${errorMessage(e)}`);
      await new Promise((r) => setTimeout(r, Math.min(holdMs, 2000)));
      this.settle(ch, () => ch.nack(msg, false, true));
      return;
    }
    this.settle(ch, () => ch.ack(msg));
  }

  /** Stops taking messages, waits for the handlers in flight (their acks go out), closes the channel. */
  async cancel(): Promise<void> {
    if (!this.cancelled) {
      this.cancelled = true;
      this.host.forget(this);
      if (this.restartTimer) clearTimeout(this.restartTimer);
      this.restartTimer = undefined;
      await this.starting?.catch(noop);
      const ch = this.ch;
      if (ch && this.tag) await ch.cancel(this.tag).catch(noop);
    }
    if (this.inflight > 0) await new Promise<void>((r) => this.idle.push(r));
    const ch = this.ch;
    this.ch = undefined;
    this.tag = undefined;
    if (ch) await ch.close().catch(noop);
  }

  /** Forgets the consumer without waiting for anything (the connection is being torn down). */
  abandon(): void {
    this.cancelled = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    this.restartTimer = undefined;
  }
}
