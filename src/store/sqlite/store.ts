import Database from 'better-sqlite3';
import { mkdirSync } from 'node:fs';
import { dirname } from 'node:path';
import type { Violation } from '../../core/errors.ts';
import { parseEvent } from '../../core/event-text.ts';
import { StoreError } from '../../core/errors.ts';
import { uuidv7 } from '../../core/ids.ts';
import type { CanonicalRecord, ChangeEvent, DeliveryStatus, JsonObject, MessageStatus } from '../../core/types.ts';
import { deriveMessageStatus, ROUTED_STATUSES } from '../status.ts';
import type {
  AttemptOutcome,
  AttemptRow,
  MessageTrail,
  CommitInput,
  CommitResult,
  DeliveryRow,
  IngestItem,
  IngestItemResult,
  MessageFilter,
  MessageHistoryRow,
  MessagePatch,
  NewMessage,
  Store,
  StoredMessage,
  TokenRow,
} from '../types.ts';
import { MESSAGE_SUMMARY_COLUMNS } from '../types.ts';
import { nextVersion } from '../commit-rules.ts';
import { canonicalHeldByVersion, canonicalOfVersion, ingestHistory, extendsTrail, mergeHistory, trailLine, trailOf } from '../trail.ts';
import { CLAIM_TIMEOUT_MS, refusedClaim, type DeliveryClaim, type HeldClaim } from '../claims.ts';
import { outagesAsStoreErrors } from './errors.ts';
import { FileIdentity } from '../../sqlite/file-identity.ts';
import { SQLITE_MIGRATIONS } from './migrations.ts';
import { SqliteSql } from './sql.ts';
import type { SqlDb } from '../sql.ts';
import { versionData } from '../json-sql.ts';
import { prepared } from '../../sqlite/statements.ts';
import { Checkpointer, checkpointerStopped } from '../../sqlite/checkpointer.ts';
import { BackgroundReader } from '../../sqlite/background-reader.ts';

type Row = Record<string, unknown>;
const now = () => new Date().toISOString();

/** A message row with, when its canonical copy is its record version's data, that data (src/store/trail.ts). */
const MESSAGE_ROW = `SELECT m.*, CASE WHEN m.canonical_in_version THEN (SELECT ${versionData('sqlite', 'v')} FROM changes v WHERE v.record_id = m.record_id AND v.version = m.record_version) END AS version_data FROM messages m`;

/** What the ingest's history is derived from (src/store/trail.ts). */
const TRAIL_ROW = 'SELECT m.trail, m.created_at, m.record_id, m.record_version, m.error_detail, (SELECT c.seq FROM changes c WHERE c.event_id = m.event_id) AS seq FROM messages m WHERE m.id = ?';

/** The record, version and change a commit wrote, or the record it left alone (stale, unchanged: `detail`). */
interface Written {
  result: CommitResult;
  detail: string;
}

function toMessage(r: Row): StoredMessage {
  return {
    id: r.id as string,
    sourceId: r.source_id as string,
    entity: r.entity as string,
    institution: (r.institution as string | null) ?? null,
    status: r.status as MessageStatus,
    contentType: (r.content_type as string | null) ?? null,
    raw: (r.raw as string | null) ?? null,
    rawSize: Number(r.raw_size),
    canonical: r.canonical ? (JSON.parse(r.canonical as string) as JsonObject) : r.version_data ? canonicalOfVersion(JSON.parse(r.version_data as string) as JsonObject) : null,
    errors: JSON.parse((r.errors as string) || '[]') as Violation[],
    errorCode: (r.error_code as string | null) ?? null,
    errorDetail: (r.error_detail as string | null) ?? null,
    recordId: (r.record_id as string | null) ?? null,
    recordVersion: r.record_version == null ? null : Number(r.record_version),
    eventId: (r.event_id as string | null) ?? null,
    businessKey: (r.business_key as string | null) ?? null,
    createdAt: r.created_at as string,
    updatedAt: r.updated_at as string,
  };
}

function toRecord(r: Row): CanonicalRecord {
  return {
    id: r.id as string,
    entity: r.entity as string,
    institution: r.institution as string,
    sourceSystem: r.source_system as string,
    sourceId: r.source_id as string,
    version: Number(r.version),
    seq: Number(r.seq),
    deleted: Boolean(r.deleted),
    sourceUpdatedAt: (r.source_updated_at as string | null) ?? null,
    updatedAt: r.updated_at as string,
    data: JSON.parse(r.data as string) as JsonObject,
  };
}

