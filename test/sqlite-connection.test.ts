import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import type { SqlDb } from '../src/store/sql.ts';
import { SqliteSql } from '../src/store/sqlite/sql.ts';

/**
 * The embedded store has one SQLite connection for the process. A transaction whose body awaits
 * (the privacy log's append inside the delivery outcome, an erasure) must hold that connection: a
 * statement or a transaction of another caller that ran meanwhile would land inside it, and be
 * rolled back with it though its caller was told it committed.
 */
describe('SQLite: one connection, one transaction at a time', () => {
  let dir: string;
  let db: Database.Database;
  let sql: SqliteSql;
  const tick = (ms: number) => new Promise((r) => setTimeout(r, ms));
  const values = () => (db.prepare('SELECT v FROM t ORDER BY v').all() as { v: number }[]).map((r) => r.v);

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sqlite-conn-'));
    db = new Database(join(dir, 'x.db'));
    db.exec('CREATE TABLE t (v INTEGER)');
    sql = new SqliteSql(db);
  });
  afterEach(() => {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('a transaction started while another awaits waits for it, and keeps its rows when the other rolls back', async () => {
    const order: string[] = [];
    const a = sql.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (1)');
      await tick(30);
      order.push('a ends');
      throw new Error('a fails');
    });
    const b = sql.transaction(async (tx) => {
      order.push('b starts');
      await tx.run('INSERT INTO t (v) VALUES (2)');
    });
    await assert.rejects(a, /a fails/);
    await b;
    assert.deepEqual(order, ['a ends', 'b starts']);
    assert.deepEqual(values(), [2]);
  });

  it('a statement or a synchronous transaction of another caller waits; the body’s own nested calls run at once', async () => {
    const a = sql.transaction(async (tx) => {
      await tx.run('INSERT INTO t (v) VALUES (1)');
      await tx.transaction(async (inner) => inner.run('INSERT INTO t (v) VALUES (3)'));
      await tick(30);
      throw new Error('a fails');
    });
    await tick(5);
    const outside = sql.run('INSERT INTO t (v) VALUES (2)');
    const sync = sql.exclusive(() => db.transaction(() => db.prepare('INSERT INTO t (v) VALUES (5)').run())());
    await assert.rejects(a, /a fails/);
    await Promise.all([outside, sync]);
    assert.deepEqual(values(), [2, 5], 'the nested rows went with the failed transaction; the others stayed');
  });

  it('the handle a body was given refuses calls once its transaction has ended', async () => {
    let kept: SqlDb | undefined;
    await sql.transaction(async (tx) => {
      kept = tx;
      await tx.run('INSERT INTO t (v) VALUES (1)');
    });
    await assert.rejects(kept!.run('INSERT INTO t (v) VALUES (2)'), (e: Error & { code?: string }) => e.code === 'HUB_ERR_INTERNAL' && /has ended/.test(e.message));
    assert.deepEqual(values(), [1]);
  });
});
