import { Counter, Gauge, Histogram, type Registry } from 'prom-client';

function once<T>(registry: Registry, name: string, make: () => T): T {
  return (registry.getSingleMetric(name) as T | undefined) ?? make();
}

type LagProvider = () => { source: string; seconds: number | null }[];
const lagProviders = new WeakMap<Registry, LagProvider>();

/**
 * Prometheus metrics of the sources, on the hub's registry; labels are the source id, the entity and
 * an error code only (low cardinality). The lag gauge is computed when scraped.
 */
export class SourceMetrics {
  readonly records: Counter<'source' | 'entity'>;
  readonly errors: Counter<'source' | 'code'>;
  readonly passes: Counter<'source' | 'result'>;
  readonly passDuration: Histogram<'source'>;
  readonly lastSuccess: Gauge<'source'>;
  readonly lag: Gauge<'source'>;
  readonly paused: Gauge<'source'>;

  constructor(private readonly registry: Registry) {
    const registers = [registry];
    this.records = once(
      registry,
      'hub_source_records_total',
      () => new Counter({ name: 'hub_source_records_total', help: 'Records read from a source and handed to the pipeline', labelNames: ['source', 'entity'] as const, registers }),
    );
    this.errors = once(
      registry,
      'hub_source_errors_total',
      () => new Counter({ name: 'hub_source_errors_total', help: 'Failed source passes, by error code', labelNames: ['source', 'code'] as const, registers }),
    );
    this.passes = once(
      registry,
      'hub_source_passes_total',
      () => new Counter({ name: 'hub_source_passes_total', help: 'Source passes, by result (ok, error, aborted)', labelNames: ['source', 'result'] as const, registers }),
    );
    this.passDuration = once(
      registry,
      'hub_source_pass_duration_seconds',
      () => new Histogram({ name: 'hub_source_pass_duration_seconds', help: 'Duration of source passes', labelNames: ['source'] as const, buckets: [0.05, 0.25, 1, 5, 15, 60, 300, 1800], registers }),
    );
    this.lastSuccess = once(
      registry,
      'hub_source_last_success_timestamp_seconds',
      () => new Gauge({ name: 'hub_source_last_success_timestamp_seconds', help: 'End of the last successful pass (Unix time)', labelNames: ['source'] as const, registers }),
    );
    this.paused = once(registry, 'hub_source_paused', () => new Gauge({ name: 'hub_source_paused', help: '1 while a source is paused', labelNames: ['source'] as const, registers }));
    this.lag = once(
      registry,
      'hub_source_lag_seconds',
      () =>
        new Gauge({
          name: 'hub_source_lag_seconds',
          help: "How far the hub is behind a source: now minus the source's time up to which everything has been read (or the last successful pass)",
          labelNames: ['source'] as const,
          registers,
          collect() {
            this.reset();
            for (const l of lagProviders.get(registry)?.() ?? []) if (l.seconds !== null) this.set({ source: l.source }, l.seconds);
          },
        }),
    );
  }

  /** The function the lag gauge asks when scraped. */
  setLagProvider(fn: LagProvider): void {
    lagProviders.set(this.registry, fn);
  }
}
