/**
 * Search results kept for repeated questions (catalogue searches repeat: the same words, the same
 * filters). An entry is valid only for the read model's generation it was computed at (the follower's
 * cursor), so an applied change makes every entry stale at once; the least recently used entries go
 * first past `max`. `max` 0 turns it off.
 */
export class SearchCache<T> {
  private readonly entries = new Map<string, { generation: number; value: T }>();
  hits = 0;
  misses = 0;

  constructor(private readonly max: number) {}

  async get(key: string, generation: number, compute: () => Promise<T>): Promise<T> {
    if (this.max <= 0) return compute();
    const e = this.entries.get(key);
    if (e && e.generation === generation) {
      this.hits++;
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, e);
      return e.value;
    }
    this.misses++;
    const value = await compute();
    this.entries.delete(key);
    this.entries.set(key, { generation, value });
    if (this.entries.size > this.max) this.entries.delete(this.entries.keys().next().value!);
    return value;
  }
}
