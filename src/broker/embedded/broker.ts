import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import { BrokerError, errorMessage } from '../../core/errors.ts';
import type { ChangeEvent } from '../../core/types.ts';
import { eventText } from '../../core/event-text.ts';
import { topicMatches } from '../topic.ts';
import type { Broker, Consumer, Handler, HandlerResult, QueueStats } from '../types.ts';
import { FileIdentity } from '../../sqlite/file-identity.ts';
import { prepared } from '../../sqlite/statements.ts';
import { Checkpointer, checkpointerStopped } from '../../sqlite/checkpointer.ts';
import { BackgroundReader } from '../../sqlite/background-reader.ts';

type Row = Record<string, unknown>;

/** Messages on a queue from which its stats are counted on a thread of their own (a walk of the queue's index). */
const BACKGROUND_STATS_FROM = 100_000;

/** How soon a consumer or a pending write tries the file again after an I/O error (locked, read-only, full). */
const RETRY_IO_MS = 1000;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS bindings (queue TEXT NOT NULL, pattern TEXT NOT NULL, PRIMARY KEY (queue, pattern));
CREATE TABLE IF NOT EXISTS items (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  queue TEXT NOT NULL,
  routing_key TEXT NOT NULL,
  body TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 1,
  available_at INTEGER NOT NULL,
  locked INTEGER NOT NULL DEFAULT 0,
  redelivered INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  last_error TEXT
);
CREATE INDEX IF NOT EXISTS items_ready ON items(queue, dead, locked, available_at, id);
`;

/**
 * The default broker: durable queues in a SQLite file of their own, in this process.
 * A published message is committed to disk before publish() resolves, so it survives kill -9;
 * messages that were handed to a handler but not acknowledged are delivered again after restart.
 * One process owns the file (the embedded mode runs API and workers in one process).
 */
export class EmbeddedBroker implements Broker {
  readonly kind = 'embedded' as const;
  private db: Database.Database | undefined;
  private readonly bindings = new Map<string, string[]>();
  private readonly wake = new EventEmitter();
  private readonly consumers = new Set<{ stop: () => Promise<void> }>();
  private acks: number[] = [];
  private ackRetry: NodeJS.Timeout | undefined;
  private identity: FileIdentity | undefined;
  /** WAL checkpoints on a thread of their own (src/sqlite/checkpointer.ts). */
  private checkpointer: Checkpointer | undefined;
  /**
   * The ids of the items (of any queue: ids are the file's) handed to a handler and not yet settled on
   * disk (acked, put back for a retry, dead-lettered). The claim is kept here, not written into the file:
   * one process owns it, and a claim written to disk would be undone at the next start anyway (one write
   * transaction saved each time a consumer takes messages).
   */
  private readonly held = new Set<number>();
  /** The highest item id when the file was opened: those items may have been handed out by the process before (redelivered). */
  private openedAt = 0;
  /** Counts of large queues off the event loop (src/sqlite/background-reader.ts); none for an in-memory file. */
  private reader: BackgroundReader | undefined;
  /** Each queue's size at its last stats. */
  private readonly sizes = new Map<string, number>();

  /**
   * @param busyTimeoutMs how long a statement waits for another process's write lock before it fails
   *   with SQLITE_BUSY (the consumer then tries again at its next poll)
   */
  constructor(
    private readonly file: string,
    private readonly busyTimeoutMs = 5000,
    /** backgroundFrom: from how many messages on a queue its stats are counted on the reader's thread (100,000). */
    private readonly opts: { backgroundFrom?: number } = {},
  ) {
    this.wake.setMaxListeners(0);
  }

  private get conn(): Database.Database {
    if (!this.db) throw new BrokerError('embedded broker is not connected');
    return this.db;
  }

  async connect(): Promise<void> {
    if (this.db) return;
    if (this.file !== ':memory:') mkdirSync(dirname(this.file), { recursive: true });
    const db = new Database(this.file);
    this.identity = new FileIdentity(this.file);
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.pragma(`busy_timeout = ${Math.trunc(this.busyTimeoutMs)}`);
    this.checkpointer = Checkpointer.start(db, this.file, { onError: (e) => checkpointerStopped(this.file, e) });
    db.exec(SCHEMA);
    // Whatever was in flight when the previous process stopped is delivered again: any item already in
    // the file may have been (claims are not written to it; `locked` is set only by older versions).
    prepared(db, 'UPDATE items SET locked = 0, redelivered = 1 WHERE locked = 1').run();
    this.openedAt = Number((prepared(db, 'SELECT MAX(id) AS id FROM items').get() as Row).id ?? 0);
    if (this.file !== ':memory:') this.reader = new BackgroundReader(this.file);
    for (const r of prepared(db, 'SELECT queue, pattern FROM bindings').all() as Row[]) {
      const list = this.bindings.get(r.queue as string) ?? [];
      list.push(r.pattern as string);
      this.bindings.set(r.queue as string, list);
    }
    this.db = db;
  }

  async declareQueue(queue: string, patterns: string[]): Promise<void> {
    this.checkFile();
    const db = this.conn;
    db.transaction(() => {
      prepared(db, 'DELETE FROM bindings WHERE queue = ?').run(queue);
      for (const p of patterns) prepared(db, 'INSERT OR IGNORE INTO bindings (queue, pattern) VALUES (?, ?)').run(queue, p);
    })();
    this.bindings.set(queue, [...patterns]);
  }

  /** Refuses to write into a broker file that was removed or replaced on disk (it would be lost at the next start). */
  private checkFile(everyMs?: number): void {
    const problem = this.identity?.problem(everyMs);
    if (problem) throw new BrokerError(`embedded broker: ${problem}`, { extra: { readiness: problem } });
  }

  /** Puts each message on its queues in one transaction, then wakes their consumers. */
  private insert(messages: { queues: string[]; routingKey: string; event: ChangeEvent }[]): void {
    this.checkFile();
    const db = this.conn;
    const at = Date.now();
    const stmt = prepared(db, 'INSERT INTO items (queue, routing_key, body, available_at) VALUES (?, ?, ?, ?)');
    db.transaction(() => {
      for (const m of messages) {
        const body = eventText(m.event);
        for (const q of m.queues) stmt.run(q, m.routingKey, body, at);
      }
    })();
    for (const q of new Set(messages.flatMap((m) => m.queues))) this.wake.emit(q);
  }

  private queuesOf(routingKey: string): string[] {
    return [...this.bindings.entries()].filter(([, ps]) => ps.some((p) => topicMatches(p, routingKey))).map(([q]) => q);
  }

  async publish(routingKey: string, event: ChangeEvent): Promise<void> {
    await this.publishMany([{ routingKey, event }]);
  }

  async publishMany(messages: { routingKey: string; event: ChangeEvent }[]): Promise<void> {
    this.insert(messages.map((m) => ({ ...m, queues: this.queuesOf(m.routingKey) })));
  }

  async sendToQueue(queue: string, event: ChangeEvent): Promise<void> {
    this.insert([{ queues: [queue], routingKey: `direct.${queue}`, event }]);
  }

  async consume(queue: string, handler: Handler, opts: { prefetch: number }): Promise<Consumer> {
    const db = this.conn;
    // Up to the free prefetch slots in one read, past the items already held by this process.
    const ready = prepared(db, 'SELECT * FROM items WHERE queue = ? AND dead = 0 AND locked = 0 AND available_at <= ? ORDER BY available_at, id LIMIT ?');
    const nextAt = prepared(db, 'SELECT MIN(available_at) AS t FROM items WHERE queue = ? AND dead = 0 AND locked = 0 AND available_at > ?');
    let running = true;
    let inflight = 0;
    let timer: NodeJS.Timeout | undefined;
    const idle = new Set<() => void>();
    const pump = () => {
      if (!running || !this.db) return;
      if (timer) {
        clearTimeout(timer);
        timer = undefined;
      }
      let rows: Row[];
      const free = opts.prefetch - inflight;
      try {
        rows = free > 0 ? (ready.all(queue, Date.now(), free + this.held.size) as Row[]).filter((r) => !this.held.has(Number(r.id))).slice(0, free) : [];
      } catch {
        // The file cannot be read now (an I/O error): look again later.
        timer = setTimeout(pump, RETRY_IO_MS);
        return;
      }
      for (const row of rows) {
        this.held.add(Number(row.id));
        inflight++;
        void this.handle(row, handler).finally(() => {
          inflight--;
          if (inflight === 0) for (const f of idle) f();
          setImmediate(pump);
        });
      }
      if (inflight < opts.prefetch) {
        let t: unknown;
        try {
          // Every ready item not held was taken: the next one to become ready.
          t = (nextAt.get(queue, Date.now()) as Row | undefined)?.t;
        } catch {
          t = undefined;
        }
        const wait = t == null ? 1000 : Math.max(5, Math.min(1000, Number(t) - Date.now()));
        timer = setTimeout(pump, wait);
      }
    };
    this.wake.on(queue, pump);
    setImmediate(pump);
    const consumer = {
      stop: async () => {
        running = false;
        this.wake.off(queue, pump);
        if (timer) clearTimeout(timer);
        if (inflight > 0) await new Promise<void>((r) => idle.add(r));
      },
    };
    this.consumers.add(consumer);
    return {
      cancel: async () => {
        this.consumers.delete(consumer);
        await consumer.stop();
      },
    };
  }

  private async handle(row: Row, handler: Handler): Promise<void> {
    let result: HandlerResult;
    try {
      result = await handler({
        id: String(row.id),
        routingKey: row.routing_key as string,
        event: JSON.parse(row.body as string) as ChangeEvent,
        attempt: Number(row.attempt),
        redelivered: Boolean(row.redelivered) || Number(row.id) <= this.openedAt,
      });
    } catch (e) {
      result = { action: 'retry', delayMs: 1000, error: errorMessage(e) };
    }
    if (result.action === 'ack') return this.ack(Number(row.id));
    const settled = result;
    const write = () => {
      const db = this.db;
      if (!db) return;
      try {
        if (settled.action === 'retry')
          prepared(db, 'UPDATE items SET locked = 0, attempt = attempt + 1, available_at = ?, last_error = ? WHERE id = ?').run(Date.now() + settled.delayMs, settled.error, row.id);
        else prepared(db, 'UPDATE items SET locked = 0, dead = 1, last_error = ? WHERE id = ?').run(settled.error, row.id);
        this.held.delete(Number(row.id));
      } catch {
        // Written when the file can be written again; until then the message stays with this process.
        setTimeout(write, RETRY_IO_MS).unref();
      }
    };
    write();
  }

  /**
   * Acks of the same turn of the event loop are deleted in one transaction. An ack lost to a crash
   * before that means one more delivery of the message (at-least-once; consumers drop it by event id).
   */
  private ack(id: number): void {
    this.acks.push(id);
    if (this.acks.length === 1) setImmediate(() => this.flushAcks());
  }

  private flushAcks(): void {
    const ids = this.acks.splice(0);
    if (!ids.length || !this.db) return;
    const db = this.db;
    const del = prepared(db, 'DELETE FROM items WHERE id = ?');
    try {
      db.transaction(() => ids.forEach((id) => del.run(id)))();
      // Gone from the file: no longer held (until then a consumer must not take them again).
      for (const id of ids) this.held.delete(id);
    } catch {
      // Kept for the next flush; lost with the process they mean one more delivery (at-least-once).
      this.acks.unshift(...ids);
      this.ackRetry ??= setTimeout(() => {
        this.ackRetry = undefined;
        this.flushAcks();
      }, RETRY_IO_MS).unref();
    }
  }

  /**
   * A walk of the queue's index (a backlog of a million messages waits here while ingest runs ahead of
   * delivery): from `backgroundFrom` messages on, on the reader's thread; if it cannot read, here.
   */
  async stats(queue: string): Promise<QueueStats> {
    this.flushAcks();
    const sql = 'SELECT SUM(dead = 0) AS ready, SUM(dead = 1) AS dead FROM items WHERE queue = ?';
    const here = () => prepared(this.conn, sql).all(queue) as Row[];
    const big = (this.sizes.get(queue) ?? 0) >= (this.opts.backgroundFrom ?? BACKGROUND_STATS_FROM);
    const [r = {}] = big && this.reader ? await this.reader.allOr(here, sql, [queue]) : here();
    const stats = { ready: Number(r.ready ?? 0), dead: Number(r.dead ?? 0) };
    this.sizes.set(queue, stats.ready + stats.dead);
    return stats;
  }

  /** Stats read on the reader's thread so far. */
  get backgroundReads(): number {
    return this.reader?.reads ?? 0;
  }

  async requeueDead(queue: string): Promise<number> {
    this.checkFile();
    const n = prepared(this.conn, 'UPDATE items SET dead = 0, attempt = 1, available_at = ?, last_error = NULL WHERE queue = ? AND dead = 1').run(Date.now(), queue).changes;
    if (n) this.wake.emit(queue);
    return n;
  }

  async purgeDead(queue: string, select: (e: ChangeEvent) => boolean | Promise<boolean>): Promise<number> {
    const rows = prepared(this.conn, 'SELECT id, body FROM items WHERE queue = ? AND dead = 1').all(queue) as { id: number; body: string }[];
    const ids: number[] = [];
    for (const r of rows) if (await select(JSON.parse(r.body) as ChangeEvent)) ids.push(r.id);
    if (!ids.length) return 0;
    this.checkFile();
    const db = this.conn;
    // Overwritten, not left in free pages of the file (erasure).
    db.pragma('secure_delete = ON');
    try {
      const del = prepared(db, 'DELETE FROM items WHERE id = ? AND dead = 1');
      return db.transaction(() => ids.reduce((n, id) => n + del.run(id).changes, 0))();
    } finally {
      db.pragma('secure_delete = OFF');
    }
  }

  async ping(): Promise<void> {
    this.checkFile(0);
    prepared(this.conn, 'SELECT 1').get();
  }

  async close(): Promise<void> {
    for (const c of [...this.consumers]) await c.stop();
    this.consumers.clear();
    clearTimeout(this.ackRetry);
    this.ackRetry = undefined;
    this.flushAcks();
    this.held.clear();
    await this.reader?.close();
    this.reader = undefined;
    this.sizes.clear();
    await this.checkpointer?.stop();
    this.checkpointer = undefined;
    this.db?.close();
    this.db = undefined;
  }
}
