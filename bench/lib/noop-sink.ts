import type { Sink, SinkType } from '../../src/core/adapter.ts';
import type { ChangeEvent } from '../../src/core/types.ts';

/**
 * Counts deliveries and does nothing else: the sink that costs nothing, so a benchmark measures the
 * hub. Registered by the benchmarks only (never in adapters/index.ts).
 */
export class DeliveryCounter {
  count = 0;
  /** Event ids seen, to tell a duplicate delivery from a new one. */
  private readonly seen = new Set<string>();
  duplicates = 0;
  firstAt: bigint | undefined;
  lastAt: bigint | undefined;

  constructor(private readonly trackIds = false) {}

  record(e: ChangeEvent): void {
    const t = process.hrtime.bigint();
    this.firstAt ??= t;
    this.lastAt = t;
    if (this.trackIds) {
      if (this.seen.has(e.eventId)) {
        this.duplicates++;
        return;
      }
      this.seen.add(e.eventId);
    }
    this.count++;
  }

  reset(): void {
    this.count = 0;
    this.duplicates = 0;
    this.seen.clear();
    this.firstAt = undefined;
    this.lastAt = undefined;
  }
}

export function noopSinkType(counter: DeliveryCounter): SinkType {
  return {
    type: 'bench-noop',
    description: 'Benchmark sink: counts deliveries, sends nothing.',
    optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
    create(): Sink {
      return {
        deliver: async (event) => {
          counter.record(event);
        },
      };
    },
  };
}
