import { messagePageEnd, reducePayloads } from '../store/rewrite.ts';
import type { SqlDb } from '../store/sql.ts';
import { DEFAULT_RETENTION_DAYS } from './config.ts';

const DAY_MS = 24 * 3600 * 1000;
/** Messages looked at a time (a transaction each): ~5 ms of the event loop on SQLite. */
const PAGE = 2000;
/** Messages still on their way through the pipeline keep their payload whatever their age. */
const IN_FLIGHT = ['received', 'mapped', 'validated'];

export interface RetentionPolicy {
  rawPayloadDays?: number;
  entities?: Readonly<Record<string, number>>;
}

/**
 * Retention of raw payloads: after the configured days per entity, a message keeps its metadata
 * (source, entity, institution, status, sizes, error code, record id and version, history) and loses
 * the payload as received and its canonical copy; a history line says when and why. The canonical
 * records and their versions are not touched (they are the hub's data, not input copies).
 */
export class Retention {
  constructor(
    private readonly sql: SqlDb,
    private readonly policy: RetentionPolicy,
    private readonly entities: readonly string[],
    /** Messages looked at a time (a test gives a small page). */
    private readonly page = PAGE,
  ) {}

  days(entity: string): number {
    return this.policy.entities?.[entity] ?? this.policy.rawPayloadDays ?? DEFAULT_RETENTION_DAYS;
  }

  /** Reduces what is due at `now`; returns the messages reduced per entity. */
  async run(now: number = Date.now()): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    const at = new Date(now).toISOString();
    for (const entity of this.entities) {
      const days = this.days(entity);
      const cutoff = new Date(now - days * DAY_MS).toISOString();
      const detail = `raw payload removed after the retention time of ${days} days`;
      // Page by page of the entity's messages (by id), each page's due ones reduced in a transaction of its
      // own: a bounded look at a time, however many messages there are and however few are due.
      for (let after = ''; ;) {
        const upTo = await messagePageEnd(this.sql, entity, after, this.page);
        const n = await this.sql.transaction((tx) => reducePayloads(tx, { entity, cutoff, inFlight: IN_FLIGHT, after, upTo, at, detail }));
        if (n) out[entity] = (out[entity] ?? 0) + n;
        if (upTo === undefined) break;
        after = upTo;
        // A turn of the event loop between pages (on SQLite every statement is synchronous).
        await new Promise((resolve) => setImmediate(resolve));
      }
    }
    return out;
  }
}
