import { memoryUsage } from 'node:process';

/** Monotonic clock in nanoseconds (process.hrtime). */
export function clock(): bigint {
  return process.hrtime.bigint();
}

/** Milliseconds since a clock() reading. */
export function sinceMs(start: bigint): number {
  return Number(process.hrtime.bigint() - start) / 1e6;
}

export async function timed<T>(fn: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const t = clock();
  const value = await fn();
  return { ms: sinceMs(t), value };
}

export function median(xs: readonly number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

/** Nearest-rank percentile (p in 0..100). */
export function percentile(xs: readonly number[], p: number): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))]!;
}

/** Runs fn `times` times in a row and returns each result (a median over them smooths a shared machine). */
export async function repeat<T>(times: number, fn: (i: number) => Promise<T>): Promise<T[]> {
  const out: T[] = [];
  for (let i = 0; i < times; i++) out.push(await fn(i));
  return out;
}

export const round = (x: number, digits = 0): number => {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
};

export interface RssSummary {
  startMb: number;
  peakMb: number;
  endMb: number;
  /** Peak in the first and the last quarter of the run: equal within noise when memory is flat. */
  firstQuarterPeakMb: number;
  lastQuarterPeakMb: number;
  samples: number;
}

/** Samples process.memoryUsage().rss (of this process, or of others through a reader). */
export class RssSampler {
  private readonly samples: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  constructor(private readonly read: () => number = () => memoryUsage().rss) {}

  start(intervalMs = 200): this {
    this.sample();
    this.timer = setInterval(() => this.sample(), intervalMs);
    this.timer.unref();
    return this;
  }

  /** Takes a sample now (also call it from busy code: a loop that never yields starves the timer). */
  sample(): void {
    this.samples.push(this.read());
  }

  stop(): RssSummary {
    if (this.timer) clearInterval(this.timer);
    this.samples.push(this.read());
    const mb = (b: number) => round(b / 1024 / 1024, 1);
    const q = Math.max(1, Math.floor(this.samples.length / 4));
    return {
      startMb: mb(this.samples[0]!),
      peakMb: mb(Math.max(...this.samples)),
      endMb: mb(this.samples[this.samples.length - 1]!),
      firstQuarterPeakMb: mb(Math.max(...this.samples.slice(0, q))),
      lastQuarterPeakMb: mb(Math.max(...this.samples.slice(-q))),
      samples: this.samples.length,
    };
  }
}

/** Resolves after ms. */
export const sleep = (ms: number) => new Promise<void>((r) => setTimeout(r, ms));

/** Polls until fn is true, failing after timeoutMs with what it waited for. */
export async function until(fn: () => boolean | Promise<boolean>, timeoutMs: number, what: string, pollMs = 5): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await fn())) {
    if (Date.now() > end) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

/**
 * How long the event loop was held: a 10 ms timer notes the gap between its runs. A loop that never
 * yields (synchronous SQLite + JSONata's promise chains) shows up as one long gap.
 */
export class LoopLag {
  private last = Date.now();
  private maxGap = 0;
  private readonly gaps: number[] = [];
  private timer: NodeJS.Timeout | undefined;

  start(): this {
    this.last = Date.now();
    this.timer = setInterval(() => this.tick(), 10);
    this.timer.unref();
    return this;
  }

  private tick(): void {
    const now = Date.now();
    const gap = now - this.last - 10;
    this.gaps.push(Math.max(0, gap));
    this.maxGap = Math.max(this.maxGap, gap);
    this.last = now;
  }

  /** Longest time (ms) the timer could not run, and the 99th percentile of its delays. */
  stop(): { maxMs: number; p99Ms: number; ticks: number } {
    if (this.timer) clearInterval(this.timer);
    this.tick();
    return { maxMs: Math.max(0, this.maxGap), p99Ms: percentile(this.gaps, 99), ticks: this.gaps.length };
  }
}
