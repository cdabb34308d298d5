import { hostname } from 'node:os';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HubConfig, SourceConfig } from '../config/types.ts';
import type { AdapterContext, SourceScheduleOptions, SourceType } from '../core/adapter.ts';
import { ConfigError, type Violation } from '../core/errors.ts';
import { uuidv7 } from '../core/ids.ts';
import type { JsonObject } from '../core/types.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { SqlDb } from '../store/sql.ts';
import { sourceContext } from './context.ts';
import { SourceMetrics } from './metrics.ts';
import { SourceRunner, type Schedule } from './runner.ts';
import { SourceStates } from './state.ts';

export interface SourceManagerDeps {
  config: HubConfig;
  types: readonly SourceType[];
  pipeline: Pipeline;
  sql: SqlDb;
  registry: Registry;
  logger: Logger;
  context(scope: string): AdapterContext;
  /** Whether the mapping set maps the entity (checked at start for every entity a source emits). */
  maps(mappingSet: string, entity: string): boolean;
  /** How often runners read pause and sync requests, and the lag gauge is read from the store (2 s). */
  controlIntervalMs?: number;
  leaseTtlMs?: number;
}

/** A source's schedule from its options, as checked at load (the options schema filled in the defaults). */
export function scheduleOf(options: JsonObject, type: SourceType): Schedule {
  const o = options as unknown as SourceScheduleOptions;
  return {
    pollIntervalMs: o.pollIntervalMs ?? type.defaultPollIntervalMs,
    batchSize: o.batchSize,
    retry: { ...o.retry, maxAttempts: Number.MAX_SAFE_INTEGER },
  };
}

/**
 * Runs every configured source that has an adapter (roles `all` and `worker`): builds the adapter
 * with its context, and a runner that schedules its passes. Reconnect and back-off, cursors, the
 * lease between workers, metrics, pause/resume and triggered syncs live here, once for all adapters.
 */
export class SourceManager {
  readonly states: SourceStates;
  readonly metrics: SourceMetrics;
  readonly owner = `${hostname()}:${process.pid}:${uuidv7().slice(-8)}`;
  private readonly runners = new Map<string, SourceRunner>();

  constructor(private readonly d: SourceManagerDeps) {
    this.states = new SourceStates(d.sql);
    this.metrics = new SourceMetrics(d.registry);
  }

  /** Sources of the config that an adapter reads (the others are push-only, through the ingest API). */
  private polled(): (SourceConfig & { adapter: { type: string; options?: JsonObject } })[] {
    return this.d.config.sources.filter((s): s is SourceConfig & { adapter: { type: string; options?: JsonObject } } => s.adapter !== undefined);
  }

  async start(): Promise<void> {
    await this.states.migrate();
    const polled = this.polled();
    const v: Violation[] = [];
    const plans = polled.map((s) => {
      const i = this.d.config.sources.indexOf(s);
      const type = this.d.types.find((t) => t.type === s.adapter.type);
      if (!type) {
        v.push({ path: `/sources/${i}/adapter/type`, message: `unknown source adapter '${s.adapter.type}'` });
        return undefined;
      }
      const options = s.adapter.options ?? {};
      for (const entity of type.entities(options)) {
        if (!this.d.maps(s.mappingSet, entity))
          v.push({ path: `/sources/${i}/mappingSet`, message: `mapping set '${s.mappingSet}' has no mapping for '${entity}', which the ${type.type} source reads` });
      }
      return { s, type, options };
    });
    if (v.length) throw new ConfigError('source adapters do not fit their mapping sets', { violations: v });
    await this.states.ensure(polled.map((s) => s.id));
    this.metrics.setLagProvider(() => this.lagSnapshot);
    for (const plan of plans) {
      if (!plan) continue;
      const { s, type, options } = plan;
      const schedule = scheduleOf(options, type);
      const runner = new SourceRunner({
        id: s.id,
        schedule,
        states: this.states,
        metrics: this.metrics,
        logger: this.d.logger.child({ component: `source:${s.id}` }),
        owner: this.owner,
        controlIntervalMs: this.d.controlIntervalMs ?? 2000,
        leaseTtlMs: this.d.leaseTtlMs ?? 60_000,
      });
      const ctx = sourceContext({
        base: this.d.context(`source:${s.id}`),
        sourceId: s.id,
        institution: s.institution,
        pipeline: this.d.pipeline,
        states: this.states,
        metrics: this.metrics,
        batchSize: schedule.batchSize,
        checkpoint: () => runner.checkpoint(),
        requestSync: () => void this.trigger(s.id, false).catch((e: unknown) => this.d.logger.warn({ err: e, source: s.id }, 'cannot request a sync')),
      });
      const source = type.create(options, ctx);
      this.runners.set(s.id, runner);
      await runner.start(source, ctx);
    }
    // The lag is read as often as the runners read their control requests (one query for all sources).
    this.lagTimer = setInterval(() => void this.refreshLag(), this.d.controlIntervalMs ?? 2000);
    this.lagTimer.unref();
    await this.refreshLag();
  }

  private lagSnapshot: { source: string; seconds: number | null }[] = [];
  private lagTimer: NodeJS.Timeout | undefined;

  /** Lag per source, from the persisted state (read every few seconds; the gauge shows the last). */
  private async refreshLag(): Promise<void> {
    try {
      const states = await this.states.list();
      const now = Date.now();
      this.lagSnapshot = states.filter((s) => this.runners.has(s.sourceId)).map((s) => ({ source: s.sourceId, seconds: lagSeconds(s.cursorAsOf, s.lastSuccessAt, now) }));
    } catch {
      // keep the last snapshot
    }
  }

  runner(id: string): SourceRunner | undefined {
    return this.runners.get(id);
  }

  async pause(id: string): Promise<void> {
    await this.states.setPaused(id, true);
    this.runners.get(id)?.abortPass();
    this.runners.get(id)?.wake();
  }

  async resume(id: string): Promise<void> {
    await this.states.setPaused(id, false);
    this.runners.get(id)?.wake();
  }

  async trigger(id: string, full: boolean): Promise<void> {
    await this.states.requestSync(id, full);
    this.runners.get(id)?.wake();
  }

  async stop(): Promise<void> {
    if (this.lagTimer) clearInterval(this.lagTimer);
    await Promise.all([...this.runners.values()].map((r) => r.stop()));
    this.runners.clear();
  }
}

export function lagSeconds(asOf: string | null, lastSuccessAt: string | null, now = Date.now()): number | null {
  const ref = asOf ?? lastSuccessAt;
  if (!ref) return null;
  const t = Date.parse(ref);
  return Number.isNaN(t) ? null : Math.max(0, Math.round((now - t) / 100) / 10);
}
