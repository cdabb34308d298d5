import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { BackgroundReader } from '../src/sqlite/background-reader.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';

describe('whole-table reads on a thread of their own (src/sqlite/background-reader.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-reader-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('reads what the process connection committed, while it keeps writing; a bad statement fails that read only', async () => {
    const file = join(dir, 'db.sqlite');
    const db = new Database(file);
    db.pragma('journal_mode = WAL');
    db.exec('CREATE TABLE t (k TEXT)');
    const reader = new BackgroundReader(file);
    try {
      const ins = db.prepare('INSERT INTO t VALUES (?)');
      db.transaction(() => ['a', 'b', 'a'].forEach((k) => ins.run(k)))();
      assert.deepEqual(await reader.all('SELECT k, COUNT(*) AS n FROM t GROUP BY k ORDER BY k'), [
        { k: 'a', n: 2 },
        { k: 'b', n: 1 },
      ]);
      ins.run('c');
      assert.deepEqual(await reader.all('SELECT COUNT(*) AS n FROM t WHERE k >= ?', ['b']), [{ n: 2 }]);
      await assert.rejects(reader.all('SELECT nope FROM t'), /background reader: no such column: nope/);
      // Read-only: it cannot write.
      await assert.rejects(reader.all('DELETE FROM t RETURNING k'), /readonly/);
      assert.equal(await reader.all('SELECT COUNT(*) AS n FROM t').then((r) => r[0]!.n), 4);
      assert.equal(reader.reads, 3);
    } finally {
      await reader.close();
      db.close();
    }
    await assert.rejects(reader.all('SELECT 1'), /closed/);
  });

  it('a thread that cannot load its driver fails its reads (the caller falls back), and the process lives on', async () => {
    const file = join(dir, 'db.sqlite');
    new Database(file).close();
    const reader = new BackgroundReader(file, join(dir, 'no-such-driver.js'));
    await assert.rejects(reader.all('SELECT 1'), /Cannot find module|no-such-driver|thread stopped/);
    // The caller's fallback: the same read on its own connection.
    assert.deepEqual(await reader.allOr(() => [{ n: 7 }], 'SELECT 1 AS n'), [{ n: 7 }]);
    assert.equal(reader.reads, 0);
    await reader.close();
  });

  it('the store counts messages by status on the thread from `backgroundFrom` messages on, on its connection below it, the same counts either way', async () => {
    const store = new SqliteStore(join(dir, 'hub.sqlite'), { backgroundFrom: 3 });
    try {
      await store.migrate();
      const add = (id: string, status: 'received' | 'rejected') =>
        store.insertMessage({ id, sourceId: 's', entity: 'person', institution: 'lu.lv', contentType: null, raw: null, rawSize: 0, idempotencyKey: null, status });
      await add('m1', 'received');
      await add('m2', 'rejected');
      assert.deepEqual(await store.countMessagesByStatus(), { received: 1, rejected: 1 });
      assert.equal(store.reader!.reads, 0, 'two messages: counted on the connection');
      await add('m3', 'received');
      assert.deepEqual(await store.countMessagesByStatus(), { received: 2, rejected: 1 });
      assert.equal(store.reader!.reads, 0, 'the count before saw two');
      await add('m4', 'received');
      assert.deepEqual(await store.countMessagesByStatus(), { received: 3, rejected: 1 });
      assert.equal(store.reader!.reads, 1, 'three at the last count: on the thread');
      assert.equal(await store.countUnpublished(10), 0);
    } finally {
      await store.close();
    }
  });
});
