import type Database from 'better-sqlite3';
import type { MigrationStep, SqlDb, SqlRow } from '../sql.ts';
import { outagesAsStoreErrors } from './errors.ts';
import { prepared } from '../../sqlite/statements.ts';

/**
 * SqlDb on better-sqlite3. Statements run synchronously, so a transaction whose body awaits only
 * these statements cannot interleave with other work in the process.
 */
export class SqliteSql implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private depth = 0;

  /** `check` may refuse a call before it runs (the database file was removed: see FileIdentity). */
  constructor(
    private readonly db: Database.Database,
    check: () => void = () => undefined,
  ) {
    outagesAsStoreErrors(this, check);
  }

  private params(p: unknown[]): unknown[] {
    return p.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  }

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    const stmt = prepared(this.db, sql);
    return (stmt.reader ? stmt.all(...this.params(params)) : (stmt.run(...this.params(params)), [])) as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return { changes: prepared(this.db, sql).run(...this.params(params)).changes };
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.depth > 0) return fn(this);
    this.db.exec('BEGIN IMMEDIATE');
    this.depth++;
    try {
      const out = await fn(this);
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    } finally {
      this.depth--;
    }
  }

  async migrate(module: string, steps: readonly MigrationStep[]): Promise<void> {
    this.db.exec('CREATE TABLE IF NOT EXISTS module_migrations (module TEXT NOT NULL, version INTEGER NOT NULL, applied_at TEXT NOT NULL, PRIMARY KEY (module, version))');
    const row = prepared(this.db, 'SELECT MAX(version) AS v FROM module_migrations WHERE module = ?').get(module) as { v: number | null };
    for (let i = row.v ?? 0; i < steps.length; i++) {
      this.db.transaction(() => {
        this.db.exec(steps[i]!.sqlite);
        prepared(this.db, 'INSERT INTO module_migrations (module, version, applied_at) VALUES (?, ?, ?)').run(module, i + 1, new Date().toISOString());
      })();
    }
  }
}