function toDelivery(r: Row): DeliveryRow {
  return {
    eventId: r.event_id as string,
    messageId: (r.message_id as string | null) ?? null,
    routeId: r.route_id as string,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    updatedAt: r.updated_at as string,
    deliveredAt: (r.delivered_at as string | null) ?? null,
  };
}

function toAttempt(r: Row): AttemptRow {
  return {
    eventId: r.event_id as string,
    routeId: r.route_id as string,
    attempt: Number(r.attempt),
    at: r.at as string,
    outcome: r.outcome as AttemptRow['outcome'],
    error: (r.error as string | null) ?? null,
    detail: (r.detail as string | null) ?? null,
    durationMs: Number(r.duration_ms),
  };
}

function toToken(r: Row): TokenRow {
  return {
    id: r.id as string,
    name: r.name as string,
    scopes: JSON.parse(r.scopes as string) as string[],
    createdAt: r.created_at as string,
    revokedAt: (r.revoked_at as string | null) ?? null,
  };
}

/** Messages from which their count by status is read on a thread of its own. */
const BACKGROUND_COUNT_FROM = 100_000;

/** The default store: one SQLite file in WAL mode (better-sqlite3). */
export class SqliteStore implements Store {
  readonly kind = 'sqlite' as const;
  readonly db: Database.Database;
  readonly sql: SqliteSql;
  /** WAL checkpoints on a thread of their own (src/sqlite/checkpointer.ts). */
  readonly checkpointer: Checkpointer | undefined;
  /** Whole-table reads off the event loop (src/sqlite/background-reader.ts); none for an in-memory database. */
  readonly reader: BackgroundReader | undefined;
  /** Messages at the last count: from this many on, counts are read on the reader's thread. */
  private counted = 0;

  /**
   * @param opts.backgroundFrom how many messages make the count of messages by status a read on a thread
   *   of its own (below it, the walk is short and runs on the connection)
   */
  constructor(
    file: string,
    private readonly opts: { backgroundFrom?: number } = {},
  ) {
    if (file !== ':memory:') mkdirSync(dirname(file), { recursive: true });
    try {
      this.db = new Database(file);
    } catch (e) {
      throw new StoreError(`cannot open SQLite database ${file}`, { cause: e });
    }
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('foreign_keys = ON');
    // A 32 MiB page cache (SQLite's default is 2 MiB): searches of the catalogue and the admin's reads walk
    // index and table pages that would otherwise be read from the file again and again (bench catalogue).
    this.db.pragma('cache_size = -32768');
    this.checkpointer = Checkpointer.start(this.db, file, { onError: (e) => checkpointerStopped(file, e) });
    this.reader = file === ':memory:' ? undefined : new BackgroundReader(file);
    const identity = new FileIdentity(file);
    const check = (everyMs?: number) => {
      const problem = identity.problem(everyMs);
      if (problem) throw new StoreError(`sqlite: ${problem}`, { extra: { readiness: problem } });
    };
    this.sql = new SqliteSql(this.db, check);
    outagesAsStoreErrors(this, check);
    // The readiness probe looks at the file every time.
    const ping = this.ping;
    this.ping = async () => {
      check(0);
      await ping();
    };
  }

  async migrate(): Promise<void> {
    const current = this.db.pragma('user_version', { simple: true }) as number;
    for (let i = current; i < SQLITE_MIGRATIONS.length; i++) {
      this.db.transaction(() => {
        this.db.exec(SQLITE_MIGRATIONS[i]!);
        this.db.pragma(`user_version = ${i + 1}`);
      })();
    }
  }

  /** A synchronous transaction once no transaction of another caller holds the connection (SqliteSql.exclusive). */
  private exclusive<T>(fn: () => T): Promise<T> {
    return this.sql.exclusive(() => this.db.transaction(fn)());
  }

  async ping(): Promise<void> {
    prepared(this.db, 'SELECT 1').get();
  }

  async close(): Promise<void> {
    await this.reader?.close();
    await this.checkpointer?.stop();
    if (this.db.open) this.db.close();
  }

  private history(id: string, status: string, detail: string | null): void {
    prepared(this.db, 'INSERT INTO message_history (message_id, at, status, detail) VALUES (?, ?, ?, ?)').run(id, now(), status, detail);
  }

  async insertMessage(m: NewMessage): Promise<{ message: StoredMessage; duplicate: boolean }> {
    return this.exclusive(() => this.insertIn(m));
  }

