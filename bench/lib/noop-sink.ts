import type { Sink, SinkType } from '../../src/core/adapter.ts';
import type { ChangeEvent } from '../../src/core/types.ts';

/**
 * Counts deliveries and does nothing else: the sink that costs nothing, so a benchmark measures the
 * hub. Registered by the benchmarks only (never in adapters/index.ts).
 */
export class DeliveryCounter {
  /** Sink calls so far (a copy delivered twice counts twice). */
  count = 0;

  record(_e: ChangeEvent): void {
    this.count++;
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
