import { randomUUID } from 'node:crypto';
import type { SqlDb } from '../store/sql.ts';

const MIGRATIONS = [
  {
    sqlite: 'CREATE TABLE relay_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at INTEGER NOT NULL)',
    postgres: 'CREATE TABLE relay_lease (name TEXT PRIMARY KEY, holder TEXT NOT NULL, expires_at BIGINT NOT NULL)',
  },
];

/** How long a relay lease lasts unless renewed; the holder renews it on every poll (500 ms) and before every publishing window. */
export const LEASE_TTL_MS = 1500;

/**
 * One active outbox relay among many worker processes: a lease row that the holder renews and
 * another worker takes over once it has expired (e.g. after the holder was killed: the others poll
 * every 500 ms, so publishing resumes within about 2 s). Several relays publishing at once would
 * publish each change several times (consumers drop the repeats by event id, but it costs).
 */
export class RelayLease {
  readonly holder = randomUUID();
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
      `INSERT INTO relay_lease (name, holder, expires_at) VALUES (?, ?, ?)
       ON CONFLICT (name) DO UPDATE SET holder = excluded.holder, expires_at = excluded.expires_at
       WHERE relay_lease.expires_at < ? OR relay_lease.holder = ?`,
      [this.name, this.holder, now + this.ttlMs, now, this.holder],
    );
    const [row] = await this.sql.query<{ holder: string }>('SELECT holder FROM relay_lease WHERE name = ?', [this.name]);
    return row?.holder === this.holder;
  }

  async release(): Promise<void> {
    if (this.migrated) await this.sql.run('UPDATE relay_lease SET expires_at = 0 WHERE name = ? AND holder = ?', [this.name, this.holder]);
  }
}
