import type { Pool, PoolClient } from 'pg';
import { errorMessage, StoreError } from '../../core/errors.ts';
import { toPgPlaceholders, type MigrationStep, type SqlDb, type SqlRow } from '../sql.ts';

/** The server cannot be reached or the connection was lost (not an SQL error of the statement). */
export function isConnectionError(e: unknown): boolean {
  const code = typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : '';
  if (/^(08|57P0[1-3]|E[A-Z]+)/.test(code)) return true;
  return /Connection terminated|timeout exceeded when trying to connect|Client has encountered a connection error/i.test(errorMessage(e));
}

/** Connection failures become StoreError (503 with Retry-After at the API); SQL errors pass unchanged. */
function unreachable(e: unknown): unknown {
  return isConnectionError(e) && !(e instanceof StoreError) ? new StoreError(`postgres: ${errorMessage(e)}`, { cause: e }) : e;
}

/** SqlDb on a pg Pool (or, inside a transaction, on one client). */
export class PostgresSql implements SqlDb {
  readonly dialect = 'postgres' as const;

  constructor(
    private readonly pool: Pool,
    private readonly client?: PoolClient,
  ) {}

  private async exec(sql: string, params: unknown[]) {
    try {
      return await (this.client ?? this.pool).query(toPgPlaceholders(sql), params);
    } catch (e) {
      throw unreachable(e);
    }
  }

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return (await this.exec(sql, params)).rows as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: (await this.exec(sql, params)).rowCount ?? 0 };
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.client) return fn(this);
    let client: PoolClient;
    try {
      client = await this.pool.connect();
    } catch (e) {
      throw unreachable(e);
    }
    // A connection lost while checked out must not be an unhandled 'error' event; it is not reused.
    let broken: Error | undefined;
    const onError = (err: Error) => (broken = err);
    client.on('error', onError);
    try {
      await client.query('BEGIN');
      const out = await fn(new PostgresSql(this.pool, client));
      await client.query('COMMIT');
      return out;
    } catch (e) {
      await client.query('ROLLBACK').catch((re: unknown) => (broken ??= re instanceof Error ? re : new Error(String(re))));
      throw unreachable(e);
    } finally {
      client.removeListener('error', onError);
      client.release(broken);
    }
  }

  async migrate(module: string, steps: readonly MigrationStep[]): Promise<void> {
    await this.transaction(async (tx) => {
      // One module migrating at a time in a schema (processes starting together); other schemas do not wait.
      await tx.run("SELECT pg_advisory_xact_lock(hashtext('study-hub:module_migrations:' || current_schema()))");
      await tx.run('CREATE TABLE IF NOT EXISTS module_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, version))');
      const [row] = await tx.query<{ v: number | null }>('SELECT MAX(version) AS v FROM module_migrations WHERE module = ?', [module]);
      for (let i = row?.v ?? 0; i < steps.length; i++) {
        await tx.run(steps[i]!.postgres);
        await tx.run('INSERT INTO module_migrations (module, version, applied_at) VALUES (?, ?, ?)', [module, i + 1, new Date().toISOString()]);
      }
    });
  }
}
