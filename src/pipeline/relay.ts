import type { Logger } from 'pino';
import { routingKeyOf, type Broker } from '../broker/types.ts';
import type { ResolvedRoute } from '../config/types.ts';
import type { ChangeEvent } from '../core/types.ts';
import { errorMessage } from '../core/errors.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import { routeMatches } from '../routing/match.ts';
import type { Store } from '../store/types.ts';
import { RelayLease } from './relay-lease.ts';

/** Events published together, their confirms in flight at once. */
const PUBLISH_WINDOW = 64;

export interface RelayOptions {
  batchSize?: number;
  /** How often to look for unpublished changes when nothing woke the relay. */
  pollMs?: number;
}

/**
 * Outbox relay: publishes committed changes in sequence order and marks each published only after
 * the broker confirmed it. A crash between the two publishes the event again, unless a consumer has
 * claimed it already (skipClaimed); a copy is refused by the delivery claims (src/store/claims.ts).
 */
export class OutboxRelay {
  private running = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly lease: RelayLease | undefined;
  /** Whether this relay held the lease at its last look (always, embedded). */
  private holding = false;
  /** Set when this relay starts publishing (a start, a lease taken over): its first batch is checked against the claims. */
  private takingOver = false;

  constructor(
    private readonly store: Store,
    private readonly broker: Broker,
    private readonly routes: readonly ResolvedRoute[],
    private readonly metrics: HubMetrics,
    private readonly logger: Logger,
    opts: RelayOptions = {},
  ) {
    this.batchSize = opts.batchSize ?? 500;
    this.pollMs = opts.pollMs ?? 500;
    // The embedded mode is one process; with PostgreSQL, several workers share the outbox.
    this.lease = store.kind === 'postgres' ? new RelayLease(store.sql) : undefined;
  }

  start(): void {
    if (this.running) return;
    this.running = true;
    this.loop = this.run();
  }

  wake(): void {
    this.wakeUp?.();
  }

  async stop(): Promise<void> {
    this.running = false;
    this.wake();
    await this.loop;
    await this.lease?.release().catch(() => undefined);
  }

  /** Publishes one batch; returns how many events went out (0 when the lease was lost before any). */
  async publishBatch(): Promise<number> {
    let events = await this.store.pendingOutbox(this.batchSize);
    if (events.length === 0) return 0;
    if (this.takingOver) {
      this.takingOver = false;
      events = await this.skipClaimed(events);
      if (events.length === 0) return 0;
    }
    const done: { eventId: string; messageId: string | null; routeIds: string[] }[] = [];
    try {
      // A window of confirms in flight at once; a failure republishes at most one window.
      for (let i = 0; i < events.length; i += PUBLISH_WINDOW) {
        // The lease is renewed before each window, and a relay that lost it stops: a batch that takes
        // longer than the lease must not be published by two relays at once.
        if (i > 0 && this.lease && !(await this.lease.acquire())) break;
        const window = events.slice(i, i + PUBLISH_WINDOW);
        await this.broker.publishMany(window.map((e) => ({ routingKey: routingKeyOf(e), event: e })));
        for (const e of window) done.push({ eventId: e.eventId, messageId: e.messageId ?? null, routeIds: this.routeIdsOf(e) });
      }
    } finally {
      if (done.length) await this.store.markPublished(done);
    }
    return done.length;
  }

  private routeIdsOf(e: ChangeEvent): string[] {
    return this.routes.filter((r) => routeMatches(r, e)).map((r) => r.id);
  }

  /**
   * The first batch after a start or a lease take-over begins with what the previous holder may have
   * published without marking it (it died between the broker's confirm and markPublished). An event
   * that a consumer has already claimed on every route it matches was published: it is marked so and
   * not published again (the copies of the rest are refused by the claims, src/store/claims.ts).
   */
  private async skipClaimed(events: ChangeEvent[]): Promise<ChangeEvent[]> {
    const claimed = new Set((await this.store.deliveriesOf(events.map((e) => e.eventId))).map((d) => `${d.eventId}\n${d.routeId}`));
    if (claimed.size === 0) return events;
    const seen: { eventId: string; messageId: string | null; routeIds: string[] }[] = [];
    const rest = events.filter((e) => {
      const routeIds = this.routeIdsOf(e);
      if (routeIds.length === 0 || !routeIds.every((r) => claimed.has(`${e.eventId}\n${r}`))) return true;
      seen.push({ eventId: e.eventId, messageId: e.messageId ?? null, routeIds });
      return false;
    });
    if (seen.length) {
      await this.store.markPublished(seen);
      this.logger.info(`outbox relay: ${seen.length} events the previous relay published without marking them were already claimed on every route; marked published, not sent again`);
    }
    return rest;
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        // Only the lease holder publishes; the others wait and take over when it expires.
        const holding = !this.lease || (await this.lease.acquire());
        if (holding && !this.holding) this.takingOver = true;
        this.holding = holding;
        const n = holding ? await this.publishBatch() : 0;
        backoff = 0;
        if (n > 0) continue;
      } catch (e) {
        // After a failure the lease may have changed hands meanwhile: the next batch is checked again.
        this.holding = false;
        backoff = Math.min(30_000, backoff ? backoff * 2 : 500);
        this.logger.warn({ err: e }, `outbox relay: publishing failed, retrying in ${backoff} ms: ${errorMessage(e)}`);
      }
      // A worker waiting for the lease looks again right after it runs out, not up to a poll later.
      const wait = backoff || (this.lease && !this.holding ? Math.min(this.pollMs, Math.max(10, this.lease.expiresAt - Date.now() + 10)) : this.pollMs);
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, wait);
        this.wakeUp = () => {
          clearTimeout(t);
          // Woken by a commit: publish in a later turn of the event loop, not in the committing one. On
          // SQLite both are synchronous, and the chunk's transaction and the relay's batch in one turn
          // would hold the loop for both (requests wait behind it: docs/performance.md, API latency).
          setTimeout(resolve, 0);
          this.wakeUp = undefined;
        };
      });
      this.wakeUp = undefined;
    }
  }
}
