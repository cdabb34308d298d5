import type { Logger } from 'pino';
import { routeQueue, type Broker, type BrokerDelivery, type Consumer, type HandlerResult } from '../broker/types.ts';
import type { ResolvedRoute } from '../config/types.ts';
import type { Sink } from '../core/adapter.ts';
import { ConfigError, errorMessage, isHubError } from '../core/errors.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import { clip, scrubForLog } from '../observability/scrub.ts';
import type { DeliveryGate } from '../privacy/gate.ts';
import type { Store } from '../store/types.ts';
import { AttemptBatcher } from './attempt-batcher.ts';
import { retryDelay } from './backoff.ts';
import { routePatterns } from './match.ts';

/** A sink's error text kept on a delivery attempt (and the broker's dead letter), at most. */
export const STORED_ERROR_CHARS = 4000;
/** A sink's error text in a log line, at most. */
export const LOGGED_ERROR_CHARS = 500;

/**
 * Delivers each route's queue to its sink: one attempt per broker delivery, the outcome recorded
 * per (event, route). A delivered event is never handed to the sink again (the processed-message
 * key is the event id per route), so competing workers and redeliveries cause no duplicates.
 */
export class Router {
  private consumers: Consumer[] = [];
  private readonly attempts: AttemptBatcher;

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
    this.attempts = new AttemptBatcher(store);
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

  async deliver(route: ResolvedRoute, sink: Sink, d: BrokerDelivery): Promise<HandlerResult> {
    const e = d.event;
    const claim = await this.attempts.begin(e.eventId, route.id);
    if (!claim.proceed) {
      this.metrics.deliveries.inc({ route: route.id, outcome: 'duplicate' });
      return { action: 'ack' };
    }
    const attempt = claim.attempt;
    const started = performance.now();
    try {
      const decision = this.gate ? await this.gate.beforeDelivery(route, e) : { action: 'deliver' as const, event: e };
      if (decision.action === 'withhold') {
        // Not retried blindly: a consent that arrives in the hold window releases it (src/privacy/).
        await this.attempts.finish({ eventId: e.eventId, routeId: route.id, attempt, outcome: 'withheld', status: 'withheld', error: decision.reason, detail: null, durationMs: performance.now() - started });
        this.metrics.deliveries.inc({ route: route.id, outcome: 'withheld' });
        return { action: 'ack' };
      }
      const receipt = await sink.deliver(decision.event, { attempt, routeId: route.id, idempotencyKey: e.eventId });
      const durationMs = performance.now() - started;
      await this.gate?.afterDelivery(route, e);
      await this.attempts.finish({ eventId: e.eventId, routeId: route.id, attempt, outcome: 'delivered', status: 'delivered', error: null, detail: receipt?.detail ?? null, durationMs });
      this.metrics.deliveries.inc({ route: route.id, outcome: 'delivered' });
      this.metrics.deliveryLatency.observe({ route: route.id }, Math.max(0, Date.now() - Date.parse(e.occurredAt)) / 1000);
      return { action: 'ack' };
    } catch (err) {
      const durationMs = performance.now() - started;
      // The sink's own words are kept on the attempt for admins (cut to a bounded length); the log
      // gets them without the person's codes and names (the receiver may quote the record).
      const message = clip(errorMessage(err), STORED_ERROR_CHARS);
      const retryable = isHubError(err) ? err.retryable : true;
      const last = attempt >= route.retry.maxAttempts;
      if (!retryable || last) {
        const why = retryable ? `gave up after ${attempt} attempts: ${message}` : `rejected: ${message}`;
        await this.attempts.finish({ eventId: e.eventId, routeId: route.id, attempt, outcome: 'dead', status: 'dead', error: why, detail: null, durationMs });
        this.metrics.deliveries.inc({ route: route.id, outcome: 'dead' });
        this.logger.warn({ route: route.id, eventId: e.eventId, messageId: e.messageId, attempt }, `delivery dead-lettered: ${scrubForLog(why, e.record, LOGGED_ERROR_CHARS)}`);
        return { action: 'dead', error: why };
      }
      const delayMs = retryDelay(route.retry, attempt);
      await this.attempts.finish({ eventId: e.eventId, routeId: route.id, attempt, outcome: 'retry', status: 'retrying', error: message, detail: `next attempt in ${delayMs} ms`, durationMs });
      this.metrics.deliveries.inc({ route: route.id, outcome: 'retry' });
      return { action: 'retry', delayMs, error: message };
    }
  }
}
