import type { MigrationStep, SqlDb } from '../store/sql.ts';

/**
 * Persisted state of the configured sources, in tables of their own (module `sources`): cursor,
 * pause flag, pending sync request, counters, the lease that lets one worker read a source at a
 * time, and the set of items a source has handled (CSV files). The API process and the workers
 * share it, so an admin can pause or trigger a source from any process.
 */
export const SOURCE_MIGRATIONS: readonly MigrationStep[] = [
  {
    sqlite: `CREATE TABLE source_state (
      source_id TEXT PRIMARY KEY,
      cursor TEXT,
      cursor_as_of TEXT,
      paused INTEGER NOT NULL DEFAULT 0,
      sync_requested_at TEXT,
      full_sync_requested INTEGER NOT NULL DEFAULT 0,
      last_run_at TEXT,
      last_success_at TEXT,
      last_error_at TEXT,
      last_error TEXT,
      last_error_code TEXT,
      error_count INTEGER NOT NULL DEFAULT 0,
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      records_read INTEGER NOT NULL DEFAULT 0,
      lease_owner TEXT,
      lease_until TEXT,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE source_processed (
      source_id TEXT NOT NULL,
      item_key TEXT NOT NULL,
      detail TEXT,
      processed_at TEXT NOT NULL,
      PRIMARY KEY (source_id, item_key)
    );`,
    postgres: `CREATE TABLE source_state (
      source_id TEXT PRIMARY KEY,
      cursor TEXT,
      cursor_as_of TEXT,
      paused INTEGER NOT NULL DEFAULT 0,
      sync_requested_at TEXT,
      full_sync_requested INTEGER NOT NULL DEFAULT 0,
      last_run_at TEXT,
      last_success_at TEXT,
      last_error_at TEXT,
      last_error TEXT,
      last_error_code TEXT,
      error_count INTEGER NOT NULL DEFAULT 0,
      consecutive_failures INTEGER NOT NULL DEFAULT 0,
      records_read BIGINT NOT NULL DEFAULT 0,
      lease_owner TEXT,
      lease_until TEXT,
      updated_at TEXT NOT NULL
    );
    CREATE TABLE source_processed (
      source_id TEXT NOT NULL,
      item_key TEXT NOT NULL,
      detail TEXT,
      processed_at TEXT NOT NULL,
      PRIMARY KEY (source_id, item_key)
    );`,
  },
];

export interface SourceState {
  sourceId: string;
  cursor: string | null;
  cursorAsOf: string | null;
  paused: boolean;
  syncRequestedAt: string | null;
  fullSyncRequested: boolean;
  lastRunAt: string | null;
  lastSuccessAt: string | null;
  lastErrorAt: string | null;
  lastError: string | null;
  lastErrorCode: string | null;
  errorCount: number;
  consecutiveFailures: number;
  recordsRead: number;
  leaseOwner: string | null;
  leaseUntil: string | null;
  updatedAt: string;
}

type Row = Record<string, unknown>;

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

function toState(r: Row): SourceState {
  return {
    sourceId: String(r.source_id),
    cursor: str(r.cursor),
    cursorAsOf: str(r.cursor_as_of),
    paused: Number(r.paused) === 1,
    syncRequestedAt: str(r.sync_requested_at),
    fullSyncRequested: Number(r.full_sync_requested) === 1,
    lastRunAt: str(r.last_run_at),
    lastSuccessAt: str(r.last_success_at),
    lastErrorAt: str(r.last_error_at),
    lastError: str(r.last_error),
    lastErrorCode: str(r.last_error_code),
    errorCount: Number(r.error_count),
    consecutiveFailures: Number(r.consecutive_failures),
    recordsRead: Number(r.records_read),
    leaseOwner: str(r.lease_owner),
    leaseUntil: str(r.lease_until),
    updatedAt: String(r.updated_at),
  };
}

const migrated = new WeakMap<SqlDb, Promise<void>>();
const now = () => new Date().toISOString();

export class SourceStates {
  constructor(private readonly sql: SqlDb) {}

  /** Creates the tables once per database handle. */
  migrate(): Promise<void> {
    let p = migrated.get(this.sql);
    if (!p) {
      p = this.sql.migrate('sources', SOURCE_MIGRATIONS);
      p.catch(() => migrated.delete(this.sql));
      migrated.set(this.sql, p);
    }
    return p;
  }

  /** A row for each source id (kept when it exists). */
  async ensure(ids: readonly string[]): Promise<void> {
    for (const id of ids) {
      await this.sql.run('INSERT INTO source_state (source_id, updated_at) VALUES (?, ?) ON CONFLICT (source_id) DO NOTHING', [id, now()]);
    }
  }

  async get(id: string): Promise<SourceState | undefined> {
    const [r] = await this.sql.query('SELECT * FROM source_state WHERE source_id = ?', [id]);
    return r ? toState(r) : undefined;
  }

