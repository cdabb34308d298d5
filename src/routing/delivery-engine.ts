import type { Logger } from 'pino';
import type { HandlerResult } from '../broker/types.ts';
import type { RetryPolicy, RouteConfig } from '../config/types.ts';
import type { DeliveryContext, DeliveryReceipt } from '../core/adapter.ts';
import { errorMessage, isHubError } from '../core/errors.ts';
import type { ChangeEvent } from '../core/types.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import { clip, scrubForLog } from '../observability/scrub.ts';
import type { DeliveryGate, GateDecision, PendingDisclosure } from '../privacy/gate.ts';
import type { AttemptBatcher } from './attempt-batcher.ts';
import { retryDelay } from './backoff.ts';

/** A subscriber's error text kept on a delivery attempt (and the broker's dead letter), at most. */
export const STORED_ERROR_CHARS = 4000;
/** A subscriber's error text in a log line, at most. */
export const LOGGED_ERROR_CHARS = 500;

/**
 * Whoever receives change events: a route of the config (its sink), a Node-RED flow subscription,
 * an API webhook subscription. The engine runs one attempt for any of them the same way.
 */
export interface Subscriber {
  /** The id the attempts are recorded under: the route id, `flow.<name>`, `webhook:<id>`. */
  id: string;
  /** The metric label (route id; `webhook` for all API subscriptions, whose ids are unbounded). */
  metricLabel: string;
  retry: RetryPolicy;
  /** The personal-data check before (consent, erasure, projection) and the disclosure after; none: as is. */
  gate?: SubscriberGate;
  /** Hands the event over; resolves when the receiver has it. A HubError's `retryable` (or an error's own `retryable: false`) says whether to try again. */
  deliver(event: ChangeEvent, ctx: DeliveryContext): Promise<DeliveryReceipt | void>;
}

export interface SubscriberGate {
  before(event: ChangeEvent): Promise<GateDecision>;
  /**
   * The receiver has the event: its disclosure, handed to `record` with the outcome to be written in
   * the same transaction (every kind: routes, flows, webhook subscriptions); undefined when the record
   * holds no personal data.
   */
  after(event: ChangeEvent): Promise<PendingDisclosure | undefined>;
}

/** How one attempt ended. `delayMs` is set for `retry`. */
export interface AttemptResult {
  outcome: 'delivered' | 'withheld' | 'retry' | 'dead';
  error: string | null;
  detail: string | null;
  durationMs: number;
  delayMs?: number;
  /** Set for `delivered` when the gate prepared a disclosure: the recorder writes it with the outcome, in one transaction. */
  disclosure?: PendingDisclosure;
}

/**
 * The delivery protocol, once for every kind of subscriber: gate → deliver → delivered, or retry with
 * the subscriber's backoff, or dead (not retryable, or the last attempt) → record. The claim before it
 * (a broker delivery and the store's attempt claim, or a claimed webhook row) and where the result is
 * recorded are the caller's; `record` is awaited before the result is returned, so a result that was
 * not recorded is never acted on. A delivered event's disclosure is recorded with its outcome (one
 * transaction): if that fails, neither is written and the event is attempted again (same idempotency key).
 */
export class DeliveryEngine {
  constructor(
    private readonly logger: Logger,
    private readonly metrics?: HubMetrics,
  ) {}

