import { BusyError } from './errors.ts';

export interface GateLimits {
  /** How many may run at once. */
  concurrent: number;
  /** How many may wait for a turn; one more is refused with BusyError. */
  queue: number;
  /** What Retry-After says to a refused caller, in seconds. */
  retryAfterSeconds?: number;
}

/**
 * A cap on concurrent work of one kind (heavy admin reads, the mapping tester's workers): up to
 * `concurrent` run, up to `queue` wait in order, and the next is refused at once with a BusyError
 * (503, `retryAfterSeconds` in its extra) instead of piling up behind the others.
 */
export class Gate {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    readonly name: string,
    readonly limits: Readonly<GateLimits>,
  ) {}

  get active(): number {
    return this.running;
  }

  get queued(): number {
    return this.waiting.length;
  }

  /** Runs `fn` when there is room; throws BusyError when the queue is full. */
  async run<T>(fn: () => Promise<T>): Promise<T> {
    const release = await this.acquire();
    try {
      return await fn();
    } finally {
      release();
    }
  }

  /** Waits for a turn (BusyError when the queue is full); the returned function ends it (once). */
  async acquire(): Promise<() => void> {
    await this.enter();
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.leave();
    };
  }

  private async enter(): Promise<void> {
    if (this.running < this.limits.concurrent) {
      this.running++;
      return;
    }
    if (this.waiting.length >= this.limits.queue) {
      const retryAfterSeconds = this.limits.retryAfterSeconds ?? 1;
      throw new BusyError(`too many ${this.name} at once (${this.limits.concurrent} running, ${this.limits.queue} waiting); try again in ${retryAfterSeconds} s`, {
        extra: { retryAfterSeconds, running: this.limits.concurrent, queued: this.limits.queue },
      });
    }
    // leave() hands its slot over: running stays the same.
    await new Promise<void>((resolve) => this.waiting.push(resolve));
  }

  private leave(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}
