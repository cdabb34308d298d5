import type { ChangeEvent, JsonObject } from '../core/types.ts';
import { jsonParam, marks, parseJson } from './json-sql.ts';
import type { SqlDb } from './sql.ts';
import { newChangeLogGeneration } from './changes.ts';

/**
 * Rewriting what the core tables hold about a person (erasure, src/privacy/erasure.ts) and reducing old
 * payloads (retention, src/privacy/retention.ts): the SQL is here, with the store; what to write is the
 * caller's (a function of the old value). Each runs in the caller's transaction (`tx`). Every function
 * returns the rows it changed.
 */

const CHUNK = 500;

function chunks<T>(list: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < list.length; i += CHUNK) out.push(list.slice(i, i + CHUNK));
  return out;
}

/** A record's new data, source id and deleted flag. */
export interface RecordRewrite {
  id: string;
  data: JsonObject;
  sourceId: string;
  deleted: boolean;
}

export async function rewriteRecord(tx: SqlDb, r: RecordRewrite): Promise<number> {
  return (await tx.run('UPDATE records SET data = ?, source_id = ?, deleted = ? WHERE id = ?', [jsonParam(r.data), r.sourceId, r.deleted, r.id])).changes;
}

/**
 * Every change of these records, which is also each of their versions (src/store/json-sql.ts, versionData):
 * its event rewritten by `event`, and the version data it holds itself (a deletion's) by `data`.
 */
export async function rewriteChanges(
  tx: SqlDb,
  recordIds: readonly string[],
  next: { event: (e: ChangeEvent) => ChangeEvent; data: (recordId: string, data: JsonObject) => JsonObject },
): Promise<number> {
  let n = 0;
  for (const ids of chunks(recordIds)) {
    for (const c of await tx.query(`SELECT seq, record_id, event, data FROM changes WHERE record_id IN (${marks(ids.length)})`, ids)) {
      const data = c.data == null ? null : jsonParam(next.data(String(c.record_id), parseJson<JsonObject>(c.data)));
      n += (await tx.run('UPDATE changes SET event = ?, data = ? WHERE seq = ?', [jsonParam(next.event(parseJson<ChangeEvent>(c.event))), data, c.seq])).changes;
    }
  }
  // Copies of the events read before (feed pages) are stale from now on.
  if (n > 0) await newChangeLogGeneration(tx);
  return n;
}

/** What erasure reads of a message. */
export interface MessageTexts {
  id: string;
  entity: string;
  institution: string;
  businessKey: string | null;
  errorDetail: string | null;
  errors: unknown;
}

/** Messages of these records, person messages by (institution, business key), and messages whose raw payload contains a term. */
export async function messagesNaming(
  tx: SqlDb,
  q: { recordIds: readonly string[]; personKeys: readonly { institution: string; sourceId: string }[]; rawContains: readonly string[] },
): Promise<MessageTexts[]> {
  const found = new Map<string, Record<string, unknown>>();
  const cols = 'id, entity, institution, business_key, error_detail, errors';
  for (const ids of chunks(q.recordIds)) {
    for (const m of await tx.query(`SELECT ${cols} FROM messages WHERE record_id IN (${marks(ids.length)})`, ids)) found.set(String(m.id), m);
  }
  for (const p of q.personKeys) {
    for (const m of await tx.query(`SELECT ${cols} FROM messages WHERE entity = 'person' AND institution = ? AND business_key = ?`, [p.institution, p.sourceId])) found.set(String(m.id), m);
  }
  const contains = tx.dialect === 'postgres' ? 'strpos(raw, ?) > 0' : 'instr(raw, ?) > 0';
  for (const term of q.rawContains) {
    for (const m of await tx.query(`SELECT ${cols} FROM messages WHERE raw IS NOT NULL AND ${contains}`, [term])) found.set(String(m.id), m);
  }
  return [...found.values()].map((m) => ({
    id: String(m.id),
    entity: String(m.entity),
    institution: String(m.institution),
    businessKey: (m.business_key as string | null) ?? null,
    errorDetail: m.error_detail == null ? null : String(m.error_detail),
    errors: parseJson<unknown>(m.errors ?? '[]'),
  }));
}

