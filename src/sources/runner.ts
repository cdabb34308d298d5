import type { Logger } from 'pino';
import type { Source, SourceContext } from '../core/adapter.ts';
import { InternalError, isHubError, TransportError, type HubError } from '../core/errors.ts';
import { replacePersonalCodes } from '../core/personal-code.ts';
import { retryDelay } from '../routing/backoff.ts';
import type { SourceMetrics } from './metrics.ts';
import type { SourceStates } from './state.ts';

export interface Schedule {
  pollIntervalMs: number;
  batchSize: number;
  retry: { initialDelayMs: number; maxDelayMs: number; multiplier: number; maxAttempts: number };
}

/** What this process knows of a source beyond the persisted state. */
export type RunnerPhase = 'starting' | 'idle' | 'syncing' | 'backoff' | 'paused' | 'standby' | 'stopped';

export interface RunnerDeps {
  id: string;
  schedule: Schedule;
  states: SourceStates;
  metrics: SourceMetrics;
  logger: Logger;
  /** This process's name in the lease column. */
  owner: string;
  /** How often an idle runner looks at its row for pause or a sync request from another process. */
  controlIntervalMs: number;
  leaseTtlMs: number;
}

/** Error messages are stored and shown: scrub anything shaped like a personal code. */
export function scrub(text: string): string {
  return replacePersonalCodes(text, '[redacted]');
}

/**
 * Runs one source: a pass every poll interval (or at once when asked), back-off after a failed pass,
 * pause and resume, one worker at a time (lease). The adapter only implements sync().
 */
export class SourceRunner {
  phase: RunnerPhase = 'starting';
  nextRunAt = 0;
  passStartedAt: number | undefined;
  /** Passes finished in this process (any result). */
  passes = 0;
  lastPass: { startedAt: string; durationMs: number; result: 'ok' | 'error' | 'aborted' } | undefined;
  private source!: Source;
  private ctx!: SourceContext & { flushCount(): Promise<void> };
  private stopped = false;
  private loopDone: Promise<void> | undefined;
  private wakeFn: (() => void) | undefined;
  private abort: AbortController | undefined;
  private leaseRenewAt = 0;

  constructor(private readonly d: RunnerDeps) {}

  get id(): string {
    return this.d.id;
  }

  /** Binds the adapter (created with the context this runner made) and starts the loop. */
  async start(source: Source, ctx: SourceContext & { flushCount(): Promise<void> }): Promise<void> {
    this.source = source;
    this.ctx = ctx;
    await source.start?.();
    this.loopDone = this.loop();
  }

  /** Ends the current sleep (a sync was requested, or the source was resumed). */
  wake(): void {
    this.wakeFn?.();
  }

  /** Stops the pass in progress at its next page (pause); the cursor stays where the last page left it. */
  abortPass(): void {
    this.abort?.abort();
  }

