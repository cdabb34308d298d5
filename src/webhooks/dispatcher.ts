import type { Logger } from 'pino';
import type { AdapterContext, Sink, SinkType } from '../core/adapter.ts';
import { errorMessage } from '../core/errors.ts';
import type { ChangeEvent } from '../core/types.ts';
import { FULL_VIEW, type Consumers, type ConsumerView } from '../feeds/consumers.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import { DeliveryEngine, type Subscriber } from '../routing/delivery-engine.ts';
import { fullViewPolicy, type DisclosurePolicy } from '../privacy/config.ts';
import type { PendingDisclosure } from '../privacy/gate.ts';
import type { Screened } from '../privacy/service.ts';
import { changeAt, changesAfter } from '../store/changes.ts';
import type { SqlDb } from '../store/sql.ts';
import { toDelivery, toSubscription, type Subscription, type WebhookDelivery } from './store.ts';

export interface DispatcherOptions {
  sql: SqlDb;
  consumers: Consumers;
  /** The `webhook` sink type: signs (HMAC-SHA256) and POSTs; its errors say retry or not. */
  sinkType: SinkType;
  context: AdapterContext;
  logger: Logger;
  pollMs?: number;
  /** Deliveries in flight at once (never two of one record of one subscription). */
  concurrency?: number;
  timeoutMs?: number;
  /** Personal data (src/privacy): the consent and erasure check before, the disclosure log after a delivery. */
  privacy?: WebhookPrivacy;
  metrics?: HubMetrics;
}

/** What the dispatcher needs of `Privacy`. */
export interface WebhookPrivacy {
  screen(p: DisclosurePolicy, events: readonly ChangeEvent[]): Promise<Screened>;
  disclosureOf(p: DisclosurePolicy, event: ChangeEvent): Promise<PendingDisclosure | undefined>;
  recordWith<T>(list: readonly PendingDisclosure[], write: (within: (tx: SqlDb) => Promise<void>) => Promise<T>): Promise<T>;
}

/** Whom a subscription discloses to: its consumer, or for an admin's full-view subscription the receiver's origin. */
export function subscriptionPolicy(s: Subscription, view: ConsumerView): DisclosurePolicy {
  const channel = `webhook:${s.id}`;
  if (view.policy) return view.policy(channel);
  let origin = s.url;
  try {
    origin = new URL(s.url).origin;
  } catch {
    // the URL was validated at creation; keep it whole if it cannot be parsed
  }
  return fullViewPolicy(channel, origin);
}

const FAN_OUT_BATCH = 500;
const LEASE_MS = 60_000;
/** The name under which a subscription's own secret is handed to the webhook sink. */
const SECRET_NAME = 'WEBHOOK_SUBSCRIPTION_SECRET';

const now = () => new Date().toISOString();

/**
 * Pushes change events to webhook subscriptions. Two steps, both safe with several workers:
 *
 * 1. fan-out: each subscription has a cursor in the global change sequence; matching changes after it
 *    become delivery rows, and the cursor moves, in one transaction (a compare-and-set on the cursor,
 *    so two workers cannot fan out the same range twice);
 * 2. delivery: a due row is claimed (status sending, with a lease) only when no earlier row of the same
 *    record and subscription is still pending or sending, so a later version of a record is never
 *    delivered before an earlier one; other records go ahead meanwhile. A failure is retried with the
 *    subscription's backoff; a non-retryable one, or the last attempt, makes the row dead (and lets
 *    the record's later versions through: each event carries the whole record). Before the call the
 *    privacy check runs (consent for consent consumers, erasure): a delivery it stops is `withheld`,
 *    with the reason; after a successful call the disclosure is logged (docs/privacy.md).
 */
export class WebhookDispatcher {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private again = false;
  private readonly sinks = new Map<string, { url: string; sink: Sink }>();
  private inFlight = 0;
  private readonly engine: DeliveryEngine;

  constructor(private readonly o: DispatcherOptions) {
    this.engine = new DeliveryEngine(o.logger, o.metrics);
  }

  start(): void {
    this.stopped = false;
    this.schedule(0);
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    this.timer = undefined;
    await this.running;
    for (const { sink } of this.sinks.values()) await sink.close?.();
    this.sinks.clear();
  }

