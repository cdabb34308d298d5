import type pg from 'pg';
import { StoreError } from '../../core/errors.ts';
import { uuidv7 } from '../../core/ids.ts';
import type { CanonicalRecord, JsonObject } from '../../core/types.ts';
import { naturalKey, nextVersion } from '../commit-rules.ts';
import type { CommitInput, CommitResult, IngestItem, IngestItemResult, StoredMessage } from '../types.ts';
import { canonicalHeldByVersion, trailOf, type IngestEnd } from '../trail.ts';
import { MESSAGE_ROW, toMessage, toRecord, type Row } from './rows.ts';

type Client = pg.PoolClient;

/** A commit whose record is written but whose change is not numbered yet (PostgresStore.numberWith). */
export interface Unnumbered {
  input: CommitInput;
  eventId: string;
  record: CanonicalRecord;
  created: boolean;
  t: string;
}

/** A message_history row to write. */
export interface HistoryRow {
  id: string;
  status: string;
  detail: string | null;
}

/** What the batch needs of the store: history rows, and numbering the changes at the end (with their history rows, or not). */
export interface BatchHost {
  histories(c: Client, rows: HistoryRow[]): Promise<void>;
  numberWith(c: Client, steps: Unnumbered[], history: boolean): Promise<CommitResult[]>;
}

/** ingestBatchWith's answer when an idempotency key was taken by another transaction meanwhile: the whole batch is to run again. */
export const KEY_TAKEN = Symbol('an idempotency key was taken meanwhile');

const isUnfinished = (status: unknown) => status === 'received' || status === 'validated';

/**
 * PostgresStore.ingestBatch: one ingest call's records in one transaction, in a handful of
 * set-based statements plus one per committed record (its row written), instead of about ten round
 * trips a record. The trail is written once (src/store/trail.ts): the earlier copies are looked up
 * first, the records written, and then each new message inserted once with its final status, its
 * history derived from the row and its canonical copy left to the record version that holds it. The
 * result is what insertMessage, updateMessage and commit one record at a time would leave, read
 * through the store, with one difference: an input repeated within one call is a duplicate of its
 * first copy even when that was rejected. A key another transaction inserted after the lookup makes
 * the batch answer KEY_TAKEN (the caller rolls back and runs it again, then finding that copy).
 */
export async function ingestBatchWith(c: Client, host: BatchHost, items: IngestItem[], t: string): Promise<IngestItemResult[] | typeof KEY_TAKEN> {
  const earlier = await earlierCopies(c, items);
  /** Per item: the message id it ends up as, or undefined for a duplicate. */
  const owner: (string | undefined)[] = [];
  /** Per duplicate item: the id of the message it repeats (stored before, or earlier in this call). */
  const repeats = new Map<number, string>();
  /** Items that finish an earlier copy left unfinished by the one-record path (that path's history rows are written). */
  const finishing = new Set<number>();
  const firstOfKey = new Map<string, string>();
  for (const [i, item] of items.entries()) {
    const key = item.message.idempotencyKey;
    const copy = key ? earlier.get(key) : undefined;
    const first = key ? firstOfKey.get(key) : undefined;
    if (first !== undefined || (copy && !isUnfinished(copy.status))) {
      repeats.set(i, first ?? (copy!.id as string));
      owner.push(undefined);
      continue;
    }
    const id = copy ? (copy.id as string) : item.message.id;
    if (copy) finishing.add(i);
    if (key) firstOfKey.set(key, id);
    owner.push(id);
  }

  const commits = items.flatMap((item, i) => (item.outcome.kind === 'commit' && owner[i] ? [{ i, input: { ...item.outcome.commit, messageId: owner[i] } }] : []));
  const { steps, pointers } = await writeRecords(
    c,
    commits.map((x) => x.input),
    t,
  );
  const pointerOf = new Map(commits.map((x, k) => [x.i, pointers[k]!]));
  if (!(await insertMessages(c, items, owner, finishing, pointerOf, t))) return KEY_TAKEN;

  const unnumbered = steps.filter((s): s is Unnumbered => !('outcome' in s));
  const numbered = await host.numberWith(c, unnumbered, false);
  const resultOf = new Map<Unnumbered | CommitResult, CommitResult>(unnumbered.map((s, k) => [s, numbered[k]!]));
  const commitOf = new Map(commits.map((x, k) => [x.i, resultOf.get(steps[k]!) ?? (steps[k] as CommitResult)]));
  if (finishing.size) await finish(c, host, items, owner, finishing, pointerOf, commitOf, t);

  const repeated = repeats.size
    ? new Map((await c.query<Row>(`${MESSAGE_ROW} WHERE m.id = ANY($1::text[])`, [[...new Set(repeats.values())]])).rows.map((r) => [r.id as string, toMessage(r)]))
    : new Map<string, StoredMessage>();
  return items.map((_, i): IngestItemResult => {
    const id = owner[i];
    if (!id) return { messageId: repeats.get(i)!, duplicate: true, existing: repeated.get(repeats.get(i)!)! };
    const commit = commitOf.get(i);
    return commit ? { messageId: id, duplicate: false, commit } : { messageId: id, duplicate: false };
  });
}