  async list(): Promise<SourceState[]> {
    return (await this.sql.query('SELECT * FROM source_state ORDER BY source_id')).map(toState);
  }

  /** Saves the cursor and adds to the records-read count, in one statement. */
  async saveCursor(id: string, cursor: string | null, asOf: string | null, recordsDelta: number): Promise<void> {
    await this.sql.run('UPDATE source_state SET cursor = ?, cursor_as_of = ?, records_read = records_read + ?, updated_at = ? WHERE source_id = ?', [cursor, asOf, recordsDelta, now(), id]);
  }

  async addRecords(id: string, n: number): Promise<void> {
    if (n > 0) await this.sql.run('UPDATE source_state SET records_read = records_read + ?, updated_at = ? WHERE source_id = ?', [n, now(), id]);
  }

  async markRun(id: string, at: string): Promise<void> {
    await this.sql.run('UPDATE source_state SET last_run_at = ?, updated_at = ? WHERE source_id = ?', [at, now(), id]);
  }

  async recordSuccess(id: string, at: string): Promise<void> {
    await this.sql.run('UPDATE source_state SET last_success_at = ?, consecutive_failures = 0, updated_at = ? WHERE source_id = ?', [at, now(), id]);
  }

  /** Counts a failed pass; returns the number of failures in a row. */
  async recordFailure(id: string, at: string, code: string, message: string): Promise<number> {
    await this.sql.run(
      `UPDATE source_state SET last_error_at = ?, last_error_code = ?, last_error = ?, error_count = error_count + 1,
         consecutive_failures = consecutive_failures + 1, updated_at = ? WHERE source_id = ?`,
      [at, code, message.slice(0, 1000), now(), id],
    );
    return (await this.get(id))?.consecutiveFailures ?? 1;
  }

  async setPaused(id: string, paused: boolean): Promise<boolean> {
    const r = await this.sql.run('UPDATE source_state SET paused = ?, updated_at = ? WHERE source_id = ?', [paused ? 1 : 0, now(), id]);
    return r.changes > 0;
  }

  /** Asks for a pass as soon as possible; `full` reads everything again (the cursor is cleared first). */
  async requestSync(id: string, full: boolean): Promise<boolean> {
    const r = await this.sql.run(`UPDATE source_state SET sync_requested_at = ?, full_sync_requested = CASE WHEN ? = 1 THEN 1 ELSE full_sync_requested END, updated_at = ? WHERE source_id = ?`, [
      now(),
      full ? 1 : 0,
      now(),
      id,
    ]);
    return r.changes > 0;
  }

  /**
   * Takes a pending sync request (if any) so that exactly one runner acts on it; a full request
   * clears the cursor in the same statement.
   */
  async takeRequest(id: string, seen: SourceState): Promise<{ taken: boolean; full: boolean }> {
    if (!seen.syncRequestedAt) return { taken: false, full: false };
    const r = await this.sql.run(
      `UPDATE source_state SET sync_requested_at = NULL, full_sync_requested = 0,
         cursor = CASE WHEN full_sync_requested = 1 THEN NULL ELSE cursor END,
         cursor_as_of = CASE WHEN full_sync_requested = 1 THEN NULL ELSE cursor_as_of END,
         updated_at = ? WHERE source_id = ? AND sync_requested_at = ?`,
      [now(), id, seen.syncRequestedAt],
    );
    return { taken: r.changes > 0, full: r.changes > 0 && seen.fullSyncRequested };
  }

  /** Takes or renews the lease of a source for `ttlMs`; false while another owner holds it. */
  async acquireLease(id: string, owner: string, ttlMs: number): Promise<boolean> {
    const at = Date.now();
    const r = await this.sql.run(
      `UPDATE source_state SET lease_owner = ?, lease_until = ?, updated_at = ?
         WHERE source_id = ? AND (lease_owner IS NULL OR lease_owner = ? OR lease_until IS NULL OR lease_until < ?)`,
      [owner, new Date(at + ttlMs).toISOString(), new Date(at).toISOString(), id, owner, new Date(at).toISOString()],
    );
    return r.changes > 0;
  }

  async releaseLease(id: string, owner: string): Promise<void> {
    await this.sql.run('UPDATE source_state SET lease_owner = NULL, lease_until = NULL WHERE source_id = ? AND lease_owner = ?', [id, owner]);
  }

  async getProcessed(id: string, key: string): Promise<{ detail: string | null } | undefined> {
    const [r] = await this.sql.query('SELECT detail FROM source_processed WHERE source_id = ? AND item_key = ?', [id, key]);
    return r ? { detail: str(r.detail) } : undefined;
  }

  async addProcessed(id: string, key: string, detail: string | null): Promise<void> {
    await this.sql.run('INSERT INTO source_processed (source_id, item_key, detail, processed_at) VALUES (?, ?, ?, ?) ON CONFLICT (source_id, item_key) DO NOTHING', [id, key, detail, now()]);
  }
}
