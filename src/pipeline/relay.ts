import type { Logger } from 'pino';
import { routingKeyOf, type Broker } from '../broker/types.ts';
import type { ResolvedRoute } from '../config/types.ts';
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
 * the broker confirmed it. A crash between the two publishes the event again; consumers drop the
 * duplicate by its event id.
 */
export class OutboxRelay {
  private running = false;
  private wakeUp: (() => void) | undefined;
  private loop: Promise<void> | undefined;
  private readonly batchSize: number;
  private readonly pollMs: number;
  private readonly lease: RelayLease | undefined;

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
    const events = await this.store.pendingOutbox(this.batchSize);
    if (events.length === 0) return 0;
    const done: { eventId: string; messageId: string | null; routeIds: string[] }[] = [];
    try {
      // A window of confirms in flight at once; a failure republishes at most one window.
      for (let i = 0; i < events.length; i += PUBLISH_WINDOW) {
        // The lease is renewed before each window, and a relay that lost it stops: a batch that takes
        // longer than the lease must not be published by two relays at once.
        if (i > 0 && this.lease && !(await this.lease.acquire())) break;
        const window = events.slice(i, i + PUBLISH_WINDOW);
        await this.broker.publishMany(window.map((e) => ({ routingKey: routingKeyOf(e), event: e })));
        for (const e of window) done.push({ eventId: e.eventId, messageId: e.messageId ?? null, routeIds: this.routes.filter((r) => routeMatches(r, e)).map((r) => r.id) });
      }
    } finally {
      if (done.length) await this.store.markPublished(done);
    }
    return done.length;
  }

  private async run(): Promise<void> {
    let backoff = 0;
    while (this.running) {
      try {
        // Only the lease holder publishes; the others wait and take over when it expires.
        const n = !this.lease || (await this.lease.acquire()) ? await this.publishBatch() : 0;
        backoff = 0;
        if (n > 0) continue;
      } catch (e) {
        backoff = Math.min(30_000, backoff ? backoff * 2 : 500);
        this.logger.warn({ err: e }, `outbox relay: publishing failed, retrying in ${backoff} ms: ${errorMessage(e)}`);
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, backoff || this.pollMs);
        this.wakeUp = () => {
          clearTimeout(t);
          resolve();
        };
      });
      this.wakeUp = undefined;
    }
  }
}