/**
 * Inserts the new messages in one statement, each with its final status, record pointers and trail;
 * false when a key was taken meanwhile. Rows go in key order, so that two batches cannot deadlock on keys.
 */
async function insertMessages(c: Client, items: IngestItem[], owner: (string | undefined)[], finishing: Set<number>, pointerOf: Map<number, Pointer>, t: string): Promise<boolean> {
  const rows = items
    .flatMap((item, i) => {
      if (owner[i] !== item.message.id || finishing.has(i)) return [];
      const o = item.outcome;
      const p = pointerOf.get(i);
      const status = o.kind === 'reject' ? 'rejected' : p!.status;
      const held = o.kind === 'commit' && status !== 'stale' && canonicalHeldByVersion(o.canonical, p!.earlier ?? o.commit.data);
      // A rejected input sent again is processed again: it keeps no key.
      const key = status === 'rejected' ? null : item.message.idempotencyKey;
      return [{ m: item.message, o, p, status, held, key }];
    })
    .sort((a, b) => ((a.key ?? '') < (b.key ?? '') ? -1 : (a.key ?? '') > (b.key ?? '') ? 1 : 0));
  if (rows.length === 0) return true;
  const col = <T>(f: (r: (typeof rows)[number]) => T) => rows.map(f);
  const inserted = await c.query(
    `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, canonical, canonical_in_version, business_key, errors, error_code, error_detail,
       record_id, record_version, event_id, trail, created_at, updated_at)
     SELECT u.*, $20::timestamptz, $20::timestamptz
     FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::jsonb[], $11::boolean[], $12::text[], $13::jsonb[], $14::text[], $15::text[],
       $16::text[], $17::int[], $18::text[], $19::text[]) AS u
     ON CONFLICT (idempotency_key) DO NOTHING`,
    [
      col((r) => r.m.id),
      col((r) => r.key),
      col((r) => r.m.sourceId),
      col((r) => r.m.entity),
      col((r) => r.m.institution),
      col((r) => r.status),
      col((r) => r.m.contentType),
      col((r) => r.m.raw),
      col((r) => r.m.rawSize),
      col((r) => (r.held || r.o.canonical === null ? null : JSON.stringify(r.o.canonical))),
      col((r) => r.held),
      col((r) => r.o.businessKey),
      col((r) => JSON.stringify(r.o.kind === 'reject' ? r.o.errors : [])),
      col((r) => (r.o.kind === 'reject' ? r.o.errorCode : null)),
      col((r) => (r.o.kind === 'reject' ? r.o.errorDetail : null)),
      col((r) => r.p?.recordId ?? null),
      col((r) => r.p?.version ?? null),
      col((r) => r.p?.eventId ?? null),
      col((r) => trailOf(r.status as IngestEnd, r.p?.detail ?? null)),
      t,
    ],
  );
  return inserted.rowCount === rows.length;
}

