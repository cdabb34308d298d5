import type pg from 'pg';
import { StoreError } from '../../core/errors.ts';
import { uuidv7 } from '../../core/ids.ts';
import type { CanonicalRecord, MessageStatus } from '../../core/types.ts';
import { naturalKey, nextVersion } from '../commit-rules.ts';
import type { CommitInput, CommitResult, IngestItem, IngestItemResult, StoredMessage } from '../types.ts';
import { toMessage, toRecord, type Row } from './rows.ts';

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

/** What the batch needs of the store: history rows, and numbering the changes at the end. */
export interface BatchHost {
  histories(c: Client, rows: HistoryRow[]): Promise<void>;
  numberWith(c: Client, steps: Unnumbered[]): Promise<CommitResult[]>;
}

const isUnfinished = (status: unknown) => status === 'received' || status === 'validated';

/**
 * PostgresStore.ingestBatch: one ingest call's records in one transaction, in a handful of
 * set-based statements plus one per committed record (its row written), instead of about ten round
 * trips a record. The result is what insertMessage, updateMessage and commit one record at a time
 * would leave (messages, their history in order, records, versions, outbox), with one difference:
 * an input repeated within one call is a duplicate of its first copy even when that was rejected.
 */
export async function ingestBatchWith(c: Client, host: BatchHost, items: IngestItem[], t: string): Promise<IngestItemResult[]> {
  const histories: HistoryRow[] = [];
  const ids = await storeMessages(c, items, t);
  const earlier = await earlierCopies(c, items, ids);
  /** Per item: the message id it ends up as, or undefined for a duplicate. */
  const owner: (string | undefined)[] = [];
  /** Per duplicate item: the id of the message it repeats (stored before, or earlier in this call). */
  const repeats = new Map<number, string>();
  for (const [i, item] of items.entries()) {
    const o = item.outcome;
    const status = o.kind === 'commit' ? 'validated' : 'rejected';
    const detail = o.kind === 'commit' ? 'mapped and validated' : o.errorDetail;
    if (ids[i]) {
      histories.push({ id: ids[i], status: 'received', detail: null }, { id: ids[i], status, detail });
      owner.push(ids[i]);
      continue;
    }
    const copy = earlier.get(item.message.idempotencyKey ?? '');
    if (!copy) throw new StoreError(`message ${item.message.id}: its idempotency key is taken, yet no message has it`);
    if (!isUnfinished(copy.status) || ids.includes(copy.id as string)) {
      repeats.set(i, copy.id as string);
      owner.push(undefined);
      continue;
    }
    // A first attempt that stopped before commit (store outage, crash) is finished now.
    await c.query('UPDATE messages SET status = $1, canonical = $2::jsonb, business_key = $3, errors = $4::jsonb, error_code = $5, error_detail = $6, updated_at = $7 WHERE id = $8', [
      status,
      JSON.stringify(o.canonical),
      o.businessKey,
      JSON.stringify(o.kind === 'reject' ? o.errors : []),
      o.kind === 'reject' ? o.errorCode : null,
      o.kind === 'reject' ? o.errorDetail : null,
      t,
      copy.id,
    ]);
    copy.status = status;
    histories.push({ id: copy.id as string, status, detail });
    owner.push(copy.id as string);
  }

  const commits = items.flatMap((item, i) => (item.outcome.kind === 'commit' && owner[i] ? [{ i, input: { ...item.outcome.commit, messageId: owner[i] } }] : []));
  const steps = await writeRecords(
    c,
    commits.map((x) => x.input),
    histories,
    t,
  );
  await host.histories(c, histories);
  const rejected = items.flatMap((item, i) => (item.outcome.kind === 'reject' && owner[i] ? [owner[i]] : []));
  // A rejected input sent again is processed again: its key is freed.
  if (rejected.length) await c.query('UPDATE messages SET idempotency_key = NULL WHERE id = ANY($1::text[])', [rejected]);
  const unnumbered = steps.filter((s): s is Unnumbered => !('outcome' in s));
  const numbered = await host.numberWith(c, unnumbered);
  const resultOf = new Map<Unnumbered | CommitResult, CommitResult>(unnumbered.map((s, k) => [s, numbered[k]!]));
  const commitOf = new Map(commits.map((x, k) => [x.i, resultOf.get(steps[k]!) ?? (steps[k] as CommitResult)]));

  const repeated = repeats.size
    ? new Map((await c.query<Row>('SELECT * FROM messages WHERE id = ANY($1::text[])', [[...new Set(repeats.values())]])).rows.map((r) => [r.id as string, toMessage(r)]))
    : new Map<string, StoredMessage>();
  return items.map((_, i): IngestItemResult => {
    const id = owner[i];
    if (!id) return { messageId: repeats.get(i)!, duplicate: true, existing: repeated.get(repeats.get(i)!)! };
    const commit = commitOf.get(i);
    return commit ? { messageId: id, duplicate: false, commit } : { messageId: id, duplicate: false };
  });
}

