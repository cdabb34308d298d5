import { isHubError } from './errors.ts';

interface Pending<I, O> {
  input: I;
  resolve: (o: O) => void;
  reject: (e: unknown) => void;
}

/**
 * Turns many concurrent calls of one kind (a delivery claim, an outcome, a disclosure) into one
 * batched call, usually one transaction: the inputs that arrive while the previous batch runs (or in
 * the same turn of the event loop) go together, so batches grow with the load and a lone call waits
 * one turn at most. A failed batch fails each caller; a batch refused for a reason other than an
 * outage is run again item by item, so that one bad item fails alone.
 */
export class Coalescer<I, O> {
  private queue: Pending<I, O>[] = [];
  private busy = false;

  constructor(
    private readonly many: (inputs: I[]) => Promise<O[]>,
    private readonly one: (input: I) => Promise<O>,
  ) {}

  run(input: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ input, resolve, reject });
      if (!this.busy) {
        this.busy = true;
        setImmediate(() => void this.drain());
      }
    });
  }

  private async drain(): Promise<void> {
    while (this.queue.length) {
      const batch = this.queue.splice(0);
      try {
        const out = await this.many(batch.map((p) => p.input));
        batch.forEach((p, i) => p.resolve(out[i]!));
      } catch (e) {
        if (batch.length === 1 || (isHubError(e) && e.retryable)) batch.forEach((p) => p.reject(e));
        else for (const p of batch) await this.one(p.input).then(p.resolve, p.reject);
      }
    }
    this.busy = false;
  }
}
