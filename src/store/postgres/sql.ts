import type { Pool, PoolClient } from 'pg';
import { toPgPlaceholders, type MigrationStep, type SqlDb, type SqlRow } from '../sql.ts';

/** SqlDb on a pg Pool (or, inside a transaction, on one client). */
export class PostgresSql implements SqlDb {
  readonly dialect = 'postgres' as const;

  constructor(
    private readonly pool: Pool,
    private readonly client?: PoolClient,
  ) {}

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const r = await (this.client ?? this.pool).query(toPgPlaceholders(sql), params);
    return r.rows as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    const r = await (this.client ?? this.pool).query(toPgPlaceholders(sql), params);
    return { changes: r.rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    const client = await this.pool.connect();
    try {
      await client.query('BEGIN');
      const out = await fn(new PostgresSql(this.pool, client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      client.release();
    }
  }

  async migrate(module: string, steps: readonly MigrationStep[]): Promise<void> {
    await this.transaction(async (tx) => {
      await tx.run("SELECT pg_advisory_xact_lock(hashtext('module_migrations'))");
      await tx.run('CREATE TABLE IF NOT EXISTS module_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, version))');
      const [row] = await tx.query<{ v: number | null }>('SELECT MAX(version) AS v FROM module_migrations WHERE module = ?', [module]);
      for (let i = row?.v ?? 0; i < steps.length; i++) {
        await tx.run(steps[i]!.postgres);
        await tx.run('INSERT INTO module_migrations (module, version, applied_at) VALUES (?, ?, ?)', [module, i + 1, new Date().toISOString()]);
      }
    });
  }
}
