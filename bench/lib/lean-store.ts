import Database from 'better-sqlite3';
import type { CanonicalRecord, JsonObject } from '../../src/core/types.ts';
import { nextVersion } from '../../src/store/commit-rules.ts';
import type { CommitInput } from '../../src/store/types.ts';

/**
 * A prototype of the lean trail (issue 17, direction 2), for the `trail` benchmark only: per record
 * on the happy path one message row (raw text once, a small status code, the record and version it
 * gave), one records row (the current JSON) and one changes row (the JSON of the version: the
 * record_versions copy and the event at once). Routes keep a cursor over the changes (lean-delivery.ts);
 * only exceptions get rows of their own. Tables are prefixed `lean_`: this is not the hub's store.
 *
 * The message browser's history is derived, not written: received and committed are the message row
 * (one transaction: its `at`, its status, the change whose (record_id, version) it names); delivered on
 * a route is "the change's seq is at or below the route's cursor and has no exception row", with the
 * time from the route's batch log (one row per delivered batch: first_seq..last_seq, at).
 */

export const STATUS = { received: 0, committed: 1, unchanged: 2, stale: 3, rejected: 4 } as const;

const SCHEMA = `
  CREATE TABLE lean_messages (
    seq INTEGER PRIMARY KEY,
    idem BLOB,
    source TEXT NOT NULL,
    entity TEXT NOT NULL,
    status INTEGER NOT NULL,
    record_id TEXT,
    version INTEGER,
    at TEXT NOT NULL,
    raw TEXT,
    error TEXT
  );
  CREATE UNIQUE INDEX lean_messages_idem ON lean_messages(idem) WHERE idem IS NOT NULL;
  CREATE INDEX lean_messages_source ON lean_messages(source, entity, seq);

  CREATE TABLE lean_records (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    institution TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    source_updated_at TEXT,
    UNIQUE (entity, institution, source_system, source_id)
  );
  CREATE INDEX lean_records_study_right ON lean_records(entity, institution, json_extract(data, '$.studyRight.sourceId'));

  CREATE TABLE lean_changes (
    seq INTEGER PRIMARY KEY,
    entity TEXT NOT NULL,
    institution TEXT NOT NULL,
    source TEXT NOT NULL,
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    op INTEGER NOT NULL,
    message_seq INTEGER,
    at TEXT NOT NULL,
    data TEXT
  );
  CREATE UNIQUE INDEX lean_changes_version ON lean_changes(record_id, version);
  CREATE INDEX lean_changes_entity ON lean_changes(entity, seq);

  CREATE TABLE lean_route_cursors (route TEXT PRIMARY KEY, seq INTEGER NOT NULL, at TEXT NOT NULL);
  CREATE TABLE lean_route_batches (route TEXT NOT NULL, first_seq INTEGER NOT NULL, last_seq INTEGER NOT NULL, records INTEGER NOT NULL, at TEXT NOT NULL, PRIMARY KEY (route, last_seq)) WITHOUT ROWID;
  -- Only what is not on the happy path: retrying, dead, withheld (a cursor passes them; they are retried from here).
  CREATE TABLE lean_route_exceptions (route TEXT NOT NULL, seq INTEGER NOT NULL, status TEXT NOT NULL, attempts INTEGER NOT NULL, next_at INTEGER, error TEXT, at TEXT NOT NULL, PRIMARY KEY (route, seq)) WITHOUT ROWID;

  -- The disclosure log as src/privacy/migrations.ts has it, without the (event, route) unique index: the
  -- cursor moves in the same transaction as the entries, so a batch cannot be logged twice.
  CREATE TABLE lean_disclosure_log (
    seq INTEGER PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT,
    recipient TEXT,
    route_id TEXT,
    entity TEXT,
    record_id TEXT,
    record_version INTEGER,
    legal_basis TEXT,
    purpose TEXT,
    fields TEXT,
    event_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX lean_disclosure_log_person ON lean_disclosure_log(person, seq);
  CREATE TABLE lean_log_head (id INTEGER PRIMARY KEY, seq INTEGER NOT NULL, hash TEXT NOT NULL);
  CREATE TABLE lean_erased_records (record_id TEXT PRIMARY KEY, at TEXT NOT NULL);
`;

/** What the pipeline made of one record before it is stored (as the hub's IngestItem, without the message object). */
export interface LeanItem {
  source: string;
  entity: string;
  raw: string | null;
  /** sha256 of source, entity and the stable JSON of the input (32 bytes), as the hub's idempotency key. */
  idem: Buffer | null;
  outcome: { kind: 'commit'; commit: Omit<CommitInput, 'messageId'> } | { kind: 'reject'; error: string };
}