  /** insertMessage inside a transaction the caller holds. */
  private insertIn(m: NewMessage): { message: StoredMessage; duplicate: boolean } {
    if (m.idempotencyKey) {
      const existing = prepared(this.db, `${MESSAGE_ROW} WHERE m.idempotency_key = ?`).get(m.idempotencyKey) as Row | undefined;
      if (existing) return { message: toMessage(existing), duplicate: true };
    }
    const t = now();
    prepared(
      this.db,
      `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, errors, error_code, error_detail, created_at, updated_at)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    ).run(m.id, m.idempotencyKey, m.sourceId, m.entity, m.institution, m.status, m.contentType, m.raw, m.rawSize, JSON.stringify(m.errors ?? []), m.errorCode ?? null, m.errorDetail ?? null, t, t);
    this.history(m.id, m.status, m.errorDetail ?? null);
    // The stored row is exactly this: no read back.
    const message: StoredMessage = {
      id: m.id,
      sourceId: m.sourceId,
      entity: m.entity,
      institution: m.institution,
      status: m.status,
      contentType: m.contentType,
      raw: m.raw,
      rawSize: m.rawSize,
      canonical: null,
      errors: m.errors ?? [],
      errorCode: m.errorCode ?? null,
      errorDetail: m.errorDetail ?? null,
      recordId: null,
      recordVersion: null,
      eventId: null,
      businessKey: null,
      createdAt: t,
      updatedAt: t,
    };
    return { message, duplicate: false };
  }

  async updateMessage(id: string, patch: MessagePatch, historyDetail?: string): Promise<void> {
    await this.exclusive(() => this.patchIn(id, patch, historyDetail));
  }

  /** updateMessage inside a transaction the caller holds. */
  private patchIn(id: string, patch: MessagePatch, historyDetail?: string): void {
    if (patch.status !== undefined) this.materialize(id);
    const sets: string[] = [];
    const args: unknown[] = [];
    const col = (c: string, v: unknown) => {
      sets.push(`${c} = ?`);
      args.push(v);
    };
    if (patch.status !== undefined) col('status', patch.status);
    if (patch.canonical !== undefined) {
      col('canonical', patch.canonical === null ? null : JSON.stringify(patch.canonical));
      col('canonical_in_version', 0);
    }
    if (patch.errors !== undefined) col('errors', JSON.stringify(patch.errors));
    if (patch.errorCode !== undefined) col('error_code', patch.errorCode);
    if (patch.errorDetail !== undefined) col('error_detail', patch.errorDetail);
    if (patch.institution !== undefined) col('institution', patch.institution);
    if (patch.businessKey !== undefined) col('business_key', patch.businessKey);
    if (patch.idempotencyKey !== undefined) col('idempotency_key', null);
    col('updated_at', now());
    prepared(this.db, `UPDATE messages SET ${sets.join(', ')} WHERE id = ?`).run(...args, id);
    if (patch.status !== undefined) this.history(id, patch.status, historyDetail ?? patch.errorDetail ?? null);
  }

  /**
   * Before a status change outside the ingest's chunk (replay, the one-record path): the ingest's
   * derived history becomes rows, in front of the rows written since, so that it no longer depends
   * on the row's status and pointers, which change now.
   */
  private materialize(id: string): void {
    const derived = this.derivedHistory(id);
    if (derived.length === 0) return;
    const later = this.storedHistory(id);
    prepared(this.db, 'DELETE FROM message_history WHERE message_id = ?').run(id);
    const ins = prepared(this.db, 'INSERT INTO message_history (message_id, at, status, detail) VALUES (?, ?, ?, ?)');
    for (const h of mergeHistory(derived, later)) ins.run(id, h.at, h.status, h.detail);
    prepared(this.db, 'UPDATE messages SET trail = NULL WHERE id = ?').run(id);
  }

  private derivedHistory(id: string): MessageHistoryRow[] {
    const r = prepared(this.db, TRAIL_ROW).get(id) as Row | undefined;
    if (!r?.trail) return [];
    return ingestHistory({
      trail: r.trail as string,
      createdAt: r.created_at as string,
      recordId: (r.record_id as string | null) ?? null,
      recordVersion: r.record_version == null ? null : Number(r.record_version),
      seq: r.seq == null ? null : Number(r.seq),
      errorDetail: (r.error_detail as string | null) ?? null,
    });
  }

  private storedHistory(id: string): MessageHistoryRow[] {
    return (prepared(this.db, 'SELECT at, status, detail FROM message_history WHERE message_id = ? ORDER BY rowid').all(id) as Row[]).map((r) => ({
      at: r.at as string,
      status: r.status as string,
      detail: (r.detail as string | null) ?? null,
    }));
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const r = prepared(this.db, `${MESSAGE_ROW} WHERE m.id = ?`).get(id) as Row | undefined;
    return r ? toMessage(r) : undefined;
  }

  async listMessages(f: MessageFilter): Promise<StoredMessage[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    if (f.status) {
      where.push('status = ?');
      args.push(f.status);
    }
    if (f.sourceId) {
      where.push('source_id = ?');
      args.push(f.sourceId);
    }
    if (f.entity) {
      where.push('entity = ?');
      args.push(f.entity);
    }
    if (f.institution) {
      where.push('institution = ?');
      args.push(f.institution);
    }
    if (f.since) {
      where.push('created_at >= ?');
      args.push(f.since);
    }
    if (f.before) {
      where.push('id < ?');
      args.push(f.before);
    }
    const sql = `${f.summaryOnly ? `SELECT ${MESSAGE_SUMMARY_COLUMNS} FROM messages m` : MESSAGE_ROW} ${where.length ? `WHERE ${where.map((w) => `m.${w}`).join(' AND ')}` : ''} ORDER BY m.id DESC LIMIT ?`;
    return (prepared(this.db, sql).all(...args, f.limit) as Row[]).map(toMessage);
  }

  /** The ingest's history derived from the message row (src/store/trail.ts), then the rows written since. */
  async messageHistory(id: string): Promise<MessageHistoryRow[]> {
    return this.exclusive(() => mergeHistory(this.derivedHistory(id), this.storedHistory(id)));
  }

  /**
   * A walk of the status index: ~0.35 s for 3 million messages, every time the gauges are refreshed. From
   * `backgroundFrom` messages on (100,000) it runs on the reader's thread, not the event loop; if that
   * thread cannot read, here.
   */
  async countMessagesByStatus(): Promise<Record<string, number>> {
    const sql = 'SELECT status, COUNT(*) AS n FROM messages GROUP BY status';
    const here = () => prepared(this.db, sql).all() as Row[];
    const rows = this.counted >= (this.opts.backgroundFrom ?? BACKGROUND_COUNT_FROM) && this.reader ? await this.reader.allOr(here, sql) : here();
    const out: Record<string, number> = {};
    this.counted = 0;
    for (const r of rows) {
      out[r.status as string] = Number(r.n);
      this.counted += Number(r.n);
    }
    return out;
  }

  async countUnpublished(limit: number): Promise<number> {
    return Number((prepared(this.db, 'SELECT COUNT(*) AS n FROM (SELECT 1 FROM changes WHERE published_at IS NULL LIMIT ?)').get(limit) as Row).n);
  }

  async commit(input: CommitInput): Promise<CommitResult> {
    return this.exclusive(() => this.commitIn(input));
  }

  /**
   * One ingest call's records in one transaction: a WAL write per call instead of three per record.
   * The trail is written once (src/store/trail.ts): each message is inserted with the status its
   * outcome gives it, its ingest's history derived from the row, its canonical copy left to the record
   * version that holds the same JSON; per committed record four rows: the message, the record, its
   * version and its change. The result is what insertMessage, updateMessage and commit would have
   * left, read through the store. An earlier copy left unfinished (the one-record path stopped between
   * its transactions) is finished the way that path does.
   */
  async ingestBatch(items: IngestItem[]): Promise<IngestItemResult[]> {
    return this.exclusive(() => items.map((item) => this.ingestIn(item)));
  }

  private ingestIn(item: IngestItem): IngestItemResult {
    const m = item.message;
    const o = item.outcome;
    if (m.idempotencyKey) {
      const existing = prepared(this.db, `${MESSAGE_ROW} WHERE m.idempotency_key = ?`).get(m.idempotencyKey) as Row | undefined;
      if (existing) {
        const message = toMessage(existing);
        if (message.status !== 'received' && message.status !== 'validated') return { messageId: message.id, duplicate: true, existing: message };
        if (o.kind === 'reject') {
          if (o.canonical) this.patchIn(message.id, { canonical: o.canonical, businessKey: o.businessKey });
          this.patchIn(message.id, { status: 'rejected', errors: o.errors, errorCode: o.errorCode, errorDetail: o.errorDetail, idempotencyKey: null });
          return { messageId: message.id, duplicate: false };
        }
        this.patchIn(message.id, { status: 'validated', canonical: o.canonical, businessKey: o.businessKey }, 'mapped and validated');
        return { messageId: message.id, duplicate: false, commit: this.commitIn({ ...o.commit, messageId: message.id }) };
      }
    }
    const t = now();
    const row = (status: MessageStatus, canonical: JsonObject | null, held: boolean, detail: string | null, w?: Written) =>
      prepared(
        this.db,
        `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, canonical, canonical_in_version, errors, error_code, error_detail,
           record_id, record_version, event_id, business_key, trail, created_at, updated_at)
         VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      ).run(
        m.id,
        // A rejected input sent again is processed again: it keeps no key.
        status === 'rejected' ? null : m.idempotencyKey,
        m.sourceId,
        m.entity,
        m.institution,
        status,
        m.contentType,
        m.raw,
        m.rawSize,
        held || canonical === null ? null : JSON.stringify(canonical),
        held ? 1 : 0,
        JSON.stringify(o.kind === 'reject' ? o.errors : []),
        o.kind === 'reject' ? o.errorCode : null,
        o.kind === 'reject' ? o.errorDetail : null,
        w?.result.record.id ?? null,
        w?.result.record.version ?? null,
        w?.result.event?.eventId ?? null,
        o.businessKey,
        trailOf(status as 'committed' | 'unchanged' | 'stale' | 'rejected', detail),
        t,
        t,
      );
    if (o.kind === 'reject') {
      row('rejected', o.canonical, false, null);
      return { messageId: m.id, duplicate: false };
    }
    const w = this.writeCommit({ ...o.commit, messageId: m.id }, t);
    const { outcome, record } = w.result;
    const held = outcome === 'stale' ? false : canonicalHeldByVersion(o.canonical, outcome === 'unchanged' ? record.data : o.commit.data);
    row(outcome === 'created' || outcome === 'updated' ? 'committed' : outcome, o.canonical, held, w.detail, w);
    return { messageId: m.id, duplicate: false, commit: w.result };
  }

  /** commit inside a transaction the caller holds: the record's writes, then the message pointed at them. */
  private commitIn(input: CommitInput): CommitResult {
    this.materialize(input.messageId);
    const t = now();
    const { result, detail } = this.writeCommit(input, t);
    const status = result.event ? 'committed' : result.outcome;
    prepared(this.db, 'UPDATE messages SET status = ?, record_id = ?, record_version = ?, event_id = COALESCE(?, event_id), updated_at = ? WHERE id = ?').run(
      status,
      result.record.id,
      result.record.version,
      result.event?.eventId ?? null,
      t,
      input.messageId,
    );
    this.history(input.messageId, status, detail);
    return result;
  }

  /**
   * A commit's rows (no message row touched): the record inserted or updated, its version, its change
   * (numbered up front, so that the event is written whole in one insert); or nothing, for a stale or
   * unchanged input. `detail` is the history line of the outcome.
   */
  private writeCommit(input: CommitInput, t: string): Written {
    const existing = prepared(this.db, 'SELECT * FROM records WHERE entity = ? AND institution = ? AND source_system = ? AND source_id = ?').get(
      input.entity,
      input.institution,
      input.sourceSystem,
      input.sourceId,
    ) as Row | undefined;
    const prev = existing ? toRecord(existing) : undefined;
    const next = nextVersion(prev, input);
    if (next.kind !== 'write') return { result: { outcome: next.kind, record: prev! }, detail: next.detail };
    const { id, version, data, deleted } = next;
    const eventId = uuidv7();
    // The writer holds the database: the next number of the AUTOINCREMENT sequence is known before the insert.
    const last = prepared(this.db, "SELECT seq FROM sqlite_sequence WHERE name = 'changes'").get() as Row | undefined;
    const seq = Number(last?.seq ?? 0) + 1;
    const event: ChangeEvent = {
      eventId,
      seq,
      entity: input.entity,
      op: input.op,
      schemaVersion: input.schemaVersion,
      source: input.source,
      institution: input.institution,
      occurredAt: t,
      recordId: id,
      version,
      messageId: input.messageId,
      ...(deleted ? {} : { record: data }),
    };
    const dataText = JSON.stringify(data);
    // The change is the record's version: its data is the event's record, or for a deletion its own column.
    prepared(this.db, 'INSERT INTO changes (seq, event_id, entity, institution, record_id, message_id, event, version, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      seq,
      eventId,
      input.entity,
      input.institution,
      id,
      input.messageId,
      JSON.stringify(event),
      version,
      deleted ? dataText : null,
    );
    if (prev) {
      prepared(this.db, 'UPDATE records SET version = ?, seq = ?, deleted = ?, data = ?, source_updated_at = COALESCE(?, source_updated_at), updated_at = ? WHERE id = ?').run(
        version,
        seq,
        deleted ? 1 : 0,
        dataText,
        input.sourceUpdatedAt,
        t,
        id,
      );
    } else {
      prepared(
        this.db,
        'INSERT INTO records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ).run(id, input.entity, input.institution, input.sourceSystem, input.sourceId, version, seq, deleted ? 1 : 0, dataText, input.sourceUpdatedAt, t);
    }
    const record: CanonicalRecord = {
      id,
      entity: input.entity,
      institution: input.institution,
      sourceSystem: input.sourceSystem,
      sourceId: input.sourceId,
      version,
      seq,
      deleted,
      sourceUpdatedAt: input.sourceUpdatedAt ?? prev?.sourceUpdatedAt ?? null,
      updatedAt: t,
      data,
    };
    return { result: { outcome: prev ? 'updated' : 'created', record, event }, detail: `record ${id} version ${version}, change ${seq}` };
  }

  async getRecord(entity: string, id: string): Promise<CanonicalRecord | undefined> {
    const r = prepared(this.db, 'SELECT * FROM records WHERE entity = ? AND id = ?').get(entity, id) as Row | undefined;
    return r ? toRecord(r) : undefined;
  }

  async getRecordVersion(id: string, version: number): Promise<JsonObject | undefined> {
    const r = prepared(this.db, `SELECT ${versionData('sqlite', 'c')} AS data FROM changes c WHERE c.record_id = ? AND c.version = ?`).get(id, version) as Row | undefined;
    return r ? (JSON.parse(r.data as string) as JsonObject) : undefined;
  }

  async pendingOutbox(limit: number): Promise<ChangeEvent[]> {
    return (prepared(this.db, 'SELECT event FROM changes WHERE published_at IS NULL ORDER BY seq LIMIT ?').all(limit) as Row[]).map((r) => parseEvent(r.event as string));
  }

  async markPublished(items: { eventId: string; messageId: string | null; routeIds: string[] }[]): Promise<void> {
    const t = now();
    const pub = prepared(this.db, 'UPDATE changes SET published_at = ? WHERE event_id = ? AND published_at IS NULL');
    const del = prepared(this.db, 'INSERT OR IGNORE INTO deliveries (event_id, route_id, message_id, status, updated_at) VALUES (?, ?, ?, ?, ?)');
    await this.exclusive(() => {
      for (const it of items) {
        pub.run(t, it.eventId);
        for (const r of it.routeIds) del.run(it.eventId, r, it.messageId, 'pending', t);
        if (it.messageId) this.refreshMessageStatus(it.messageId, it.eventId);
      }
    });
  }

  private refreshMessageStatus(messageId: string, eventId: string): void {
    // The message and its event's delivery statuses in one statement (two a delivery otherwise).
    const msg = prepared(this.db, "SELECT status, event_id, trail, (SELECT group_concat(status, ' ') FROM deliveries WHERE event_id = ?) AS statuses FROM messages WHERE id = ?").get(
      eventId,
      messageId,
    ) as Row | undefined;
    if (!msg || msg.event_id !== eventId) return;
    if (msg.status !== 'committed' && !ROUTED_STATUSES.includes(msg.status as MessageStatus)) return;
    const statuses = msg.statuses === null ? [] : (String(msg.statuses).split(' ') as DeliveryStatus[]);
    const next = deriveMessageStatus(statuses);
    if (next === msg.status) return;
    const t = now();
    // The happy path is a line of the trail, set with the status (src/store/trail.ts); anything else a row.
    if (extendsTrail(msg.trail, next)) {
      prepared(this.db, 'UPDATE messages SET status = ?, trail = trail || ?, updated_at = ? WHERE id = ?').run(next, trailLine(next, t), t, messageId);
      return;
    }
    if (msg.trail) this.materialize(messageId);
    prepared(this.db, 'UPDATE messages SET status = ?, updated_at = ? WHERE id = ?').run(next, t, messageId);
    this.history(messageId, next, null);
  }

  async getEvent(eventId: string): Promise<ChangeEvent | undefined> {
    const r = prepared(this.db, 'SELECT event FROM changes WHERE event_id = ?').get(eventId) as Row | undefined;
    return r ? (JSON.parse(r.event as string) as ChangeEvent) : undefined;
  }

  async deliveriesOf(eventIds: string[]): Promise<{ eventId: string; routeId: string }[]> {
    const stmt = prepared(this.db, 'SELECT event_id, route_id FROM deliveries WHERE event_id = ?');
    return eventIds.flatMap((id) => (stmt.all(id) as Row[]).map((r) => ({ eventId: r.event_id as string, routeId: r.route_id as string })));
  }

  async getDelivery(eventId: string, routeId: string): Promise<DeliveryRow | undefined> {
    const r = prepared(this.db, 'SELECT * FROM deliveries WHERE event_id = ? AND route_id = ?').get(eventId, routeId) as Row | undefined;
    return r ? toDelivery(r) : undefined;
  }

  async beginAttempt(eventId: string, routeId: string, at = Date.now()): Promise<DeliveryClaim> {
    return this.exclusive(() => this.claimIn(eventId, routeId, at));
  }

  async beginAttempts(claims: { eventId: string; routeId: string }[], at = Date.now()): Promise<DeliveryClaim[]> {
    return this.exclusive(() => claims.map((x) => this.claimIn(x.eventId, x.routeId, at)));
  }

  /** A delivered delivery, or one whose claim is fresh, is refused; a stale claim is taken over (src/store/claims.ts). */
  private claimIn(eventId: string, routeId: string, at: number): DeliveryClaim {
    const t = new Date(at).toISOString();
    // The usual case in one statement: the relay's pending row, not delivered, its claim absent or lapsed.
    const taken = prepared(
      this.db,
      "UPDATE deliveries SET attempts = attempts + 1, updated_at = ?, claimed_until = ? WHERE event_id = ? AND route_id = ? AND status <> 'delivered' AND (claimed_until IS NULL OR claimed_until <= ?) RETURNING attempts",
    ).get(t, at + CLAIM_TIMEOUT_MS, eventId, routeId, at) as Row | undefined;
    if (taken) return { proceed: true, attempt: Number(taken.attempts) };
    // Otherwise the row is delivered or its claim fresh (refused), or there is none yet (the relay's copy not marked: taken here).
    const r = prepared(this.db, 'SELECT status, attempts, claimed_until FROM deliveries WHERE event_id = ? AND route_id = ?').get(eventId, routeId) as Row | undefined;
    if (r) return refusedClaim({ status: r.status as string, attempts: Number(r.attempts), claimedUntil: r.claimed_until === null ? null : Number(r.claimed_until) }, at);
    prepared(
      this.db,
      'INSERT INTO deliveries (event_id, route_id, message_id, status, attempts, updated_at, claimed_until) VALUES (?, ?, (SELECT message_id FROM changes WHERE event_id = ?), ?, 1, ?, ?)',
    ).run(eventId, routeId, eventId, 'pending', t, at + CLAIM_TIMEOUT_MS);
    return { proceed: true, attempt: 1 };
  }

  async renewClaims(claims: HeldClaim[], at = Date.now()): Promise<void> {
    if (claims.length === 0) return;
    const renew = prepared(this.db, "UPDATE deliveries SET claimed_until = ? WHERE event_id = ? AND route_id = ? AND attempts = ? AND claimed_until IS NOT NULL AND status <> 'delivered'");
    await this.exclusive(() => claims.forEach((c) => renew.run(at + CLAIM_TIMEOUT_MS, c.eventId, c.routeId, c.attempt)));
  }

  async finishAttempt(a: AttemptOutcome): Promise<void> {
    await this.exclusive(() => this.finishIn(a, now()));
  }

  async finishAttempts(list: AttemptOutcome[], within?: (tx: SqlDb) => Promise<void>): Promise<void> {
    const t = now();
    if (!within) {
      await this.exclusive(() => list.forEach((a) => this.finishIn(a, t)));
      return;
    }
    // The feature's rows go through the SQL handle on this connection, in the same BEGIN IMMEDIATE.
    await this.sql.transaction(async (tx) => {
      list.forEach((a) => this.finishIn(a, t));
      await within(tx);
    });
  }

  private finishIn(a: AttemptOutcome, t: string): void {
    const d = prepared(
      this.db,
      "UPDATE deliveries SET status = ?, last_error = ?, updated_at = ?, delivered_at = CASE WHEN ? = 'delivered' THEN ? ELSE delivered_at END, claimed_until = CASE WHEN attempts = ? THEN NULL ELSE claimed_until END WHERE event_id = ? AND route_id = ? RETURNING message_id",
    ).get(a.status, a.error, t, a.status, t, a.attempt, a.eventId, a.routeId) as Row | undefined;
    const messageId = (d?.message_id as string | null) ?? null;
    prepared(this.db, 'INSERT INTO delivery_attempts (event_id, route_id, message_id, attempt, at, outcome, error, detail, duration_ms) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)').run(
      a.eventId,
      a.routeId,
      messageId,
      a.attempt,
      t,
      a.outcome,
      a.error,
      a.detail,
      Math.round(a.durationMs),
    );
    if (messageId) this.refreshMessageStatus(messageId, a.eventId);
  }

  async resetDeliveries(messageId: string, statuses: DeliveryStatus[]): Promise<{ eventId: string; routeId: string }[]> {
    return this.exclusive(() => {
      const rows = (prepared(this.db, `SELECT event_id, route_id, status FROM deliveries WHERE message_id = ?`).all(messageId) as Row[]).filter((r) => statuses.includes(r.status as DeliveryStatus));
      const t = now();
      for (const r of rows) {
        prepared(this.db, 'UPDATE deliveries SET status = ?, attempts = 0, last_error = NULL, updated_at = ?, claimed_until = NULL WHERE event_id = ? AND route_id = ?').run(
          'pending',
          t,
          r.event_id,
          r.route_id,
        );
      }
      if (rows[0]) this.refreshMessageStatus(messageId, rows[0].event_id as string);
      return rows.map((r) => ({ eventId: r.event_id as string, routeId: r.route_id as string }));
    });
  }

  async listDeliveries(messageId: string): Promise<DeliveryRow[]> {
    return this.deliveriesOfMessage(messageId);
  }

  private deliveriesOfMessage(messageId: string): DeliveryRow[] {
    return (prepared(this.db, 'SELECT * FROM deliveries WHERE message_id = ? ORDER BY route_id').all(messageId) as Row[]).map(toDelivery);
  }

  async messageTrail(messageId: string): Promise<MessageTrail> {
    return this.exclusive(() => ({
      history: mergeHistory(this.derivedHistory(messageId), this.storedHistory(messageId)),
      deliveries: this.deliveriesOfMessage(messageId),
      attempts: this.attemptsOfMessage(messageId),
    }));
  }

  async listAttempts(messageId: string): Promise<AttemptRow[]> {
    return this.attemptsOfMessage(messageId);
  }

  private attemptsOfMessage(messageId: string): AttemptRow[] {
    return (prepared(this.db, 'SELECT * FROM delivery_attempts WHERE message_id = ? ORDER BY rowid').all(messageId) as Row[]).map(toAttempt);
  }

  async countDeliveriesByStatus(): Promise<{ routeId: string; status: DeliveryStatus; count: number }[]> {
    return (prepared(this.db, 'SELECT route_id, status, COUNT(*) AS n FROM deliveries GROUP BY route_id, status').all() as Row[]).map((r) => ({
      routeId: r.route_id as string,
      status: r.status as DeliveryStatus,
      count: Number(r.n),
    }));
  }

  async createToken(t: { id: string; name: string; hash: string; scopes: string[] }): Promise<void> {
    prepared(this.db, 'INSERT INTO tokens (id, name, hash, scopes, created_at) VALUES (?, ?, ?, ?, ?)').run(t.id, t.name, t.hash, JSON.stringify(t.scopes), now());
  }

  async findToken(hash: string): Promise<TokenRow | undefined> {
    const r = prepared(this.db, 'SELECT * FROM tokens WHERE hash = ? AND revoked_at IS NULL').get(hash) as Row | undefined;
    return r ? toToken(r) : undefined;
  }

  async listTokens(): Promise<TokenRow[]> {
    return (prepared(this.db, 'SELECT * FROM tokens ORDER BY created_at').all() as Row[]).map(toToken);
  }

  async revokeToken(id: string): Promise<boolean> {
    return prepared(this.db, 'UPDATE tokens SET revoked_at = ? WHERE id = ? AND revoked_at IS NULL').run(now(), id).changes > 0;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = prepared(this.db, 'SELECT value FROM meta WHERE key = ?').get(key) as Row | undefined;
    return r ? (r.value as string) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    prepared(this.db, 'INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value').run(key, value);
  }
}
