import { setTimeout as sleep } from 'node:timers/promises';
import { ConflictError, TransportError } from '../../core/errors.ts';
import { SourceAdmin } from '../../sources/admin.ts';
import { SourceStates, type SourceState } from '../../sources/state.ts';
import { createStore } from '../../store/index.ts';
import { progress } from '../progress.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';

/** `hub source list`: every source with its health, as GET /api/v1/sources shows it. */
export async function sourceListCommand(opts: { config?: string; json?: boolean }): Promise<void> {
  try {
    const rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    const store = await createStore(rt.env);
    try {
      await store.migrate();
      const views = await new SourceAdmin(config, store.sql, undefined).list();
      if (opts.json) console.log(JSON.stringify({ items: views }, null, 2));
      else
        for (const v of views)
          console.log(
            `${v.id.padEnd(16)} ${v.health.padEnd(9)} ${v.adapter ? `${v.recordsRead} records read, last success ${v.lastSuccessAt ?? 'never'}${v.errorCount ? `, ${v.errorCount} errors (last: ${v.lastError ?? '?'})` : ''}` : 'push-only'}`,
          );
    } finally {
      await store.close();
    }
  } catch (e) {
    fail(e);
  }
}

export interface SyncSummary {
  source: string;
  full: boolean;
  result: 'ok' | 'error';
  recordsRead: number;
  durationMs: number;
  error?: { code: string | null; message: string | null };
}

/**
 * `hub source sync <id> [--full]`: asks the hub that reads the source (a `hub start` or `hub worker` on the
 * same store) for a pass, as POST /api/v1/sources/{id}/sync does, then follows it in the store: a count of
 * records read on a terminal, a summary at the end (--json for scripts). Exit 1 when the pass failed or
 * did not end within --timeout.
 */
export async function sourceSyncCommand(id: string, opts: { config?: string; full?: boolean; json?: boolean; timeout?: string }): Promise<void> {
  try {
    const rt = runtime();
    const config = loadConfig(rt, opts.config ?? rt.env.configFile);
    const timeoutMs = Number(opts.timeout ?? 600) * 1000;
    const store = await createStore(rt.env);
    try {
      await store.migrate();
      const states = new SourceStates(store.sql);
      const before = await new SourceAdmin(config, store.sql, undefined).get(id);
      if (!before.adapter) throw new ConflictError(`source '${id}' is push-only (no adapter): records arrive through POST /api/v1/ingest/${id}/{entity}`);
      await new SourceAdmin(config, store.sql, undefined).sync(id, Boolean(opts.full));
      const requested = (await states.get(id))!;
      const started = Date.now();
      const bar = progress(`sync ${id}${opts.full ? ' (full)' : ''}`, { json: opts.json });
      let st: SourceState = requested;
      // The pass is over when a run began after the request and a success or a failure was recorded after it.
      const after = (t: string | null, ref: string | null) => t !== null && ref !== null && t >= ref;
      for (;;) {
        st = (await states.get(id))!;
        bar.update(st.recordsRead - requested.recordsRead);
        const ran = after(st.lastRunAt, requested.syncRequestedAt) && st.syncRequestedAt === null;
        if (ran && (after(st.lastSuccessAt, st.lastRunAt) || after(st.lastErrorAt, st.lastRunAt))) break;
        if (Date.now() - started > timeoutMs) {
          bar.stop();
          throw new TransportError(
            st.syncRequestedAt
              ? `no hub took the sync request within ${opts.timeout ?? 600} s: is a \`hub start\` or \`hub worker\` running on this store (HUB_DATA_DIR or DATABASE_URL)?`
              : `the pass did not end within ${opts.timeout ?? 600} s (it goes on in the hub)`,
          );
        }
        await sleep(250);
      }
      bar.stop();
      const ok = after(st.lastSuccessAt, st.lastRunAt);
      const summary: SyncSummary = {
        source: id,
        full: Boolean(opts.full),
        result: ok ? 'ok' : 'error',
        recordsRead: st.recordsRead - requested.recordsRead,
        durationMs: Date.now() - started,
        ...(ok ? {} : { error: { code: st.lastErrorCode, message: st.lastError } }),
      };
      if (opts.json) console.log(JSON.stringify(summary));
      else
        console.log(
          `sync ${id}${summary.full ? ' (full)' : ''}: ${ok ? 'done' : 'FAILED'}, ${summary.recordsRead} records read in ${(summary.durationMs / 1000).toFixed(1)} s${ok ? '' : `: ${st.lastErrorCode ?? ''} ${st.lastError ?? ''}`}`,
        );
      process.exitCode = ok ? 0 : 1;
    } finally {
      await store.close();
    }
  } catch (e) {
    fail(e);
  }
}