/**
 * Drops a message's payloads (its canonical copy, or its reading of the record version's data: src/store/trail.ts)
 * and idempotency key and sets its (scrubbed) key and error texts. A history derived from the row takes the
 * scrubbed error text.
 */
export async function scrubMessage(tx: SqlDb, id: string, m: { businessKey: string | null; errorDetail: string | null; errors: unknown }): Promise<number> {
  return (
    await tx.run('UPDATE messages SET raw = NULL, canonical = NULL, canonical_in_version = FALSE, idempotency_key = NULL, business_key = ?, error_detail = ?, errors = ? WHERE id = ?', [
      m.businessKey,
      m.errorDetail,
      jsonParam(m.errors),
      id,
    ])
  ).changes;
}

/** The texts kept per message (history details written as rows, delivery errors, attempt errors and receipts). */
export const MESSAGE_TEXTS = [
  ['message_history', 'detail'],
  ['deliveries', 'last_error'],
  ['delivery_attempts', 'error'],
  ['delivery_attempts', 'detail'],
] as const;

/** Rewrites the texts of these messages by `next`; returns the rows changed per table. */
export async function rewriteMessageTexts(tx: SqlDb, messageIds: readonly string[], next: (text: string) => string): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  for (const ids of chunks(messageIds)) {
    for (const [table, column] of MESSAGE_TEXTS) {
      const rows = await tx.query(`SELECT DISTINCT ${column} AS v FROM ${table} WHERE message_id IN (${marks(ids.length)}) AND ${column} IS NOT NULL`, ids);
      for (const r of rows) {
        const old = String(r.v);
        const text = next(old);
        if (text === old) continue;
        counts[table] = (counts[table] ?? 0) + (await tx.run(`UPDATE ${table} SET ${column} = ? WHERE message_id IN (${marks(ids.length)}) AND ${column} = ?`, [text, ...ids, old])).changes;
      }
    }
  }
  return counts;
}

/**
 * Where a page of an entity's messages that starts after `after` (by id, '' from the first) ends: the id of
 * its `size`-th message, or undefined when fewer are left (the last page has no end). Only the index is
 * read, so that retention looks at a bounded number of rows at a time (`reducePayloads`' `upTo`).
 */
export async function messagePageEnd(sql: SqlDb, entity: string, after: string, size: number): Promise<string | undefined> {
  const [r] = await sql.query('SELECT id FROM messages WHERE entity = ? AND id > ? ORDER BY id LIMIT 1 OFFSET ?', [entity, after, size - 1]);
  return r ? String(r.id) : undefined;
}

/**
 * Retention: the messages of an entity with ids after `after` and up to `upTo` (a page of
 * `messagePageEnd`; none: to the last) created before `cutoff`, not in flight, lose their raw payload and
 * canonical copy (their own, or their reading of the record version's data); each gets a history line
 * `detail`, after its derived ones (src/store/trail.ts). Returns how many were reduced. Without the page
 * bounds the search walked every message of the entity whenever none was due: 0.9–1.4 s for 1.4 million,
 * holding the event loop on SQLite.
 */
export async function reducePayloads(
  tx: SqlDb,
  q: { entity: string; cutoff: string; inFlight: readonly string[]; after: string; upTo: string | undefined; at: string; detail: string },
): Promise<number> {
  const upper = q.upTo === undefined ? '' : ' AND id <= ?';
  const ids = (
    await tx.query(
      `SELECT id FROM messages WHERE entity = ? AND id > ?${upper} AND created_at < ? AND (raw IS NOT NULL OR canonical IS NOT NULL OR canonical_in_version) AND status NOT IN (${marks(q.inFlight.length)})`,
      [q.entity, q.after, ...(q.upTo === undefined ? [] : [q.upTo]), q.cutoff, ...q.inFlight],
    )
  ).map((r) => String(r.id));
  if (!ids.length) return 0;
  const list = marks(ids.length);
  const time = tx.dialect === 'postgres' ? '?::timestamptz' : '?';
  await tx.run(`INSERT INTO message_history (message_id, at, status, detail) SELECT id, ${time}, status, ? FROM messages WHERE id IN (${list})`, [q.at, q.detail, ...ids]);
  return (await tx.run(`UPDATE messages SET raw = NULL, canonical = NULL, canonical_in_version = FALSE, updated_at = ? WHERE id IN (${list})`, [q.at, ...ids])).changes;
}
