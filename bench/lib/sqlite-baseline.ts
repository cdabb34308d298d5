import Database from 'better-sqlite3';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { clock, sinceMs } from './measure.ts';
import type { BaselineResult } from './amqp-baseline.ts';

/**
 * The embedded engines' own limit: better-sqlite3 with the hub's settings (WAL, synchronous=NORMAL)
 * storing each payload durably in its own transaction and deleting it once consumed (its own
 * transaction again), i.e. the least a durable enqueue + dequeue of the same payloads costs.
 */
export function sqliteBaseline(payloads: readonly Buffer[]): BaselineResult {
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-sqlite-'));
  const db = new Database(join(dir, 'base.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY AUTOINCREMENT, body TEXT NOT NULL)');
    const ins = db.prepare('INSERT INTO items (body) VALUES (?)');
    const next = db.prepare('SELECT id, body FROM items ORDER BY id LIMIT 1');
    const del = db.prepare('DELETE FROM items WHERE id = ?');
    const enqueue = db.transaction((body: string) => ins.run(body));
    const t = clock();
    for (const p of payloads) {
      enqueue(p.toString('utf8'));
      const row = next.get() as { id: number; body: string };
      JSON.parse(row.body);
      del.run(row.id);
    }
    const ms = sinceMs(t);
    return { ms, perSecond: (payloads.length / ms) * 1000 };
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
