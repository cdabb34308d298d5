/**
 * A simulator's table of records ordered by a change key (LAIS: `mainits` in ms; ISIS: the change
 * number). Base records are made on demand from their index, with keys strictly increasing in the
 * index; a changed or added record gets a new, higher key and moves to the change log. Listing by
 * key range is keyset paging, as a real system's changed-since query: a record that changes while a
 * client pages leaves its old place and shows up again after the key the client has reached.
 */
import { NotFoundError } from '../../src/core/errors.ts';

export interface TableSpec<T> {
  /** Number of base records (indexes 0..size-1). */
  size: number;
  /** Key of base record i; strictly increasing in i. */
  baseKey(i: number): number;
  make(i: number, key: number): T;
  /** Whether base record i exists (e.g. a diploma only for graduates); all exist by default. */
  exists?(i: number): boolean;
  /** Writes the key into a record (its mainits or ChangeNo). */
  stamp(record: T, key: number): T;
}

export interface Listed<T> {
  index: number;
  key: number;
  record: T;
}

export class SimTable<T> {
  private readonly overrides = new Map<number, T>();
  private readonly latest = new Map<number, number>();
  private readonly log: { index: number; key: number }[] = [];
  private next: number;

  constructor(private readonly spec: TableSpec<T>) {
    this.next = spec.size;
  }

  /** All indexes ever used (base and added). */
  get size(): number {
    return this.next;
  }

  has(i: number): boolean {
    if (this.overrides.has(i)) return true;
    return i >= 0 && i < this.spec.size && (this.spec.exists?.(i) ?? true);
  }

  get(i: number): T | undefined {
    const o = this.overrides.get(i);
    if (o) return o;
    if (!this.has(i)) return undefined;
    return this.spec.make(i, this.spec.baseKey(i));
  }

  /** Changes record i (the change gets `key`, which must be above every key so far). */
  change(i: number, key: number, fn: (r: T) => T): T {
    const cur = this.get(i);
    if (cur === undefined) throw new NotFoundError(`no record ${i}`);
    const next = this.spec.stamp(fn(structuredClone(cur)), key);
    this.put(i, key, next);
    return next;
  }

  /** Adds a new record; returns its index. */
  add(key: number, make: (i: number) => T): number {
    const i = this.next++;
    this.put(i, key, this.spec.stamp(make(i), key));
    return i;
  }

  private put(i: number, key: number, record: T): void {
    this.overrides.set(i, record);
    this.latest.set(i, key);
    this.log.push({ index: i, key });
  }

  /** Records with from ≤ key (inclusive), key > after (exclusive), key ≤ to, in key order; up to limit. */
  list(o: { from?: number; after?: number; to?: number; limit: number }): { items: Listed<T>[]; more: boolean } {
    const items: Listed<T>[] = [];
    const above = (k: number) => (o.from === undefined || k >= o.from) && (o.after === undefined || k > o.after);
    const within = (k: number) => o.to === undefined || k <= o.to;
    // Base part: binary search for the first index whose key is in range.
    let lo = 0;
    let hi = this.spec.size;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (above(this.spec.baseKey(mid))) hi = mid;
      else lo = mid + 1;
    }
    for (let i = lo; i < this.spec.size && items.length <= o.limit; i++) {
      const key = this.spec.baseKey(i);
      if (!within(key)) break;
      if (this.latest.has(i) || !(this.spec.exists?.(i) ?? true)) continue;
      items.push({ index: i, key, record: this.spec.make(i, key) });
    }
    // Change log part (keys above every base key).
    lo = 0;
    hi = this.log.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (above(this.log[mid]!.key)) hi = mid;
      else lo = mid + 1;
    }
    for (let j = lo; j < this.log.length && items.length <= o.limit; j++) {
      const e = this.log[j]!;
      if (!within(e.key)) break;
      if (this.latest.get(e.index) !== e.key) continue;
      items.push({ index: e.index, key: e.key, record: this.overrides.get(e.index)! });
    }
    const more = items.length > o.limit;
    if (more) items.length = o.limit;
    return { items, more };
  }

  /** Number of live records (base that exist, plus added ones). */
  count(): number {
    let n = 0;
    if (this.spec.exists) {
      for (let i = 0; i < this.spec.size; i++) if (this.spec.exists(i) || this.overrides.has(i)) n++;
    } else n = this.spec.size;
    return n + (this.next - this.spec.size);
  }
}
