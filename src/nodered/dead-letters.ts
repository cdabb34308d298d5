import type { Logger } from 'pino';
import { BadRequestError, errorMessage } from '../core/errors.ts';
import { deadDeliveriesAfter, type DeadDelivery } from '../store/deliveries.ts';
import type { SqlDb } from '../store/sql.ts';
import { NAME } from './subscriptions.ts';

/** A delivery that went dead (a register rejected the record, or the last retry failed). No personal data. */
export type { DeadDelivery };

export interface DeadWatchSpec {
  name: string;
  /** Only these routes (route ids, or flow.<name> for flow subscriptions); empty: all. */
  routes: string[];
  maxAttempts: number;
  initialDelayMs: number;
}

export type DeadHandler = (d: DeadDelivery, info: { attempt: number; maxAttempts: number }) => Promise<void>;

const MIGRATIONS = [
  {
    sqlite: `CREATE TABLE nodered_dead_cursors (name TEXT PRIMARY KEY, after_at TEXT NOT NULL, after_event TEXT NOT NULL, after_route TEXT NOT NULL, updated_at TEXT NOT NULL)`,
    postgres: `CREATE TABLE nodered_dead_cursors (name text PRIMARY KEY, after_at timestamptz NOT NULL, after_event text NOT NULL, after_route text COLLATE "C" NOT NULL, updated_at timestamptz NOT NULL)`,
  },
];

/** How often a watch looks for new dead deliveries, and how recent a row it leaves for the next pass. */
export interface DeadWatchTiming {
  /** Between two passes when there was nothing more to hand over (2 s). */
  pollMs?: number;
  /** Rows updated within this window are left for the next pass: a write may still be committing (2 s). */
  settleMs?: number;
}
const BATCH = 100;

function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

/**
 * Dead deliveries as a feed for flows (`hub subscribe` with the feed "dead deliveries"): polls the
 * deliveries table from a cursor kept per watch in the nodered module's table, hands each dead
 * delivery to the flow and moves the cursor when the flow has finished. A failing flow is retried
 * with backoff; after the last attempt the delivery is skipped with a warning in the log (it stays
 * dead in the hub, visible in the admin console). A new watch starts at the time it is created.
 */
export class DeadLetterWatches {
  private migrated: Promise<void> | undefined;
  private readonly stops = new Set<() => Promise<void>>();
  private readonly pollMs: number;
  private readonly settleMs: number;

  constructor(
    private readonly sql: SqlDb,
    private readonly logger: Logger,
    timing: DeadWatchTiming = {},
  ) {
    this.pollMs = timing.pollMs ?? 2000;
    this.settleMs = timing.settleMs ?? 2000;
  }

  private migrate(): Promise<void> {
    return (this.migrated ??= this.sql.migrate('nodered', MIGRATIONS));
  }

  async watch(spec: DeadWatchSpec, handler: DeadHandler): Promise<{ cancel(): Promise<void> }> {
    if (!NAME.test(spec.name)) throw new BadRequestError(`hub subscribe '${spec.name}': /name must be lower-case letters, digits, - or _`, { violations: [{ path: '/name', message: 'not a name' }] });
    await this.migrate();
    const existing = await this.sql.query('SELECT name FROM nodered_dead_cursors WHERE name = ?', [spec.name]);
    if (!existing.length) {
      const t = new Date().toISOString();
      await this.sql.run('INSERT INTO nodered_dead_cursors (name, after_at, after_event, after_route, updated_at) VALUES (?, ?, ?, ?, ?)', [spec.name, t, '', '', t]);
    }
    let running = true;
    let wake: (() => void) | undefined;
    const sleep = (ms: number) =>
      new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, ms);
        wake = () => {
          clearTimeout(timer);
          resolve();
        };
      });
    const loop = (async () => {
      while (running) {
        try {
          const items = await this.next(spec);
          for (const item of items) {
            if (!running) break;
            if (!(await this.handOver(spec, handler, item, () => running, sleep))) break;
            await this.sql.run('UPDATE nodered_dead_cursors SET after_at = ?, after_event = ?, after_route = ?, updated_at = ? WHERE name = ?', [
              item.deadAt,
              item.eventId,
              item.routeId,
              new Date().toISOString(),
              spec.name,
            ]);
          }
          if (items.length === BATCH) continue;
        } catch (e) {
          this.logger.warn({ watch: spec.name }, `dead-delivery feed: ${errorMessage(e)}`);
        }
        if (running) await sleep(this.pollMs);
      }
    })();
    const stop = async () => {
      running = false;
      wake?.();
      await loop;
    };
    this.stops.add(stop);
    return {
      cancel: async () => {
        this.stops.delete(stop);
        await stop();
      },
    };
  }

  async stop(): Promise<void> {
    await Promise.all([...this.stops].map((s) => s()));
    this.stops.clear();
  }

  private async next(spec: DeadWatchSpec): Promise<DeadDelivery[]> {
    const [c] = await this.sql.query('SELECT after_at, after_event, after_route FROM nodered_dead_cursors WHERE name = ?', [spec.name]);
    if (!c) return [];
    return deadDeliveriesAfter(
      this.sql,
      { at: iso(c.after_at), eventId: String(c.after_event), routeId: String(c.after_route) },
      {
        settledBefore: new Date(Date.now() - this.settleMs).toISOString(),
        routes: spec.routes,
        limit: BATCH,
      },
    );
  }

  /** Hands one item to the flow until it finishes or the attempts are used up; false when stopped first. */
  private async handOver(spec: DeadWatchSpec, handler: DeadHandler, item: DeadDelivery, running: () => boolean, sleep: (ms: number) => Promise<void>): Promise<boolean> {
    for (let attempt = 1; running(); attempt++) {
      try {
        await handler(item, { attempt, maxAttempts: spec.maxAttempts });
        return true;
      } catch (e) {
        if (attempt >= spec.maxAttempts) {
          this.logger.warn({ watch: spec.name, eventId: item.eventId, route: item.routeId }, `dead-delivery feed: the flow failed ${attempt} times, skipped: ${errorMessage(e)}`);
          return true;
        }
        await sleep(Math.min(300_000, spec.initialDelayMs * 2 ** (attempt - 1)));
      }
    }
    return false;
  }
}