/** Earlier copies left unfinished by the one-record path, finished as it would: the row updated, its history rows written. */
async function finish(
  c: Client,
  host: BatchHost,
  items: IngestItem[],
  owner: (string | undefined)[],
  finishing: Set<number>,
  pointerOf: Map<number, Pointer>,
  commitOf: Map<number, CommitResult>,
  t: string,
): Promise<void> {
  const histories: HistoryRow[] = [];
  for (const i of finishing) {
    const id = owner[i]!;
    const o = items[i]!.outcome;
    const p = pointerOf.get(i);
    await c.query(
      `UPDATE messages SET status = $1, canonical = $2::jsonb, business_key = $3, errors = $4::jsonb, error_code = $5, error_detail = $6, record_id = $7, record_version = $8,
         event_id = COALESCE($9, event_id), idempotency_key = CASE WHEN $1 = 'rejected' THEN NULL ELSE idempotency_key END, updated_at = $10 WHERE id = $11`,
      [
        o.kind === 'reject' ? 'rejected' : p!.status,
        JSON.stringify(o.canonical),
        o.businessKey,
        JSON.stringify(o.kind === 'reject' ? o.errors : []),
        o.kind === 'reject' ? o.errorCode : null,
        o.kind === 'reject' ? o.errorDetail : null,
        p?.recordId ?? null,
        p?.version ?? null,
        p?.eventId ?? null,
        t,
        id,
      ],
    );
    if (o.kind === 'reject') {
      histories.push({ id, status: 'rejected', detail: o.errorDetail });
      continue;
    }
    const done = commitOf.get(i)!;
    histories.push(
      { id, status: 'validated', detail: 'mapped and validated' },
      { id, status: p!.status, detail: done.event ? `record ${done.record.id} version ${done.record.version}, change ${done.event.seq}` : p!.detail },
    );
  }
  await host.histories(c, histories);
}

/** Messages stored before under the keys of the items, locked (an unfinished one is finished by this batch). */
async function earlierCopies(c: Client, items: IngestItem[]): Promise<Map<string, Row>> {
  const keys = [...new Set(items.flatMap((x) => (x.message.idempotencyKey ? [x.message.idempotencyKey] : [])))];
  if (keys.length === 0) return new Map();
  const rows = (await c.query<Row>('SELECT id, status, idempotency_key FROM messages WHERE idempotency_key = ANY($1::text[]) ORDER BY id FOR UPDATE', [keys])).rows;
  return new Map(rows.map((r) => [r.idempotency_key as string, r]));
}

/** Where a commit left its message: the status, the record version, the event, the history detail of a stale or unchanged one. */
export interface Pointer {
  messageId: string;
  status: 'committed' | 'unchanged' | 'stale';
  recordId: string;
  version: number;
  eventId: string | null;
  detail: string | null;
  /** An unchanged commit: the data of the version it found. */
  earlier?: JsonObject;
}

/** The one-record path (PostgresStore.commit): the message pointed at its record version. */
export async function pointMessages(c: Client, pointers: Pointer[], t: string): Promise<void> {
  await c.query(
    `UPDATE messages SET status = u.s, record_id = u.r, record_version = u.v, event_id = COALESCE(u.e, messages.event_id), updated_at = $6
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) AS u(id, s, r, v, e) WHERE messages.id = u.id`,
    [pointers.map((p) => p.messageId), pointers.map((p) => p.status), pointers.map((p) => p.recordId), pointers.map((p) => p.version), pointers.map((p) => p.eventId), t],
  );
}