export interface LeanResult {
  messageSeq: number;
  status: keyof typeof STATUS | 'duplicate';
  changeSeq?: number;
}

const OP: Record<string, number> = { upsert: 0, delete: 1, keyChange: 2 };

/** The prototype store on one SQLite file, with the hub's pragmas (src/store/sqlite/store.ts). */
export class LeanStore {
  readonly db: Database.Database;
  private readonly st;

  constructor(file: string) {
    this.db = new Database(file);
    this.db.pragma('journal_mode = WAL');
    this.db.pragma('synchronous = NORMAL');
    this.db.pragma('busy_timeout = 5000');
    this.db.pragma('cache_size = -32768');
    this.db.exec(SCHEMA);
    const db = this.db;
    this.st = {
      dup: db.prepare('SELECT seq, status FROM lean_messages WHERE idem = ?'),
      message: db.prepare('INSERT INTO lean_messages (idem, source, entity, status, record_id, version, at, raw, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      record: db.prepare('SELECT id, version, seq, deleted, data, source_updated_at FROM lean_records WHERE entity = ? AND institution = ? AND source_system = ? AND source_id = ?'),
      change: db.prepare('INSERT INTO lean_changes (entity, institution, source, record_id, version, op, message_seq, at, data) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      insertRecord: db.prepare('INSERT INTO lean_records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)'),
      updateRecord: db.prepare('UPDATE lean_records SET version = ?, seq = ?, deleted = ?, data = ?, source_updated_at = COALESCE(?, source_updated_at) WHERE id = ?'),
    };
  }

  /** One chunk in one transaction, as Store.ingestBatch: each record's message, and for a new version its change and record. */
  ingestChunk(items: readonly LeanItem[]): LeanResult[] {
    return this.db.transaction(() => {
      const at = new Date().toISOString();
      return items.map((item) => this.one(item, at));
    })();
  }

  private one(item: LeanItem, at: string): LeanResult {
    const st = this.st;
    if (item.idem) {
      const existing = st.dup.get(item.idem) as { seq: number; status: number } | undefined;
      if (existing && existing.status !== STATUS.received) return { messageSeq: existing.seq, status: 'duplicate' };
    }
    const o = item.outcome;
    if (o.kind === 'reject') {
      const r = st.message.run(null, item.source, item.entity, STATUS.rejected, null, null, at, item.raw, o.error);
      return { messageSeq: Number(r.lastInsertRowid), status: 'rejected' };
    }
    const c = o.commit;
    const row = st.record.get(c.entity, c.institution, c.sourceSystem, c.sourceId) as
      { id: string; version: number; seq: number; deleted: number; data: string; source_updated_at: string | null } | undefined;
    const prev: CanonicalRecord | undefined = row && {
      id: row.id,
      entity: c.entity,
      institution: c.institution,
      sourceSystem: c.sourceSystem,
      sourceId: c.sourceId,
      version: row.version,
      seq: row.seq,
      deleted: row.deleted === 1,
      data: JSON.parse(row.data) as JsonObject,
      sourceUpdatedAt: row.source_updated_at,
      updatedAt: at,
    };
    const next = nextVersion(prev, { ...c, messageId: '' });
    if (next.kind !== 'write') {
      const r = st.message.run(item.idem, item.source, item.entity, STATUS[next.kind], prev!.id, prev!.version, at, item.raw, null);
      return { messageSeq: Number(r.lastInsertRowid), status: next.kind };
    }
    const messageSeq = Number(st.message.run(item.idem, item.source, item.entity, STATUS.committed, next.id, next.version, at, item.raw, null).lastInsertRowid);
    // The record's JSON, once as text: the version (change log, = record_versions + event) and the current record.
    const text = JSON.stringify(next.data);
    const changeSeq = Number(st.change.run(c.entity, c.institution, c.source, next.id, next.version, OP[c.op] ?? 0, messageSeq, at, next.deleted ? null : text).lastInsertRowid);
    if (prev) st.updateRecord.run(next.version, changeSeq, next.deleted ? 1 : 0, text, c.sourceUpdatedAt, next.id);
    else st.insertRecord.run(next.id, c.entity, c.institution, c.sourceSystem, c.sourceId, next.version, changeSeq, next.deleted ? 1 : 0, text, c.sourceUpdatedAt);
    return { messageSeq, status: 'committed', changeSeq };
  }

  lastChangeSeq(): number {
    return (this.db.prepare('SELECT COALESCE(MAX(seq), 0) AS n FROM lean_changes').get() as { n: number }).n;
  }

  close(): void {
    if (this.db.open) this.db.close();
  }
}
