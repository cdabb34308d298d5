import type { ChangeEvent } from '../core/types.ts';

export const EXCHANGE = 'hub.events';

/** Queue name of a route. */
export function routeQueue(routeId: string): string {
  return `route.${routeId}`;
}

export interface BrokerDelivery {
  /** The broker's id of this copy of the message (not the event id). */
  id: string;
  routingKey: string;
  event: ChangeEvent;
  /** 1 on the first delivery, +1 after each retry. */
  attempt: number;
  /** True when the broker may have handed this message out before (crash, reconnect). */
  redelivered: boolean;
}

export type HandlerResult = { action: 'ack' } | { action: 'retry'; delayMs: number; error: string } | { action: 'dead'; error: string };

export type Handler = (d: BrokerDelivery) => Promise<HandlerResult>;

export interface Consumer {
  cancel(): Promise<void>;
}

export interface QueueStats {
  /** Waiting to be delivered (including scheduled retries). */
  ready: number;
  /** In the dead-letter queue. */
  dead: number;
}

/**
 * The message broker. Two implementations (embedded, amqp) pass one conformance suite
 * (test/conformance/broker.suite.ts). publish() resolves only when the broker holds the message durably.
 * A handler's 'retry' re-delivers after the delay with attempt+1; 'dead' moves the message to the
 * queue's dead-letter queue; a handler that throws counts as 'retry' after 1 s.
 */
export interface Broker {
  readonly kind: 'embedded' | 'amqp';
  connect(): Promise<void>;
  /** Declares a durable queue bound to the exchange with topic patterns (`*` one word, `#` any). */
  declareQueue(queue: string, patterns: string[]): Promise<void>;
  publish(routingKey: string, event: ChangeEvent): Promise<void>;
  /**
   * Publishes several, in order, and resolves when the broker holds all of them durably (one
   * transaction embedded; confirms in flight together on RabbitMQ). On a failure some may have been
   * taken: the caller publishes them all again (consumers drop the duplicates by event id).
   */
  publishMany(messages: { routingKey: string; event: ChangeEvent }[]): Promise<void>;
  /** Puts a message straight onto one queue (replay to one route). */
  sendToQueue(queue: string, event: ChangeEvent): Promise<void>;
  consume(queue: string, handler: Handler, opts: { prefetch: number }): Promise<Consumer>;
  stats(queue: string): Promise<QueueStats>;
  /** Moves dead-lettered messages back to the queue; returns how many. */
  requeueDead(queue: string): Promise<number>;
  /**
   * Removes the dead-lettered messages of a queue whose event `select` picks (an erasure: no copy of
   * the person's events may stay in a dead-letter queue); the others stay dead. Returns how many were
   * removed. Messages waiting in the queue itself are not touched: the consumer checks them.
   */
  purgeDead(queue: string, select: (e: ChangeEvent) => boolean | Promise<boolean>): Promise<number>;
  ping(): Promise<void>;
  close(): Promise<void>;
}

/** Routing key of a change event: <entity>.<op>.<institution>. Never carries personal data. */
export function routingKeyOf(e: Pick<ChangeEvent, 'entity' | 'op' | 'institution'>): string {
  return `${e.entity}.${e.op}.${e.institution}`;
}