/**
 * The first half of commits, in order (a record changed twice in one call gets two versions): the
 * stored records locked up front in key order, each new version written (or stale / unchanged: then
 * that is the result), and where each message is to point (`pointers`, one per input; the caller writes them).
 * Lock order, to stay free of deadlocks: first the records (FOR UPDATE, or the unique key of a new
 * one) and the message rows, then (PostgresStore.numberWith) the change-sequence lock, held until COMMIT.
 */
/** The current records of natural keys (entity, institution, source system, source id: four arrays), locked; by the unique key's index. */
export const RECORDS_BY_KEY = `SELECT r.* FROM records r JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(e, i, s, l)
  ON r.entity = u.e AND r.institution = u.i AND r.source_system = u.s AND r.source_id = u.l ORDER BY r.id FOR UPDATE OF r`;

export async function writeRecords(c: Client, inputs: CommitInput[], t: string): Promise<{ steps: (Unnumbered | CommitResult)[]; pointers: Pointer[] }> {
  if (inputs.length === 0) return { steps: [], pointers: [] };
  const keys = [...new Set(inputs.map(naturalKey))].sort();
  const parts = keys.map((k) => JSON.parse(k) as string[]);
  const current = new Map<string, CanonicalRecord>();
  const lock = async (ks: string[][]) => {
    const rows = await c.query<Row>(RECORDS_BY_KEY, [ks.map((p) => p[0]), ks.map((p) => p[1]), ks.map((p) => p[2]), ks.map((p) => p[3])]);
    for (const r of rows.rows) {
      const rec = toRecord(r);
      current.set(naturalKey(rec), rec);
    }
  };
  await lock(parts);
  const steps: (Unnumbered | CommitResult)[] = [];
  const pointers: Pointer[] = [];
  for (const input of inputs) {
    const key = naturalKey(input);
    for (let round = 0; ; round++) {
      const prev = current.get(key);
      const next = nextVersion(prev, input);
      if (next.kind !== 'write') {
        pointers.push({ messageId: input.messageId, status: next.kind, recordId: prev!.id, version: prev!.version, eventId: null, detail: next.detail, earlier: prev!.data });
        steps.push({ outcome: next.kind, record: prev! });
        break;
      }
      const dataText = JSON.stringify(next.data);
      if (prev) {
        await c.query('UPDATE records SET version = $1, deleted = $2, data = $3::jsonb, source_updated_at = COALESCE($4, source_updated_at), updated_at = $5 WHERE id = $6', [
          next.version,
          next.deleted,
          dataText,
          input.sourceUpdatedAt,
          t,
          next.id,
        ]);
      } else {
        const ins = await c.query(
          `INSERT INTO records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at, updated_at)
           VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8::jsonb, $9, $10) ON CONFLICT (entity, institution, source_system, source_id) DO NOTHING`,
          [next.id, input.entity, input.institution, input.sourceSystem, input.sourceId, next.version, next.deleted, dataText, input.sourceUpdatedAt, t],
        );
        if (ins.rowCount !== 1) {
          // A concurrent transaction created the record first (we waited for it): lock it and go again.
          if (round >= 3) throw new StoreError(`record ${key} keeps changing under commit`);
          await lock([JSON.parse(key) as string[]]);
          continue;
        }
      }
      const record: CanonicalRecord = {
        id: next.id,
        entity: input.entity,
        institution: input.institution,
        sourceSystem: input.sourceSystem,
        sourceId: input.sourceId,
        version: next.version,
        seq: 0,
        deleted: next.deleted,
        sourceUpdatedAt: input.sourceUpdatedAt ?? prev?.sourceUpdatedAt ?? null,
        updatedAt: t,
        data: next.data,
      };
      current.set(key, record);
      const eventId = uuidv7();
      pointers.push({ messageId: input.messageId, status: 'committed', recordId: next.id, version: next.version, eventId, detail: null });
      steps.push({ input, eventId, record, created: !prev, t });
      break;
    }
  }
  return { steps, pointers };
}
