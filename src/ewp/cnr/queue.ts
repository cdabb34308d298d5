import { errorMessage } from '../../core/errors.ts';
import type { SqlDb } from '../../store/sql.ts';

/** How long a worker holds a claimed row before another process may take it. */
export const LEASE_MS = 120_000;

/** A partner's error text in a log line, at most (personal codes scrubbed); the row keeps 500 characters. */
export const PARTNER_ERROR_LOGGED = 500;

/** Exponential backoff with ±10 % jitter: base·2^(attempt−1), at most max. */
export function backoffMs(attempts: number, baseMs: number, maxMs: number): number {
  return Math.round(Math.min(maxMs, baseMs * 2 ** (attempts - 1)) * (0.9 + Math.random() * 0.2));
}

/**
 * A persistent CNR queue table (ewp_cnr_inbox, ewp_cnr_outbox): rows are claimed with a lease, and
 * done with by generation, so a change that came in while a row was worked on is not lost.
 */
export class CnrTable {
  constructor(
    readonly sql: SqlDb,
    private readonly table: string,
  ) {}

  /** Claims a row for LEASE_MS; false when another worker has it. */
  async claim(id: string, now: number): Promise<boolean> {
    const { changes } = await this.sql.run(`UPDATE ${this.table} SET lease_until = ? WHERE id = ? AND lease_until < ?`, [now + LEASE_MS, id, now]);
    return changes === 1;
  }

  /** Removes a handled row, unless it changed meanwhile: then the newer change is due at once. */
  async done(id: string, generation: number | string): Promise<void> {
    const { changes } = await this.sql.run(`DELETE FROM ${this.table} WHERE id = ? AND generation = ?`, [id, Number(generation)]);
    if (changes === 0) await this.sql.run(`UPDATE ${this.table} SET lease_until = 0 WHERE id = ?`, [id]);
  }

  /** Puts a failed row back for another attempt at `at` (epoch ms). */
  async retryAt(id: string, attempts: number, at: number, e: unknown, dueColumn: 'next_at' | 'due_at'): Promise<void> {
    await this.sql.run(`UPDATE ${this.table} SET attempts = ?, ${dueColumn} = ?, lease_until = 0, last_error = ? WHERE id = ?`, [attempts, at, errorMessage(e).slice(0, 500), id]);
  }
}

/**
 * The background loop of a CNR queue: runs `work` every poll interval, and sooner when woken; one
 * run at a time; stop() waits for the running one.
 */
export class PollLoop {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private stopped = true;
  private pollMs = 1000;

  constructor(
    private readonly work: () => Promise<void>,
    private readonly onError: (e: unknown) => void,
  ) {}

  get active(): boolean {
    return !this.stopped;
  }

  start(pollMs: number): void {
    this.pollMs = pollMs;
    this.stopped = false;
    this.wake(0);
  }

  /** Runs the work in `inMs` (at most the poll interval) unless it is running now. */
  wake(inMs = 0): void {
    if (this.stopped || this.running) return;
    if (this.timer) clearTimeout(this.timer);
    this.timer = setTimeout(() => this.tick(), Math.min(inMs, this.pollMs));
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  private tick(): void {
    if (this.stopped) return;
    this.timer = undefined;
    this.running = this.work()
      .catch(this.onError)
      .finally(() => {
        this.running = undefined;
        if (!this.stopped) this.timer = setTimeout(() => this.tick(), this.pollMs);
      });
  }
}
