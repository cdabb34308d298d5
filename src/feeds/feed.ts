import { createHash } from 'node:crypto';
import { BadRequestError } from '../core/errors.ts';
import type { ChangeEvent } from '../core/types.ts';
import { changeLogGeneration, changesAfter } from '../store/changes.ts';
import type { SqlDb } from '../store/sql.ts';
import type { ConsumerView } from './consumers.ts';
import type { FeedPageCache } from './page-cache.ts';

export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;

export interface FeedQuery {
  entity: string;
  /** Events with a sequence number above this one (0: from the start). */
  after: number;
  limit: number;
  view: ConsumerView;
  /** The privacy check (consent, erasure) of the events read, before projection (Privacy.screen). */
  screen?: (events: ChangeEvent[]) => Promise<ChangeEvent[]>;
}

export interface FeedPage {
  items: ChangeEvent[];
  /** Cursor for the next call: the last sequence number returned, or `after` when nothing was. */
  next: number;
  /** More events were there at the time of reading. */
  hasMore: boolean;
  /** The events of `items` as stored, before projection (for the disclosure log). */
  disclosed: ChangeEvent[];
  /** `items` as JSON (UTF-8 bytes), when the page is a full one kept in the page cache. */
  itemsBytes?: Buffer;
  /**
   * For a page kept in the cache: the disclosure channels on which `disclosed` is known to be in the
   * disclosure log already (the log only grows). The caller adds a channel once it has logged it.
   */
  logged?: Set<string>;
}

/**
 * Cursors are sequence numbers as decimal strings; they are opaque to consumers (documented as such),
 * so the format may change without breaking anyone who only echoes them back.
 */
export function parseCursor(v: unknown): number {
  if (v === undefined || v === '') return 0;
  if (typeof v !== 'string' || !/^\d{1,15}$/.test(v)) {
    throw new BadRequestError("'after' must be a cursor returned by the feed (or 0)", { violations: [{ path: '/query/after', message: 'not a feed cursor' }] });
  }
  return Number(v);
}

export function parseLimit(v: unknown): number {
  if (v === undefined) return DEFAULT_LIMIT;
  const n = typeof v === 'string' && /^\d+$/.test(v) ? Number(v) : NaN;
  if (!Number.isInteger(n) || n < 1 || n > MAX_LIMIT) {
    throw new BadRequestError(`'limit' must be an integer from 1 to ${MAX_LIMIT}`, { violations: [{ path: '/query/limit', message: `must be 1..${MAX_LIMIT}` }] });
  }
  return n;
}

/**
 * Reads one page of the change feed: the entity's events after the cursor in the order of the global
 * change sequence, filtered to the view's institutions, screened (consent, erasure) and projected for
 * it. A screened-out event is skipped; the cursor still moves past it.
 *
 * Why paging cannot miss or repeat an event: the cursor is the last sequence number read, and the
 * stores make sequence numbers visible in order (SQLite has one writer at a time; the PostgreSQL store
 * draws the number under a transaction-level advisory lock held until COMMIT), so once seq N is
 * visible, no event with a lower number can appear later. For the same reason a full page (hasMore)
 * never changes: with a cache, it is read from the store once (src/feeds/page-cache.ts).
 */
export async function readFeed(sql: SqlDb, q: FeedQuery, cache?: FeedPageCache): Promise<FeedPage> {
  const key = cache ? JSON.stringify([q.view.id, q.view.fingerprint, q.entity, q.after, q.limit, await changeLogGeneration(sql)]) : '';
  const cached = cache?.get(key);
  let events: ChangeEvent[];
  let hasMore: boolean;
  if (cached) {
    events = cached.events;
    hasMore = true;
  } else {
    const read = await changesAfter(sql, { after: q.after, limit: q.limit + 1, entities: [q.entity], ...(q.view.institutions ? { institutions: q.view.institutions } : {}) });
    hasMore = read.length > q.limit;
    events = read.slice(0, q.limit);
  }
  const last = events[events.length - 1];
  // Screened on every request, cached or not: consent and erasure are judged as they are now.
  const disclosed = q.screen ? await q.screen(events) : events;
  const passed = disclosed.length === events.length ? '*' : disclosed.map((e) => e.eventId).join(',');
  const page = { next: last ? Number(last.seq) : q.after, hasMore, disclosed };
  // The projected items of a cached page serve again only when the very same events passed.
  if (cached && cached.passed === passed) return { ...page, items: cached.items, itemsBytes: cached.itemsBytes, logged: cached.logged };
  const items = disclosed.map((e) => q.view.project(e));
  if (!cache || !hasMore) return { ...page, items };
  // Encoded once: a page of 100 events is ~100 KB, and encoding it cost ~1 ms a request.
  const itemsBytes = Buffer.from(JSON.stringify(items));
  const logged = new Set<string>();
  cache.set(key, { events, passed, items, itemsBytes, logged });
  return { ...page, items, itemsBytes, logged };
}

/** Strong ETag of a page: the view, the query and the sequence numbers it holds (events never change). */
export function pageETag(q: FeedQuery, page: FeedPage): string {
  const h = createHash('sha256');
  h.update(JSON.stringify([q.view.id, q.view.fingerprint, q.entity, q.after, q.limit, page.hasMore, page.items.map((e) => e.seq)]));
  return `"${h.digest('base64url').slice(0, 27)}"`;
}
