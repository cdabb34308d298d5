import type { SqlDb } from '../../store/sql.ts';

/**
 * Replay protection: an X-Request-Id is accepted once. Ids are kept in the store (so every API
 * process sees them) for twice the clock-skew window; a request older than the window is refused
 * by its date anyway, so older ids can go.
 */
export class ReplayCache {
  private inserts = 0;

  constructor(
    private readonly sql: SqlDb,
    private readonly windowMs: number,
  ) {}

  static async migrate(sql: SqlDb): Promise<void> {
    await sql.migrate('ewp-nonces', [
      {
        sqlite: 'CREATE TABLE ewp_nonces (request_id TEXT PRIMARY KEY, seen_at INTEGER NOT NULL); CREATE INDEX ewp_nonces_seen ON ewp_nonces (seen_at);',
        postgres: 'CREATE TABLE ewp_nonces (request_id TEXT PRIMARY KEY, seen_at BIGINT NOT NULL); CREATE INDEX ewp_nonces_seen ON ewp_nonces (seen_at);',
      },
    ]);
  }

  /** True the first time an id is seen, false for a replay. */
  async firstUse(requestId: string, now = Date.now()): Promise<boolean> {
    const { changes } = await this.sql.run('INSERT INTO ewp_nonces (request_id, seen_at) VALUES (?, ?) ON CONFLICT (request_id) DO NOTHING', [requestId, now]);
    if (++this.inserts % 500 === 0) await this.prune(now);
    return changes === 1;
  }

  async prune(now = Date.now()): Promise<number> {
    const { changes } = await this.sql.run('DELETE FROM ewp_nonces WHERE seen_at < ?', [now - 2 * this.windowMs]);
    return changes;
  }
}
