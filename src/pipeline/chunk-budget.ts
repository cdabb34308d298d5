/**
 * Sizes the transactions of an ingest by time as well as by count. On the embedded store (SQLite,
 * synchronous) a chunk's transaction holds the event loop for as long as it runs, and every request
 * that arrives meanwhile waits for it; a chunk of 100 records held it up to ~43 ms on a quiet
 * machine and far longer on a busy one (docs/performance.md, API latency). The sizer keeps a moving
 * estimate of the time a record takes in the transaction and offers as many records as fit in the
 * budget, between `min` and `max`: the chunk stays atomic (one transaction), only smaller when
 * records are slow or the machine is busy. The floor is there because every chunk also costs a commit
 * and a turn of the relay and the router: on this machine 25-record chunks cost ~10 % more CPU per
 * record delivered than 100-record ones, 15-record chunks ~40 % more (docs/performance.md).
 */
export class ChunkBudget {
  /** Estimated milliseconds per record in the transaction (undefined until the first is measured). */
  private msPerRecord: number | undefined;

  constructor(
    /** The time one transaction should take at most (ms). */
    readonly budgetMs: number,
    /** Records in one transaction at most. */
    readonly max: number,
    /** Records in one transaction at least (a single slow record still goes alone). */
    readonly min = 1,
    /** Records of the first transaction, before anything was measured. */
    private readonly first = Math.min(max, 20),
  ) {
    if (!(budgetMs > 0) || !Number.isInteger(max) || !Number.isInteger(min) || min < 1 || max < min) throw new RangeError('ChunkBudget: 0 < budgetMs, 1 <= min <= max');
  }

  /**
   * How many records the next transaction takes of the `left` still to store: as many as fit the budget
   * (at least `min`, at most `max`), evened out over what is left so that no chunk is a small remainder
   * (100 records at 40 a chunk: 34, 33, 33).
   */
  size(left: number): number {
    const fit = this.msPerRecord === undefined ? this.first : Math.floor(this.budgetMs / this.msPerRecord);
    const n = Math.max(1, Math.min(this.max, Math.max(this.min, fit)));
    return left <= n ? Math.max(0, left) : Math.ceil(left / Math.ceil(left / n));
  }

  /** A transaction of `records` records took `ms`. A slow one weighs in at once, a fast one gradually. */
  observe(records: number, ms: number): void {
    if (records < 1 || !(ms >= 0)) return;
    const sample = ms / records;
    if (this.msPerRecord === undefined || sample > this.msPerRecord) this.msPerRecord = sample;
    else this.msPerRecord = 0.6 * this.msPerRecord + 0.4 * sample;
  }

  /** The current estimate (ms per record), for tests and metrics. */
  get estimate(): number | undefined {
    return this.msPerRecord;
  }
}
