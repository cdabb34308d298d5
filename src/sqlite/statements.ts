import type Database from 'better-sqlite3';

/**
 * Prepared statements, one per SQL text and database connection. better-sqlite3 compiles a statement on
 * every `db.prepare`, which cost about a tenth of the embedded pipeline's CPU (docs/performance.md);
 * statements are reusable, so each text is compiled once. The cache lives as long as its connection
 * (a closed and reopened database gets a new one) and is bounded: texts built from varying filters
 * beyond the bound are compiled each time, as before.
 */
const caches = new WeakMap<Database.Database, Map<string, Database.Statement>>();
const MAX_STATEMENTS = 1000;

export function prepared(db: Database.Database, sql: string): Database.Statement {
  let cache = caches.get(db);
  if (!cache) {
    cache = new Map();
    caches.set(db, cache);
  }
  let stmt = cache.get(sql);
  if (!stmt) {
    stmt = db.prepare(sql);
    if (cache.size < MAX_STATEMENTS) cache.set(sql, stmt);
  }
  return stmt;
}
