import type Database from 'better-sqlite3';
import { statSync } from 'node:fs';
import { createRequire } from 'node:module';
import { Worker } from 'node:worker_threads';

/**
 * WAL checkpoints on a thread of their own. SQLite copies the pages a write-ahead log holds back into the
 * database file (a checkpoint) from the connection whose COMMIT took the log past `wal_autocheckpoint`
 * pages, inside that COMMIT: on the event loop, with the file's fsync. This thread opens a second
 * connection to the file and runs a PASSIVE checkpoint every `everyMs` (it waits for no reader or
 * writer and copies what it can), so that the process's own commits only append to the log
 * (docs/performance.md: the embedded pipeline 12–18 % faster, and no checkpoint in a request's latency).
 * The process's connection keeps a far larger `wal_autocheckpoint` as a safety net: if the thread falls
 * behind, or stops, the log is still checkpointed, and a thread that fails gives the connection back
 * SQLite's default.
 *
 * The thread starts once the log has grown to SQLite's default checkpoint size (its file, looked at every
 * `watchMs`): a small database (a test's, a quiet institution's) never needs it and costs no thread.
 */

/** Pages of log the process's own connection lets build up before it checkpoints itself (~200 MB of 4 KiB pages). */
export const SAFETY_AUTOCHECKPOINT = 50_000;
/** SQLite's default, restored when the thread cannot run. */
export const DEFAULT_AUTOCHECKPOINT = 1000;

const THREAD = `
const { parentPort, workerData } = require('node:worker_threads');
const Database = require(workerData.driver);
const db = new Database(workerData.file, { fileMustExist: true });
db.pragma('synchronous = NORMAL');
db.pragma('busy_timeout = 0');
let frames = 0;
let done = 0;
/** One PASSIVE checkpoint; SQLITE_BUSY (another checkpoint runs: the process's safety net) waits for the next. */
function pass() {
  try {
    return db.pragma('wal_checkpoint(PASSIVE)')[0];
  } catch (e) {
    if (!e || e.code !== 'SQLITE_BUSY') throw e;
    return undefined;
  }
}
const timer = setInterval(() => {
  const r = pass();
  if (!r || r.log < 0) return;
  // r.checkpointed counts from the log's start; a log that started over counts from 0 again.
  const fresh = r.checkpointed >= done ? r.checkpointed - done : r.checkpointed;
  done = r.checkpointed;
  if (fresh > 0) {
    frames += fresh;
    parentPort.postMessage({ frames });
  }
}, workerData.everyMs);
parentPort.on('message', () => {
  clearInterval(timer);
  // A last pass, so that what the process's connection copies when it closes (on its event loop) is
  // only what was written since.
  pass();
  db.close();
  parentPort.close();
});
`;

export interface CheckpointerOptions {
  everyMs?: number;
  /** How often the log's size is looked at until the thread starts. */
  watchMs?: number;
  /** Told when the thread stops on an error; the connection has SQLite's default back by then. */
  onError?: (e: Error) => void;
  /** The SQLite driver the thread loads (a test gives a missing one). */
  driver?: string;
}

export class Checkpointer {
  private worker: Worker | undefined;
  private exit: Promise<void> | undefined;
  private watcher: NodeJS.Timeout | undefined;
  private stopped = false;
  /** WAL frames the thread copied into the database file so far (about: a log that starts over between two looks is counted from its start). */
  frames = 0;
  /** The thread's error, once it stopped on one. */
  error: Error | undefined;

  private constructor(
    private readonly db: Database.Database,
    private readonly file: string,
    private readonly opts: CheckpointerOptions,
  ) {
    const threshold = DEFAULT_AUTOCHECKPOINT * Number(db.pragma('page_size', { simple: true }));
    this.watcher = setInterval(() => {
      let size = 0;
      try {
        size = statSync(`${file}-wal`).size;
      } catch {
        return;
      }
      if (size >= threshold) this.startThread();
    }, opts.watchMs ?? 250);
    this.watcher.unref();
  }

  /** Checkpoints a file-backed database in WAL mode on a thread once its log has grown; nothing for an in-memory one. */
  static start(db: Database.Database, file: string, opts: CheckpointerOptions = {}): Checkpointer | undefined {
    if (file === ':memory:' || db.memory) return undefined;
    return new Checkpointer(db, file, opts);
  }

  /** Whether the thread runs. */
  get running(): boolean {
    return this.worker !== undefined && this.error === undefined && !this.stopped;
  }

  private startThread(): void {
    clearInterval(this.watcher);
    this.watcher = undefined;
    if (this.stopped || this.worker || !this.db.open) return;
    const driver = this.opts.driver ?? createRequire(import.meta.url).resolve('better-sqlite3');
    this.db.pragma(`wal_autocheckpoint = ${SAFETY_AUTOCHECKPOINT}`);
    const worker = new Worker(THREAD, { eval: true, workerData: { file: this.file, driver, everyMs: this.opts.everyMs ?? 50 } });
    this.worker = worker;
    this.exit = new Promise<void>((resolve) => worker.once('exit', () => resolve()));
    // The thread must not keep a process alive that has nothing else to do.
    worker.unref();
    worker.on('message', (m: { frames: number }) => {
      this.frames = m.frames;
    });
    worker.on('error', (e) => {
      this.error = e;
      if (this.db.open) this.db.pragma(`wal_autocheckpoint = ${DEFAULT_AUTOCHECKPOINT}`);
      this.opts.onError?.(e);
    });
  }

  /**
   * Stops the watch or the thread: its last pass copies what the log still holds (off the event loop, which
   * waits for it here), then its connection closes; before the process's connection closes.
   */
  async stop(): Promise<void> {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.watcher);
    const worker = this.worker;
    if (!worker || this.error) return;
    worker.postMessage('stop');
    const timer = setTimeout(() => void worker.terminate(), 60_000);
    await this.exit;
    clearTimeout(timer);
  }
}

/** What a store or broker tells when its checkpoint thread stopped: a process warning, on stderr. */
export function checkpointerStopped(file: string, e: Error): void {
  process.emitWarning(`the WAL checkpoint thread of ${file} stopped (${e.message}); its connection checkpoints the log itself again`, { code: 'HUB_SQLITE_CHECKPOINTER' });
}
