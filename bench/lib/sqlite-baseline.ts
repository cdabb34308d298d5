import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clock, sinceMs } from './measure.ts';
import type { BaselineResult } from './amqp-baseline.ts';

/**
 * The embedded engine's own limit: better-sqlite3 with the hub's settings (WAL, synchronous=NORMAL)
 * storing the payloads durably and deleting each once consumed, i.e. the least a durable enqueue +
 * dequeue of the same payloads costs.
 *
 * `batch` rows a transaction: the producer inserts `batch` payloads in one transaction, then the
 * consumer reads the oldest `batch` rows (parsing each) and deletes them in one transaction, and so
 * on. With `batch` 1 every insert is its own transaction and every delete too (autocommit): the
 * older, one-transaction-each baseline.
 */
export function sqliteBaseline(payloads: readonly Buffer[], opts: { batch: number } = { batch: 1 }): BaselineResult {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-sqlite-'));
  const db = new Database(join(dir, 'base.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)');
    const ins = db.prepare('INSERT INTO items (body) VALUES (?)');
    const bodies = payloads.map((p) => p.toString('utf8'));
    const t = clock();
    if (opts.batch <= 1) {
      const next = db.prepare('SELECT id, body FROM items ORDER BY id LIMIT 1');
      const del = db.prepare('DELETE FROM items WHERE id = ?');
      const enqueue = db.transaction((body: string) => ins.run(body));
      for (const body of bodies) {
        enqueue(body);
        const row = next.get() as { id: number; body: string };
        JSON.parse(row.body);
        del.run(row.id);
      }
    } else {
      const oldest = db.prepare('SELECT id, body FROM items ORDER BY id LIMIT ?');
      const delUpTo = db.prepare('DELETE FROM items WHERE id <= ?');
      const enqueue = db.transaction((chunk: readonly string[]) => {
        for (const body of chunk) ins.run(body);
      });
      const dequeue = db.transaction((n: number) => {
        const rows = oldest.all(n) as { id: number; body: string }[];
        for (const row of rows) JSON.parse(row.body);
        if (rows.length) delUpTo.run(rows[rows.length - 1]!.id);
        return rows.length;
      });
      for (let i = 0; i < bodies.length; i += opts.batch) {
        const chunk = bodies.slice(i, i + opts.batch);
        enqueue(chunk);
        if (dequeue(chunk.length) !== chunk.length) throw new Error('the SQLite baseline lost a row');
      }
    }
    const ms = sinceMs(t);
    return { ms, perSecond: (payloads.length / ms) * 1000 };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
