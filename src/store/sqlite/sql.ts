import { AsyncLocalStorage } from 'node:async_hooks';
import type Database from 'better-sqlite3';
import type { MigrationStep, SqlDb, SqlRow } from '../sql.ts';
import { outagesAsStoreErrors } from './errors.ts';
import { prepared } from '../../sqlite/statements.ts';

/**
 * SqlDb on better-sqlite3: one connection for the whole process. A transaction's body awaits, and
 * while it does, other work of the process runs (the microtasks queued before it, then the event
 * loop): on one connection any statement it ran would land inside the open transaction. So a
 * transaction holds the connection: statements and transactions of other callers wait until it
 * ends (`exclusive` for the store's synchronous transactions), while the body's own calls (nested
 * transactions included) run at once, known by an AsyncLocalStorage.
 */
export class SqliteSql implements SqlDb {
  readonly dialect = 'sqlite' as const;
  /** Settles when the open transaction ends; undefined when none is open. */
  private open: Promise<void> | undefined;
  private readonly inside = new AsyncLocalStorage<true>();

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

  /**
   * Runs `fn` (synchronous: a statement, a better-sqlite3 transaction) once no transaction of
   * another caller is open on the connection; inside one's own transaction, at once.
   */
  async exclusive<T>(fn: () => T): Promise<T> {
    if (!this.inside.getStore()) while (this.open) await this.open;
    return fn();
  }

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.open && !this.inside.getStore()) return this.exclusive(() => this.querySync<T>(sql, params));
    return this.querySync<T>(sql, params);
  }

  private querySync<T extends SqlRow>(sql: string, params: unknown[]): T[] {
    const stmt = prepared(this.db, sql);
    return (stmt.reader ? stmt.all(...this.params(params)) : (stmt.run(...this.params(params)), [])) as T[];
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    const go = () => ({ changes: prepared(this.db, sql).run(...this.params(params)).changes });
    return this.open && !this.inside.getStore() ? this.exclusive(go) : go();
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    if (this.inside.getStore()) return fn(this);
    while (this.open) await this.open;
    let release: () => void = () => undefined;
    this.open = new Promise<void>((r) => (release = r));
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const out = await this.inside.run(true, () => fn(this));
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    } finally {
      this.open = undefined;
      release();
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
