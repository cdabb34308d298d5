import type { HubConfig, SourceConfig } from '../config/types.ts';
import { ConflictError, UnknownSourceError } from '../core/errors.ts';
import type { SqlDb } from '../store/sql.ts';
import { lagSeconds, type SourceManager } from './manager.ts';
import type { RunnerPhase } from './runner.ts';
import { SourceStates, type SourceState } from './state.ts';

export type SourceHealth = 'ok' | 'failing' | 'never-run' | 'paused' | 'push-only';

/** A source as the admin API shows it. */
export interface SourceView {
  id: string;
  institution: string;
  system: string;
  mappingSet: string;
  /** Adapter type, or null for a push-only source (records arrive through the ingest API). */
  adapter: string | null;
  health: SourceHealth;
  /** What this process is doing with the source; null when no runner of it runs here (API process). */
  phase: RunnerPhase | null;
  paused: boolean;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastError: { at: string | null; code: string | null; message: string | null } | null;
  errorCount: number;
  consecutiveFailures: number;
  recordsRead: number;
  cursor: string | null;
  cursorAsOf: string | null;
  lagSeconds: number | null;
  syncRequested: boolean;
  /** The worker reading it right now (lease), if any. */
  readBy: string | null;
  nextRunAt: string | null;
  passStartedAt: string | null;
}

function view(s: SourceConfig, st: SourceState | undefined, manager: SourceManager | undefined): SourceView {
  const runner = manager?.runner(s.id);
  const adapter = s.adapter?.type ?? null;
  const health: SourceHealth = !adapter ? 'push-only' : st?.paused ? 'paused' : !st?.lastRunAt ? 'never-run' : (st.consecutiveFailures ?? 0) > 0 ? 'failing' : st.lastSuccessAt ? 'ok' : 'never-run';
  const leaseLive = st?.leaseOwner && st.leaseUntil && st.leaseUntil > new Date().toISOString();
  return {
    id: s.id,
    institution: s.institution,
    system: s.system ?? s.id,
    mappingSet: s.mappingSet,
    adapter,
    health,
    phase: runner?.phase ?? null,
    paused: st?.paused ?? false,
    lastRunAt: st?.lastRunAt ?? null,
    lastSuccessAt: st?.lastSuccessAt ?? null,
    lastError: st?.lastErrorAt ? { at: st.lastErrorAt, code: st.lastErrorCode, message: st.lastError } : null,
    errorCount: st?.errorCount ?? 0,
    consecutiveFailures: st?.consecutiveFailures ?? 0,
    recordsRead: st?.recordsRead ?? 0,
    cursor: st?.cursor ?? null,
    cursorAsOf: st?.cursorAsOf ?? null,
    lagSeconds: adapter && st ? lagSeconds(st.cursorAsOf, st.lastSuccessAt) : null,
    syncRequested: Boolean(st?.syncRequestedAt),
    readBy: leaseLive ? st.leaseOwner : null,
    nextRunAt: runner && runner.nextRunAt > 0 && runner.phase !== 'syncing' ? new Date(runner.nextRunAt).toISOString() : null,
    passStartedAt: runner?.passStartedAt ? new Date(runner.passStartedAt).toISOString() : null,
  };
}

/**
 * The admin side of the sources: list with health, pause, resume, trigger. Works in every process:
 * the state is in the store (an API process writes the request, the worker that reads the source
 * acts on it within its control interval); where the runner lives in this process it acts at once.
 */
export class SourceAdmin {
  private readonly states: SourceStates;

  constructor(
    private readonly config: HubConfig,
    sql: SqlDb,
    private readonly manager: SourceManager | undefined,
  ) {
    this.states = manager?.states ?? new SourceStates(sql);
  }

  private source(id: string): SourceConfig {
    const s = this.config.sources.find((x) => x.id === id);
    if (!s) throw new UnknownSourceError(`unknown source '${id}'`, { extra: { knownSources: this.config.sources.map((x) => x.id) } });
    return s;
  }

  private polled(id: string): SourceConfig {
    const s = this.source(id);
    if (!s.adapter) throw new ConflictError(`source '${id}' is push-only (no adapter): records arrive through POST /api/v1/ingest/${id}/{entity}`);
    return s;
  }

  private async ready(): Promise<void> {
    await this.states.migrate();
    await this.states.ensure(this.config.sources.filter((s) => s.adapter).map((s) => s.id));
  }

  async list(): Promise<SourceView[]> {
    await this.ready();
    const states = new Map((await this.states.list()).map((s) => [s.sourceId, s]));
    return this.config.sources.map((s) => view(s, states.get(s.id), this.manager));
  }

  async get(id: string): Promise<SourceView> {
    const s = this.source(id);
    await this.ready();
    return view(s, await this.states.get(id), this.manager);
  }

  /** Probes the system (adapter health()) where its runner lives in this process. */
  async probe(id: string): Promise<{ ok: boolean; error?: { code: string; message: string } } | null> {
    this.polled(id);
    return (await this.manager?.runner(id)?.health()) ?? null;
  }

  async pause(id: string): Promise<SourceView> {
    this.polled(id);
    await this.ready();
    if (this.manager) await this.manager.pause(id);
    else await this.states.setPaused(id, true);
    return this.get(id);
  }

  async resume(id: string): Promise<SourceView> {
    this.polled(id);
    await this.ready();
    if (this.manager) await this.manager.resume(id);
    else await this.states.setPaused(id, false);
    return this.get(id);
  }

  /** Asks for a pass now; `full` clears the cursor first, so everything is read again. */
  async sync(id: string, full: boolean): Promise<SourceView> {
    this.polled(id);
    await this.ready();
    if ((await this.states.get(id))?.paused) throw new ConflictError(`source '${id}' is paused: resume it first (POST /api/v1/sources/${id}/resume)`);
    if (this.manager) await this.manager.trigger(id, full);
    else await this.states.requestSync(id, full);
    return this.get(id);
  }
}
