import type { ChangeEvent } from '../core/types.ts';

/** What the page cache keeps of one full page. */
export interface CachedPage {
  /** The events read from the change log, as stored (screened again on every request). */
  events: ChangeEvent[];
  /** The event ids that passed the screen when `items` was made ('*': all of them). */
  passed: string;
  /** The page's items projected for the view, and their JSON as UTF-8 bytes (served as they are). */
  items: ChangeEvent[];
  itemsBytes: Buffer;
  /**
   * The disclosure channels on which the events that passed (`passed`) are already in the disclosure
   * log. The log only grows, so a channel once here needs no look-up for this page again.
   */
  logged: Set<string>;
  /** Estimated size in memory (bytes). */
  size: number;
}

/** The cache's default memory budget (estimated bytes). */
export const PAGE_CACHE_BYTES = 32 * 1024 * 1024;

/**
 * Full feed pages (hasMore: the change log held more than the page), which never change: the events
 * after a cursor up to the limit are fixed once a later one is visible. Keyed by the view (its id and
 * fingerprint: entities, institutions, fields), the entity, the cursor, the limit and the change log's
 * rewrite generation (an erasure or a retention pass rewriting stored events starts a new one, so a
 * page read before it is never served after it). What is kept is what the store returned and the
 * projection of what passed the screen, as the bytes sent; the screen (erasure, consent) still runs on
 * every request, the projected bytes are reused only when the same events pass it, and the disclosure
 * log is written for every channel that reads the page (once a channel's entries are in the log, which
 * only grows, the page remembers it and skips the log's look-up; src/feeds/feed.ts). Least recently used pages go first once the budget is spent.
 */
export class FeedPageCache {
  private readonly pages = new Map<string, CachedPage>();
  private bytes = 0;
  hits = 0;
  misses = 0;

  constructor(private budget = PAGE_CACHE_BYTES) {}

  /** Sets the memory budget (0: keeps nothing, e.g. to measure without the cache), dropping pages over it. */
  resize(bytes: number): void {
    this.budget = bytes;
    for (const [k, p] of this.pages) {
      if (this.bytes <= this.budget) break;
      this.pages.delete(k);
      this.bytes -= p.size;
    }
  }

  get(key: string): CachedPage | undefined {
    const p = this.pages.get(key);
    if (!p) {
      this.misses++;
      return undefined;
    }
    this.hits++;
    this.pages.delete(key);
    this.pages.set(key, p);
    return p;
  }

  set(key: string, page: Omit<CachedPage, 'size'>): void {
    // The stored events and the projected items as objects, and the items' JSON: about 4× the JSON.
    const size = page.itemsBytes.length * 4;
    if (size > this.budget) return;
    const old = this.pages.get(key);
    if (old) {
      this.bytes -= old.size;
      this.pages.delete(key);
    }
    this.pages.set(key, { ...page, size });
    this.bytes += size;
    this.resize(this.budget);
  }

  get size(): number {
    return this.pages.size;
  }
}

const caches = new WeakMap<object, FeedPageCache>();

/** The page cache of one hub (made on first use; it goes with the hub). */
export function pageCacheOf(hub: object): FeedPageCache {
  let c = caches.get(hub);
  if (!c) caches.set(hub, (c = new FeedPageCache()));
  return c;
}
