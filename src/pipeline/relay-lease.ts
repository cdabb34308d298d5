import { randomUUID } from 'node:crypto';
import type { SqlDb } from '../store/sql.ts';

const MIGRATIONS = [
  {
    sqlite: 'CREATE TABLE relay_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)',
    postgres: 'CREATE TABLE relay_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)',
  },
  // When the holder took the lease (ms; kept while it renews): how long a take-over took is on record.
  { sqlite: 'ALTER TABLE relay_lease ADD COLUMN taken_at INTEGER', postgres: 'ALTER TABLE relay_lease ADD COLUMN taken_at BIGINT' },
];

/** How long a relay lease lasts unless renewed; the holder renews it on every poll (500 ms) and before every publishing window. */
export const LEASE_TTL_MS = 1500;

/**
 * One active outbox relay among many worker processes: a lease row that the holder renews and
 * another worker takes over once it has expired (e.g. after the holder was killed: the others poll
 * every 500 ms, and right after the expiry they read, so publishing resumes within about 1.5 s). Several relays publishing at once would
 * publish each change several times (consumers drop the repeats by event id, but it costs).
 */
export class RelayLease {
  readonly holder = randomUUID();
  /** When the lease runs out as last read (ms): a worker waiting for it looks again right after. */
  expiresAt = 0;
  private migrated = false;

  constructor(
    private readonly sql: SqlDb,
    private readonly ttlMs = LEASE_TTL_MS,
    private readonly name = 'outbox',
  ) {}

  /** Takes or renews the lease; true while this process holds it. */
  async acquire(now = Date.now()): Promise<boolean> {
    if (!this.migrated) {
      await this.sql.migrate('relay', MIGRATIONS);
      this.migrated = true;
    }
    await this.sql.run(
      `INSERT INTO relay_lease (name, holder, expires_at, taken_at) VALUES (?, ?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at,
         taken_at = CASE WHEN relay_lease.holder = excluded.holder THEN relay_lease.taken_at ELSE excluded.taken_at END
       WHERE relay_lease.expires_at < ? OR relay_lease.holder = ?`,
      [this.name, this.holder, now + this.ttlMs, now, now, this.holder],
    );
    const [row] = await this.sql.query<{ holder: string; expires_at: number | string }>('SELECT holder, expires_at FROM relay_lease WHERE name = ?', [this.name]);
    this.expiresAt = Number(row?.expires_at ?? 0);
    return row?.holder === this.holder;
  }

  async release(): Promise<void> {
    if (this.migrated) await this.sql.run('UPDATE relay_lease SET expires_at = 0 WHERE name = ? AND holder = ?', [this.name, this.holder]);
  }
}
