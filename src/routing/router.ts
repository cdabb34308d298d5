import type { Logger } from 'pino';
import { routeQueue, type Broker, type BrokerDelivery, type Consumer, type HandlerResult } from '../broker/types.ts';
import type { ResolvedRoute } from '../config/types.ts';
import type { Sink } from '../core/adapter.ts';
import { ConfigError } from '../core/errors.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { DeliveryGate } from '../privacy/gate.ts';
import type { Store } from '../store/types.ts';
import { AttemptBatcher } from './attempt-batcher.ts';
import { deliverClaimed, DeliveryEngine, routeGate, type Subscriber } from './delivery-engine.ts';
import { routePatterns } from './match.ts';

/**
 * Delivers each route's queue to its sink: one attempt per broker delivery, the outcome recorded
 * per (event, route). A delivered event is never handed to the sink again (the processed-message
 * key is the event id per route), so competing workers and redeliveries cause no duplicates.
 */
export class Router {
  private consumers: Consumer[] = [];
  private readonly attempts: AttemptBatcher;
  private readonly engine: DeliveryEngine;

  constructor(
    private readonly routes: readonly ResolvedRoute[],
    private readonly sinks: ReadonlyMap<string, Sink>,
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly metrics: HubMetrics,
    private readonly logger: Logger,
    /** Personal-data policy: consent check and projection before the sink, disclosure log after it. */
    private readonly gate?: DeliveryGate,
  ) {
    this.attempts = new AttemptBatcher(store, gate);
    this.engine = new DeliveryEngine(logger, metrics);
  }

  /** Declares one durable queue per route, bound by the route's match. */
  async declare(): Promise<void> {
    for (const r of this.routes) await this.broker.declareQueue(routeQueue(r.id), routePatterns(r));
  }

  async start(): Promise<void> {
    for (const r of this.routes) {
      const sink = this.sinks.get(r.sink);
      if (!sink) throw new ConfigError(`route ${r.id}: sink ${r.sink} was not created`);
      this.consumers.push(await this.broker.consume(routeQueue(r.id), (d) => this.deliver(r, sink, d), { prefetch: r.concurrency }));
    }
  }

  async stop(): Promise<void> {
    const cs = this.consumers;
    this.consumers = [];
    await Promise.all(cs.map((c) => c.cancel()));
  }

  /** The route as a subscriber of the delivery engine: its sink, its retry policy, the privacy gate. */
  private subscriber(route: ResolvedRoute, sink: Sink): Subscriber {
    return { id: route.id, metricLabel: route.id, retry: route.retry, ...routeGate(this.gate, route), deliver: (e, ctx) => sink.deliver(e, ctx) };
  }

  deliver(route: ResolvedRoute, sink: Sink, d: BrokerDelivery): Promise<HandlerResult> {
    return deliverClaimed({ attempts: this.attempts, engine: this.engine, metrics: this.metrics }, this.subscriber(route, sink), d.event);
  }
}