  async health(timeoutMs = 5000): Promise<{ ok: boolean; error?: { code: string; message: string } }> {
    if (!this.source.health) return { ok: true };
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        this.source.health(),
        new Promise((_, reject) => {
          timer = setTimeout(() => reject(new TransportError(`no answer within ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return { ok: true };
    } catch (e) {
      const err = asHubError(e);
      return { ok: false, error: { code: err.code, message: scrub(err.message) } };
    } finally {
      clearTimeout(timer);
    }
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.abortPass();
    this.wake();
    await this.loopDone;
    this.phase = 'stopped';
    await this.source?.close();
    await this.d.states.releaseLease(this.d.id, this.d.owner).catch(() => undefined);
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const done = () => {
        clearTimeout(timer);
        this.wakeFn = undefined;
        resolve();
      };
      const timer = setTimeout(done, Math.max(0, ms));
      this.wakeFn = done;
    });
  }

  private async loop(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.tick();
      } catch (e) {
        // The store itself failed (reading the state or the lease): try again shortly.
        this.d.logger.warn({ err: e, source: this.d.id }, 'source state unavailable');
        if (!this.stopped) await this.sleep(this.d.controlIntervalMs);
      }
    }
  }

  private async tick(): Promise<void> {
    const st = await this.d.states.get(this.d.id);
    if (!st) {
      await this.d.states.ensure([this.d.id]);
      return;
    }
    this.d.metrics.paused.set({ source: this.d.id }, st.paused ? 1 : 0);
    if (st.paused) {
      this.phase = 'paused';
      await this.sleep(this.d.controlIntervalMs);
      return;
    }
    const now = Date.now();
    if (!st.syncRequestedAt && now < this.nextRunAt) {
      if (this.phase !== 'backoff') this.phase = 'idle';
      await this.sleep(Math.min(this.nextRunAt - now, this.d.controlIntervalMs));
      return;
    }
    if (!(await this.d.states.acquireLease(this.d.id, this.d.owner, this.d.leaseTtlMs))) {
      // Another worker reads this source now; look again after a poll interval.
      this.phase = 'standby';
      this.nextRunAt = now + this.d.schedule.pollIntervalMs;
      await this.sleep(Math.min(this.d.schedule.pollIntervalMs, this.d.controlIntervalMs));
      return;
    }
    this.leaseRenewAt = Date.now() + this.d.leaseTtlMs / 2;
    try {
      const req = await this.d.states.takeRequest(this.d.id, st);
      if (req.full) this.d.logger.info({ source: this.d.id }, 'full sync requested: cursor cleared');
      if (!this.stopped) await this.pass();
    } finally {
      await this.d.states.releaseLease(this.d.id, this.d.owner);
    }
  }

  /** Before each cursor save: renew the lease, and stop when the source was paused from elsewhere. */
  async checkpoint(): Promise<void> {
    if (Date.now() >= this.leaseRenewAt) {
      if (!(await this.d.states.acquireLease(this.d.id, this.d.owner, this.d.leaseTtlMs))) {
        throw new TransportError(`source ${this.d.id}: another worker took the lease over; this pass stops`);
      }
      this.leaseRenewAt = Date.now() + this.d.leaseTtlMs / 2;
      if ((await this.d.states.get(this.d.id))?.paused) this.abortPass();
    }
  }

  private async pass(): Promise<void> {
    const ac = new AbortController();
    this.abort = ac;
    this.phase = 'syncing';
    const started = Date.now();
    this.passStartedAt = started;
    const startedAt = new Date(started).toISOString();
    await this.d.states.markRun(this.d.id, startedAt);
    const src = this.d.id;
    let result: 'ok' | 'error' | 'aborted' = 'ok';
    try {
      await this.source.sync(ac.signal);
      await this.ctx.flushCount();
      if (ac.signal.aborted) result = 'aborted';
      else {
        const end = new Date();
        const before = await this.d.states.get(src);
        await this.d.states.recordSuccess(src, end.toISOString());
        this.d.metrics.lastSuccess.set({ source: src }, end.getTime() / 1000);
        if (before && before.consecutiveFailures > 0) this.d.logger.info({ source: src, failures: before.consecutiveFailures }, 'source recovered');
        this.nextRunAt = Date.now() + this.d.schedule.pollIntervalMs;
        this.phase = 'idle';
      }
    } catch (e) {
      await this.ctx.flushCount().catch(() => undefined);
      // After a pause or stop, whatever the interrupted pass threw (an aborted request) is no failure.
      if (ac.signal.aborted) result = 'aborted';
      else {
        result = 'error';
        await this.failed(e);
      }
    } finally {
      this.abort = undefined;
      this.passStartedAt = undefined;
      const durationMs = Date.now() - started;
      this.lastPass = { startedAt, durationMs, result };
      this.passes++;
      this.d.metrics.passes.inc({ source: src, result });
      this.d.metrics.passDuration.observe({ source: src }, durationMs / 1000);
      if (result === 'aborted') this.phase = 'idle';
    }
  }

  private async failed(e: unknown): Promise<void> {
    const err = asHubError(e);
    const message = scrub(err.message);
    const n = await this.d.states.recordFailure(this.d.id, new Date().toISOString(), err.code, message);
    this.d.metrics.errors.inc({ source: this.d.id, code: err.code });
    let delay = retryDelay(this.d.schedule.retry, n);
    if (!err.retryable) delay = Math.max(delay, this.d.schedule.pollIntervalMs);
    this.nextRunAt = Date.now() + delay;
    this.phase = 'backoff';
    const log = { source: this.d.id, code: err.code, failures: n, retryInMs: delay };
    // Normal operation is quiet: the first failure of a series is logged, the rest are counted.
    if (n === 1) {
      if (err.retryable) this.d.logger.warn(log, `source pass failed, retrying: ${message}`);
      else this.d.logger.error(log, `source pass failed: ${message}`);
    } else this.d.logger.debug(log, `source pass failed again: ${message}`);
    if (!isHubError(e)) this.d.logger.error({ err: e, source: this.d.id }, 'source adapter failed unexpectedly');
  }
}

function asHubError(e: unknown): HubError {
  if (isHubError(e)) return e;
  return new InternalError(`unexpected error in the source adapter: ${e instanceof Error ? e.message : String(e)}`, { cause: e });
}
