import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { Checkpointer, DEFAULT_AUTOCHECKPOINT, SAFETY_AUTOCHECKPOINT } from '../src/sqlite/checkpointer.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { EmbeddedBroker } from '../src/broker/embedded/broker.ts';
import { eventually } from './helpers/eventually.ts';

/** A WAL database with a table to write pages into. */
function open(dir: string, name: string): { db: Database.Database; file: string } {
  const file = join(dir, name);
  const db = new Database(file);
  db.pragma('journal_mode = WAL');
  db.exec('CREATE TABLE t (x TEXT)');
  return { db, file };
}

/** Writes `pages` pages of 4 KiB (one row each), a transaction of 50 at a time. */
function write(db: Database.Database, pages: number): void {
  const ins = db.prepare('INSERT INTO t VALUES (?)');
  const many = db.transaction((n: number) => {
    for (let i = 0; i < n; i++) ins.run('x'.repeat(3900));
  });
  for (let done = 0; done < pages; done += 50) many(Math.min(50, pages - done));
}

const rows = (db: Database.Database) => (db.prepare('SELECT COUNT(*) AS n FROM t').get() as { n: number }).n;
const autocheckpoint = (db: Database.Database) => Number(db.pragma('wal_autocheckpoint', { simple: true }));

describe('WAL checkpoints on a thread of their own (src/sqlite/checkpointer.ts)', () => {
  let dir: string;
  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-checkpointer-'));
  });
  afterEach(() => {
    rmSync(dir, { recursive: true, force: true });
  });

  it('starts no thread while the log is small; once it has grown, the thread copies it into the database file and the connection stops checkpointing itself', async () => {
    const { db, file } = open(dir, 'a.sqlite');
    const cp = Checkpointer.start(db, file, { watchMs: 20, everyMs: 20 })!;
    try {
      write(db, 100);
      await new Promise((r) => setTimeout(r, 100));
      assert.equal(cp.running, false);
      assert.equal(autocheckpoint(db), DEFAULT_AUTOCHECKPOINT);
      // Past SQLite's default log size: the connection's own checkpoint keeps the log from growing further
      // until the thread takes over.
      write(db, DEFAULT_AUTOCHECKPOINT + 200);
      await eventually(async () => cp.running, 5000, 'the thread started');
      assert.equal(autocheckpoint(db), SAFETY_AUTOCHECKPOINT);
      write(db, 400);
      // Only a checkpoint copies pages from the log into the database file, and the connection's own is
      // 50,000 pages away: a file that grows to hold every row was checkpointed by the thread.
      const rowsInFile = 100 + DEFAULT_AUTOCHECKPOINT + 200 + 400;
      await eventually(async () => statSync(file).size >= rowsInFile * 4096, 5000, `the database file holds ${rowsInFile} pages (${statSync(file).size} bytes)`);
      await eventually(async () => cp.frames > 0, 5000, 'the thread told how many frames it copied');
      // Everything in the log is in the database file: a checkpoint of the connection finds nothing to copy.
      const [r] = db.pragma('wal_checkpoint(PASSIVE)') as { log: number; checkpointed: number }[];
      assert.equal(r!.checkpointed, r!.log);
      assert.equal(rows(db), 100 + DEFAULT_AUTOCHECKPOINT + 200 + 400);
    } finally {
      await cp.stop();
      db.close();
    }
    // Stopped: its connection closed, the database opens and reads whole.
    const again = new Database(file, { readonly: true });
    assert.equal(rows(again), 1700);
    again.close();
  });

  it('copies what the log still holds in a last pass when it stops, off the event loop, before the connection closes', async () => {
    const { db, file } = open(dir, 'c.sqlite');
    // No periodic pass: only the last one can copy the log into the database file.
    const cp = Checkpointer.start(db, file, { watchMs: 20, everyMs: 1e8 })!;
    try {
      write(db, DEFAULT_AUTOCHECKPOINT + 100);
      await eventually(async () => cp.running, 5000, 'the thread started');
      write(db, 600);
      const before = statSync(file).size;
      assert.ok(before < (DEFAULT_AUTOCHECKPOINT + 700) * 4096, `${before} bytes before the stop`);
      await cp.stop();
      assert.ok(statSync(file).size >= (DEFAULT_AUTOCHECKPOINT + 700) * 4096, `${statSync(file).size} bytes after the stop`);
      assert.equal(rows(db), DEFAULT_AUTOCHECKPOINT + 700);
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('a thread that cannot run gives the connection back the default of SQLite and says why; nothing written is lost', async () => {
    const { db, file } = open(dir, 'b.sqlite');
    const errors: Error[] = [];
    const cp = Checkpointer.start(db, file, { watchMs: 20, driver: join(dir, 'no-such-driver.js'), onError: (e) => errors.push(e) })!;
    try {
      write(db, DEFAULT_AUTOCHECKPOINT + 100);
      await eventually(async () => errors.length > 0, 5000, 'the error reported');
      assert.match(errors[0]!.message, /no-such-driver/);
      assert.equal(cp.running, false);
      assert.equal(autocheckpoint(db), DEFAULT_AUTOCHECKPOINT);
      write(db, 2 * DEFAULT_AUTOCHECKPOINT);
      // The connection checkpoints itself again: the log does not grow past about one default's worth.
      assert.ok(statSync(`${file}-wal`).size < 3 * DEFAULT_AUTOCHECKPOINT * 4096, `log of ${statSync(`${file}-wal`).size} bytes`);
      assert.equal(rows(db), 3 * DEFAULT_AUTOCHECKPOINT + 100);
    } finally {
      await cp.stop();
      db.close();
    }
  });

  it('an in-memory database has none; the store and the embedded broker stop theirs before they close', async () => {
    const mem = new Database(':memory:');
    assert.equal(Checkpointer.start(mem, ':memory:'), undefined);
    mem.close();
    const store = new SqliteStore(join(dir, 'hub.sqlite'));
    assert.ok(store.checkpointer);
    await store.migrate();
    await store.close();
    assert.equal(store.checkpointer.running, false);
    const broker = new EmbeddedBroker(join(dir, 'broker.sqlite'));
    await broker.connect();
    await broker.close();
  });
});
