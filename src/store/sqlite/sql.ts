import type Database from 'better-sqlite3';
import type { MigrationStep, SqlDb, SqlRow } from '../sql.ts';
import { InternalError } from '../../core/errors.ts';
import { outagesAsStoreErrors } from './errors.ts';
import { prepared } from '../../sqlite/statements.ts';

/** Statements on the connection, as they are: what SqliteSql runs once it may, and a transaction's handle at once. */
class Statements {
  constructor(protected readonly db: Database.Database) {}

  private params(p: unknown[]): unknown[] {
    return p.map((v) => (typeof v === 'boolean' ? (v ? 1 : 0) : v));
  }

  protected querySync<T extends SqlRow>(sql: string, params: unknown[]): T[] {
    const stmt = prepared(this.db, sql);
    return (stmt.reader ? stmt.all(...this.params(params)) : (stmt.run(...this.params(params)), [])) as T[];
  }

  protected runSync(sql: string, params: unknown[]): { changes: number } {
    return { changes: prepared(this.db, sql).run(...this.params(params)).changes };
  }
}

/**
 * The handle a transaction's body gets: its statements and nested transactions (which join it) run
 * at once, on the connection the transaction holds. Only the body uses it; once the
 * transaction has ended it refuses every call.
 */
class SqliteTx extends Statements implements SqlDb {
  readonly dialect = 'sqlite' as const;
  private ended = false;

  constructor(db: Database.Database, check: () => void) {
    super(db);
    outagesAsStoreErrors(this, () => {
      if (this.ended) throw new InternalError('sqlite: the transaction this handle belongs to has ended');
      check();
    });
  }

  end(): void {
    this.ended = true;
  }

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    return this.querySync<T>(sql, params);
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    return this.runSync(sql, params);
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    return fn(this);
  }

  async migrate(): Promise<void> {
    throw new InternalError('sqlite: migrations do not run inside a transaction');
  }
}

/**
 * SqlDb on better-sqlite3: one connection for the whole process. A transaction's body awaits, and
 * while it does, other work of the process runs (the microtasks queued before it, then the event
 * loop): on one connection any statement it ran would land inside the open transaction. So a
 * transaction holds the connection: statements and transactions through this handle wait until it
 * ends (`exclusive` for the store's synchronous transactions), while the body works through the
 * handle it is given (`tx`), whose calls run at once. A body must therefore use its `tx`, never the
 * handle it came from, for its own statements (as it must on PostgreSQL, where `tx` is the
 * transaction's connection): the outer handle would wait for the body itself.
 */
export class SqliteSql extends Statements implements SqlDb {
  readonly dialect = 'sqlite' as const;
  /** Settles when the open transaction ends; undefined when none is open. */
  private open: Promise<void> | undefined;

  /** `check` may refuse a call before it runs (the database file was removed: see FileIdentity). */
  constructor(
    db: Database.Database,
    private readonly check: () => void = () => undefined,
  ) {
    super(db);
    outagesAsStoreErrors(this, check);
  }

  /** Runs `fn` (synchronous: a statement, a better-sqlite3 transaction) once no transaction is open on the connection. */
  async exclusive<T>(fn: () => T): Promise<T> {
    while (this.open) await this.open;
    return fn();
  }

  async query<T extends SqlRow = SqlRow>(sql: string, params: unknown[] = []): Promise<T[]> {
    if (this.open) return this.exclusive(() => this.querySync<T>(sql, params));
    return this.querySync<T>(sql, params);
  }

  async run(sql: string, params: unknown[] = []): Promise<{ changes: number }> {
    if (this.open) return this.exclusive(() => this.runSync(sql, params));
    return this.runSync(sql, params);
  }

  async transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T> {
    while (this.open) await this.open;
    let release: () => void = () => undefined;
    this.open = new Promise<void>((r) => (release = r));
    const tx = new SqliteTx(this.db, this.check);
    try {
      this.db.exec('BEGIN IMMEDIATE');
      const out = await fn(tx);
      this.db.exec('COMMIT');
      return out;
    } catch (e) {
      if (this.db.inTransaction) this.db.exec('ROLLBACK');
      throw e;
    } finally {
      tx.end();
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