  async attempt(s: Subscriber, e: ChangeEvent, attempt: number, record: (r: AttemptResult) => Promise<void>): Promise<AttemptResult> {
    const started = performance.now();
    const done = async (r: Omit<AttemptResult, 'durationMs'>): Promise<AttemptResult> => {
      const result = { ...r, durationMs: performance.now() - started };
      await record(result);
      this.metrics?.deliveries.inc({ route: s.metricLabel, outcome: r.outcome });
      return result;
    };
    try {
      const decision = s.gate ? await s.gate.before(e) : { action: 'deliver' as const, event: e };
      // Withheld is not retried blindly: a consent that arrives in the hold window releases it (src/privacy/).
      if (decision.action === 'withhold') return await done({ outcome: 'withheld', error: decision.reason, detail: null });
      const receipt = await s.deliver(decision.event, { attempt, routeId: s.id, idempotencyKey: e.eventId });
      // The disclosure is logged with the outcome, or the delivery does not count as done: if either
      // fails, the attempt is recorded as a retry and the event delivered again (same idempotency key).
      const disclosure = (await s.gate?.after(e)) ?? undefined;
      const result = await done({ outcome: 'delivered', error: null, detail: receipt?.detail ?? null, ...(disclosure ? { disclosure } : {}) });
      this.metrics?.deliveryLatency.observe({ route: s.metricLabel }, Math.max(0, Date.now() - Date.parse(e.occurredAt)) / 1000);
      return result;
    } catch (err) {
      // The receiver's own words are kept on the attempt for admins (cut to a bounded length); the log
      // gets them without the person's codes and names (the receiver may quote the record).
      const message = clip(errorMessage(err), STORED_ERROR_CHARS);
      const retryable = isHubError(err) ? err.retryable : (err as { retryable?: unknown } | null)?.retryable !== false;
      if (!retryable || attempt >= s.retry.maxAttempts) {
        const why = retryable ? `gave up after ${attempt} attempts: ${message}` : `rejected: ${message}`;
        const result = await done({ outcome: 'dead', error: why, detail: null });
        this.logger.warn({ route: s.id, eventId: e.eventId, messageId: e.messageId, attempt }, `delivery dead-lettered: ${scrubForLog(why, e.record, LOGGED_ERROR_CHARS)}`);
        return result;
      }
      const delayMs = retryDelay(s.retry, attempt);
      return await done({ outcome: 'retry', error: message, detail: `next attempt in ${delayMs} ms`, delayMs });
    }
  }
}

/** What the broker does with a delivery after the attempt: ack, retry after the delay, or dead-letter. */
export function brokerAction(r: AttemptResult): HandlerResult {
  if (r.outcome === 'retry') return { action: 'retry', delayMs: r.delayMs ?? 0, error: r.error ?? '' };
  if (r.outcome === 'dead') return { action: 'dead', error: r.error ?? '' };
  return { action: 'ack' };
}

/** What the route-like subscribers (config routes, flow subscriptions) share: claims and outcomes in the store, the engine, the metrics. */
export interface ClaimedDeliveries {
  attempts: AttemptBatcher;
  engine: DeliveryEngine;
  metrics: HubMetrics;
}

/** The privacy gate of a route-like subscriber: the route's consent check and projection before, its disclosure (written with the outcome) after. */
export function routeGate(gate: DeliveryGate | undefined, route: RouteConfig): { gate?: SubscriberGate } {
  return gate ? { gate: { before: (e) => gate.beforeDelivery(route, e), after: (e) => gate.afterDelivery(route, e) } } : {};
}

/** When a copy refused by a claim in progress is tried again: soon (the attempt usually ends in ms), at the latest just after the claim times out. */
export function busyRetryDelay(busyMs: number): number {
  return Math.min(busyMs + 50, BUSY_RETRY_MAX_MS);
}

/** The longest a copy refused by a claim in progress waits before it is tried again. */
export const BUSY_RETRY_MAX_MS = 2000;

/**
 * One broker delivery to a route-like subscriber: the store's claim (an event already delivered on
 * `s.id` is acked without calling the receiver again; a copy of one whose attempt is in progress comes
 * back after a short delay), the engine's attempt recorded on the claim, and
 * what the broker does next.
 */
export async function deliverClaimed(d: ClaimedDeliveries, s: Subscriber, e: ChangeEvent): Promise<HandlerResult> {
  const claim = await d.attempts.begin(e.eventId, s.id);
  if (!claim.proceed) {
    d.metrics.deliveries.inc({ route: s.metricLabel, outcome: 'duplicate' });
    // Another copy's attempt is in progress: this copy waits (it may be the broker's redelivery of a
    // claim whose worker died, which only it can finish once the claim times out); once that attempt
    // is recorded as delivered the copy is acked here without calling the receiver.
    if (claim.busyMs !== undefined) return { action: 'retry', delayMs: busyRetryDelay(claim.busyMs), error: `${s.id}: another attempt of this event is in progress` };
    return { action: 'ack' };
  }
  try {
    const r = await d.engine.attempt(s, e, claim.attempt, (a) =>
      d.attempts.finish(
        {
          eventId: e.eventId,
          routeId: s.id,
          attempt: claim.attempt,
          outcome: a.outcome,
          status: a.outcome === 'retry' ? 'retrying' : a.outcome,
          error: a.error,
          detail: a.detail,
          durationMs: a.durationMs,
        },
        a.disclosure,
      ),
    );
    return brokerAction(r);
  } finally {
    d.attempts.release(e.eventId, s.id, claim.attempt);
  }
}