/** Inserts the messages in one statement; returns the id of each one inserted (undefined: its key was taken). */
async function storeMessages(c: Client, items: IngestItem[], t: string): Promise<(string | undefined)[]> {
  const col = <T>(f: (item: IngestItem) => T) => items.map(f);
  const rows = (
    await c.query<Row>(
      `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, canonical, business_key, errors, error_code, error_detail, created_at, updated_at)
       SELECT u.*, $15::timestamptz, $15::timestamptz
       FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::text[], $8::text[], $9::int[], $10::jsonb[], $11::text[], $12::jsonb[], $13::text[], $14::text[]) AS u
       ON CONFLICT (idempotency_key) DO NOTHING
       RETURNING id`,
      [
        col((x) => x.message.id),
        col((x) => x.message.idempotencyKey),
        col((x) => x.message.sourceId),
        col((x) => x.message.entity),
        col((x) => x.message.institution),
        col((x) => (x.outcome.kind === 'commit' ? 'validated' : 'rejected')),
        col((x) => x.message.contentType),
        col((x) => x.message.raw),
        col((x) => x.message.rawSize),
        col((x) => (x.outcome.canonical === null ? null : JSON.stringify(x.outcome.canonical))),
        col((x) => x.outcome.businessKey),
        col((x) => JSON.stringify(x.outcome.kind === 'reject' ? x.outcome.errors : [])),
        col((x) => (x.outcome.kind === 'reject' ? x.outcome.errorCode : null)),
        col((x) => (x.outcome.kind === 'reject' ? x.outcome.errorDetail : null)),
        t,
      ],
    )
  ).rows;
  const inserted = new Set(rows.map((r) => r.id as string));
  return items.map((x) => (inserted.has(x.message.id) ? x.message.id : undefined));
}

/** Messages stored before under the keys of the items not inserted, locked (an unfinished one is finished by this batch). */
async function earlierCopies(c: Client, items: IngestItem[], ids: (string | undefined)[]): Promise<Map<string, Row>> {
  const keys = items.flatMap((x, i) => (!ids[i] && x.message.idempotencyKey ? [x.message.idempotencyKey] : []));
  if (keys.length === 0) return new Map();
  const rows = (await c.query<Row>('SELECT id, status, idempotency_key FROM messages WHERE idempotency_key = ANY($1::text[]) ORDER BY id FOR UPDATE', [keys])).rows;
  return new Map(rows.map((r) => [r.idempotency_key as string, r]));
}

/**
 * The first half of commits, in order (a record changed twice in one call gets two versions): the
 * stored records locked up front in key order, each new version written (or stale / unchanged: then
 * that is the result, and its history row is added to `histories`), the messages pointed at them.
 * Lock order, to stay free of deadlocks: first the records (FOR UPDATE, or the unique key of a new
 * one) and the message rows, then (PostgresStore.numberWith) the change-sequence lock, held until COMMIT.
 */
export async function writeRecords(c: Client, inputs: CommitInput[], histories: HistoryRow[], t: string): Promise<(Unnumbered | CommitResult)[]> {
  if (inputs.length === 0) return [];
  const keys = [...new Set(inputs.map(naturalKey))].sort();
  const parts = keys.map((k) => JSON.parse(k) as string[]);
  const current = new Map<string, CanonicalRecord>();
  const lock = async (ks: string[][]) => {
    const rows = await c.query<Row>(
      `SELECT r.* FROM records r JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(e, i, s, l)
       ON r.entity = u.e AND r.institution = u.i AND r.source_system = u.s AND r.source_id = u.l ORDER BY r.id FOR UPDATE OF r`,
      [ks.map((p) => p[0]), ks.map((p) => p[1]), ks.map((p) => p[2]), ks.map((p) => p[3])],
    );
    for (const r of rows.rows) {
      const rec = toRecord(r);
      current.set(naturalKey(rec), rec);
    }
  };
  await lock(parts);
  const steps: (Unnumbered | CommitResult)[] = [];
  const versions: { id: string; version: number; data: string; messageId: string }[] = [];
  const pointers: { messageId: string; status: MessageStatus; recordId: string; version: number; eventId: string | null }[] = [];
  for (const input of inputs) {
    const key = naturalKey(input);
    for (let round = 0; ; round++) {
      const prev = current.get(key);
      const next = nextVersion(prev, input);
      if (next.kind !== 'write') {
        pointers.push({ messageId: input.messageId, status: next.kind, recordId: prev!.id, version: prev!.version, eventId: null });
        histories.push({ id: input.messageId, status: next.kind, detail: next.detail });
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
      versions.push({ id: next.id, version: next.version, data: dataText, messageId: input.messageId });
      pointers.push({ messageId: input.messageId, status: 'committed', recordId: next.id, version: next.version, eventId });
      steps.push({ input, eventId, record, created: !prev, t });
      break;
    }
  }
  if (versions.length) {
    await c.query('INSERT INTO record_versions (record_id, version, data, message_id, at) SELECT u.*, $5 FROM unnest($1::text[], $2::int[], $3::jsonb[], $4::text[]) AS u', [
      versions.map((v) => v.id),
      versions.map((v) => v.version),
      versions.map((v) => v.data),
      versions.map((v) => v.messageId),
      t,
    ]);
  }
  await c.query(
    `UPDATE messages SET status = u.s, record_id = u.r, record_version = u.v, event_id = COALESCE(u.e, messages.event_id), updated_at = $6
     FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[]) AS u(id, s, r, v, e) WHERE messages.id = u.id`,
    [pointers.map((p) => p.messageId), pointers.map((p) => p.status), pointers.map((p) => p.recordId), pointers.map((p) => p.version), pointers.map((p) => p.eventId), t],
  );
  return steps;
}