  /** New changes were committed: run soon. */
  wake(): void {
    if (this.stopped) return;
    if (this.running) this.again = true;
    else this.schedule(0);
  }

  private schedule(ms: number): void {
    if (this.stopped) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.running = this.tick()
        .catch((e: unknown) => this.o.logger.warn({ err: e }, `webhook dispatch failed: ${errorMessage(e)}`))
        .finally(() => {
          this.running = undefined;
          const busy = this.again;
          this.again = false;
          this.schedule(busy ? 0 : (this.o.pollMs ?? 250));
        });
    }, ms);
    this.timer.unref();
  }

  /** One round: fan out new changes, then deliver what is due. Exposed for tests. */
  async tick(): Promise<void> {
    const subs = (await this.o.sql.query('SELECT * FROM webhook_subscriptions WHERE active = 1')).map(toSubscription);
    for (const s of subs) {
      if (this.stopped) return;
      while ((await this.fanOut(s)) === FAN_OUT_BATCH && !this.stopped) {
        const fresh = await this.o.sql.query('SELECT * FROM webhook_subscriptions WHERE id = ? AND active = 1', [s.id]);
        if (!fresh[0]) break;
        Object.assign(s, toSubscription(fresh[0]));
      }
    }
    const byId = new Map(subs.map((s) => [s.id, s]));
    while (!this.stopped) {
      const delivered = await this.deliverDue(byId);
      if (delivered === 0) break;
    }
  }

  view(s: Subscription): ConsumerView | undefined {
    return s.owner === '*' ? FULL_VIEW : this.o.consumers.get(s.owner);
  }

  private matches(s: Subscription, view: ConsumerView, e: ChangeEvent): boolean {
    if (s.entities.length && !s.entities.includes(e.entity)) return false;
    if (s.institutions.length && !s.institutions.includes(e.institution)) return false;
    if (s.ops.length && !s.ops.includes(e.op)) return false;
    if (view.entities && !view.entities.has(e.entity)) return false;
    if (view.institutions && !view.institutions.includes(e.institution)) return false;
    return true;
  }

  /** Fans out one batch of changes to one subscription; returns how many changes it scanned. */
  private async fanOut(s: Subscription): Promise<number> {
    const view = this.view(s);
    if (!view) return 0; // the consumer was removed from the configuration: nothing is sent
    const events = await changesAfter(this.o.sql, { after: s.cursor, limit: FAN_OUT_BATCH, ...(s.entities.length ? { entities: s.entities } : {}) });
    if (events.length === 0) return 0;
    const last = Number(events[events.length - 1]!.seq);
    const t = now();
    await this.o.sql.transaction(async (tx) => {
      const moved = await tx.run('UPDATE webhook_subscriptions SET last_seq = ? WHERE id = ? AND last_seq = ? AND active = 1', [last, s.id, s.cursor]);
      if (moved.changes !== 1) return; // another worker fanned out this range
      for (const e of events) {
        if (!this.matches(s, view, e)) continue;
        await tx.run(
          `INSERT INTO webhook_deliveries (subscription_id, seq, event_id, record_id, status, attempts, next_at, updated_at)
           VALUES (?, ?, ?, ?, 'pending', 0, ?, ?) ON CONFLICT DO NOTHING`,
          [s.id, e.seq, e.eventId, e.recordId, t, t],
        );
      }
    });
    s.cursor = last;
    return events.length;
  }

  /** Claims and delivers the due rows whose record has nothing earlier outstanding; returns how many. */
  private async deliverDue(subs: Map<string, Subscription>): Promise<number> {
    const limit = Math.max(1, (this.o.concurrency ?? 8) - this.inFlight);
    const t = now();
    const due = await this.o.sql.query(
      `SELECT d.* FROM webhook_deliveries d
       WHERE ((d.status = 'pending' AND d.next_at <= ?) OR (d.status = 'sending' AND d.lease_until < ?))
         AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
                         WHERE e.subscription_id = d.subscription_id AND e.record_id = d.record_id AND e.seq < d.seq
                           AND e.status IN ('pending', 'sending'))
       ORDER BY d.seq LIMIT ?`,
      [t, t, limit],
    );
    const claimed: WebhookDelivery[] = [];
    const lease = new Date(Date.now() + LEASE_MS).toISOString();
    for (const row of due.map(toDelivery)) {
      const c = await this.o.sql.run(
        `UPDATE webhook_deliveries SET status = 'sending', attempts = attempts + 1, lease_until = ?, updated_at = ?
         WHERE subscription_id = ? AND seq = ? AND (status = 'pending' OR (status = 'sending' AND lease_until < ?))`,
        [lease, t, row.subscriptionId, row.seq, t],
      );
      if (c.changes === 1) claimed.push({ ...row, attempts: row.attempts + 1 });
    }
    await Promise.all(claimed.map((d) => this.attempt(d, subs)));
    return claimed.length;
  }

  private sinkFor(s: Subscription): Sink {
    const cached = this.sinks.get(s.id);
    if (cached && cached.url === s.url) return cached.sink;
    const sink = this.o.sinkType.create(
      { url: s.url, secretEnv: SECRET_NAME, timeoutMs: this.o.timeoutMs ?? 10_000 },
      { ...this.o.context, secret: (name) => (name === SECRET_NAME ? s.secret : undefined) },
    );
    this.sinks.set(s.id, { url: s.url, sink });
    return sink;
  }

  /**
   * Records an attempt's outcome on the delivery row; a delivered event's disclosure is written in the
   * same transaction (both or neither: if it fails, the event is delivered again under the same key).
   */
  private async finish(
    d: WebhookDelivery,
    status: 'pending' | 'delivered' | 'dead' | 'withheld',
    fields: { error?: string | null; detail?: string | null; nextAt?: string },
    disclosure?: PendingDisclosure,
  ): Promise<void> {
    const t = now();
    const update = (sql: SqlDb) =>
      sql.run(
        `UPDATE webhook_deliveries SET status = ?, last_error = ?, detail = ?, next_at = ?, lease_until = NULL, updated_at = ?, delivered_at = ?
         WHERE subscription_id = ? AND seq = ?`,
        [status, fields.error ?? null, fields.detail ?? null, fields.nextAt ?? t, t, status === 'delivered' ? t : null, d.subscriptionId, d.seq],
      );
    const privacy = this.o.privacy;
    if (!disclosure || !privacy) {
      await update(this.o.sql);
      return;
    }
    await privacy.recordWith([disclosure], (within) =>
      this.o.sql.transaction(async (tx) => {
        await within(tx);
        await update(tx);
      }),
    );
  }

  private async attempt(d: WebhookDelivery, subs: Map<string, Subscription>): Promise<void> {
    this.inFlight++;
    try {
      let s = subs.get(d.subscriptionId);
      if (!s) {
        const [r] = await this.o.sql.query('SELECT * FROM webhook_subscriptions WHERE id = ? AND active = 1', [d.subscriptionId]);
        if (!r) return;
        s = toSubscription(r);
        subs.set(s.id, s);
      }
      const view = this.view(s);
      const stored = await changeAt(this.o.sql, d.seq);
      if (!view || !stored) {
        await this.finish(d, 'dead', { error: !view ? `consumer '${s.owner}' is no longer configured` : `change ${d.seq} is gone` });
        return;
      }
      const policy = subscriptionPolicy(s, view);
      const privacy = this.o.privacy;
      const sink = this.sinkFor(s);
      const subscriber: Subscriber = {
        id: `webhook:${s.id}`,
        metricLabel: 'webhook',
        retry: s.retry,
        gate: {
          // Checked at delivery time: a withdrawal or an erasure stops the deliveries already fanned out.
          before: async (ev) => {
            const reason = privacy ? (await privacy.screen(policy, [ev])).held.get(ev.eventId) : undefined;
            return reason !== undefined ? { action: 'withhold', reason } : { action: 'deliver', event: view.project(ev) };
          },
          // The disclosure is written with the outcome (finish), in one transaction.
          after: (ev) => (privacy ? privacy.disclosureOf(policy, ev) : Promise.resolve(undefined)),
        },
        deliver: (ev, ctx) => sink.deliver(ev, ctx),
      };
      await this.engine.attempt(subscriber, stored, d.attempts, (r) =>
        r.outcome === 'retry'
          ? this.finish(d, 'pending', { error: r.error, detail: r.detail, nextAt: new Date(Date.now() + (r.delayMs ?? 0)).toISOString() })
          : this.finish(d, r.outcome, { error: r.error, detail: r.detail }, r.disclosure),
      );
    } finally {
      this.inFlight--;
    }
  }
}
