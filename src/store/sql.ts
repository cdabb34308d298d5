/**
 * A small SQL access layer for feature modules (feeds, consent, disclosure log, sources…) that own
 * their tables: the same SQL runs on SQLite and PostgreSQL. Write `?` placeholders; PostgreSQL gets
 * `$1…$n`. Migrations are per module, versioned in the table module_migrations.
 */
export type Dialect = 'sqlite' | 'postgres';

export type SqlRow = Record<string, unknown>;

export interface MigrationStep {
  sqlite: string;
  postgres: string;
}

export interface SqlDb {
  readonly dialect: Dialect;
  query<T extends SqlRow = SqlRow>(sql: string, params?: unknown[]): Promise<T[]>;
  run(sql: string, params?: unknown[]): Promise<{ changes: number }>;
  /** Runs fn in one transaction; on PostgreSQL fn gets a client bound to the transaction. */
  transaction<T>(fn: (tx: SqlDb) => Promise<T>): Promise<T>;
  /** Applies the steps of one module not applied yet, in order, each in a transaction. */
  migrate(module: string, steps: readonly MigrationStep[]): Promise<void>;
}

/** `?` → `$n`, skipping quoted strings. */
export function toPgPlaceholders(sql: string): string {
  let n = 0;
  let out = '';
  let quote: string | undefined;
  for (const c of sql) {
    if (quote) {
      if (c === quote) quote = undefined;
      out += c;
    } else if (c === "'" || c === '"') {
      quote = c;
      out += c;
    } else if (c === '?') out += `$${++n}`;
    else out += c;
  }
  return out;
}
