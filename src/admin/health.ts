import { errorMessage } from '../core/errors.ts';
import type { AdminDeps } from './deps.ts';
import { SourceAdmin } from '../sources/admin.ts';

/**
 * Adapter health as the console shows it: the one place that asks source adapters (src/sources,
 * through the admin view the sources API uses too) and sinks (Sink.health()) how they are.
 */
export interface HealthView {
  /** ok, failing, paused, never-run, push-only, no-check, unknown. */
  state: string;
  detail: string | null;
  /** When the adapter last succeeded (sources). */
  lastSuccessAt: string | null;
}

const SINK_CHECK_MS = 3000;
const SINK_CACHE_MS = 15_000;
const SOURCE_CACHE_MS = 5000;

export class AdapterHealth {
  private sinkCache = new Map<string, { at: number; view: Promise<HealthView> }>();
  private sourceCache: { at: number; views: Promise<Map<string, HealthView>> } | undefined;

  constructor(private readonly hub: Pick<AdminDeps, 'config' | 'store' | 'sources' | 'sink'>) {}

  /** The health of every configured source, read at most every 5 s (live views ask every few seconds). */
  sources(): Promise<Map<string, HealthView>> {
    if (this.sourceCache && Date.now() - this.sourceCache.at < SOURCE_CACHE_MS) return this.sourceCache.views;
    const views = this.readSources();
    this.sourceCache = { at: Date.now(), views };
    return views;
  }

  private async readSources(): Promise<Map<string, HealthView>> {
    const out = new Map<string, HealthView>();
    try {
      for (const s of await new SourceAdmin(this.hub.config, this.hub.store.sql, this.hub.sources).list()) {
        const detail = s.lastError?.message ? `${s.lastError.code ?? 'error'}: ${s.lastError.message}` : s.adapter ? `adapter ${s.adapter}` : 'records arrive through the ingest API';
        out.set(s.id, { state: s.health, detail, lastSuccessAt: s.lastSuccessAt });
      }
    } catch (e) {
      for (const s of this.hub.config.sources) out.set(s.id, { state: 'unknown', detail: `source state unavailable: ${errorMessage(e)}`, lastSuccessAt: null });
    }
    return out;
  }

  /** A sink's own health check, at most every 15 s per sink, bounded to 3 s. */
  sink(sinkId: string): Promise<HealthView> {
    const hit = this.sinkCache.get(sinkId);
    if (hit && Date.now() - hit.at < SINK_CACHE_MS) return hit.view;
    const view = this.checkSink(sinkId);
    this.sinkCache.set(sinkId, { at: Date.now(), view });
    return view;
  }

  private async checkSink(sinkId: string): Promise<HealthView> {
    const sink = this.hub.sink(sinkId);
    if (!sink) return { state: 'unknown', detail: 'not started in this process', lastSuccessAt: null };
    if (!sink.health) return { state: 'no-check', detail: 'this sink type has no health check', lastSuccessAt: null };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        sink.health(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new Error(`no answer within ${SINK_CHECK_MS / 1000} s`)), SINK_CHECK_MS);
        }),
      ]);
      return { state: 'ok', detail: null, lastSuccessAt: new Date().toISOString() };
    } catch (e) {
      return { state: 'failing', detail: errorMessage(e), lastSuccessAt: null };
    } finally {
      clearTimeout(timer);
    }
  }
}
