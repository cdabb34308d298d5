import type { MessageStatus } from '../core/types.ts';
import type { SqlDb } from './sql.ts';
import { versionData } from './json-sql.ts';

/**
 * The admin console's reads of the core tables (message search, dead letters, activity counts), written once for SQLite and
 * PostgreSQL through store.sql. Message and event ids are UUIDv7 (time-ordered), so time windows
 * are id ranges on the primary keys and need no index of their own.
 */

/** The lowest UUIDv7 of a millisecond: ids at or after `ms` compare >= this. */
export function idAt(ms: number): string {
  const h = Math.max(0, Math.floor(ms)).toString(16).padStart(12, '0').slice(-12);
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-0000-0000-000000000000`;
}

/** The creation time of a UUIDv7 id. */
export function timeOfId(id: string): string | null {
  const h = id.replace(/-/g, '').slice(0, 12);
  if (!/^[0-9a-f]{12}$/.test(h)) return null;
  return new Date(parseInt(h, 16)).toISOString();
}

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

const iso = (v: unknown): string | null => (v === null || v === undefined ? null : v instanceof Date ? v.toISOString() : String(v));
const num = (v: unknown): number => Number(v ?? 0);

export interface MessageRow {
  id: string;
  sourceId: string;
  entity: string;
  institution: string | null;
  status: MessageStatus;
  businessKey: string | null;
  errorCode: string | null;
  createdAt: string;
}

const MESSAGE_COLUMNS = 'm.id, m.source_id, m.entity, m.institution, m.status, m.business_key, m.error_code, m.created_at';

function toRow(r: Record<string, unknown>): MessageRow {
  return {
    id: String(r.id),
    sourceId: String(r.source_id),
    entity: String(r.entity),
    institution: (r.institution as string | null) ?? null,
    status: r.status as MessageStatus,
    businessKey: (r.business_key as string | null) ?? null,
    errorCode: (r.error_code as string | null) ?? null,
    createdAt: iso(r.created_at) ?? '',
  };
}

export interface MessageQuery {
  status?: MessageStatus;
  sourceId?: string;
  entity?: string;
  institution?: string;
  /** ISO times: created at or after `from`, before `to`. */
  from?: string;
  to?: string;
  /** messages.business_key: the canonical sourceId (e.g. a student number). */
  businessKey?: string;
  /** Paging: ids lower than this. */
  before?: string;
  limit: number;
}

export async function searchMessages(sql: SqlDb, q: MessageQuery): Promise<MessageRow[]> {
  const where: string[] = [];
  const args: unknown[] = [];
  const add = (cond: string, v: unknown) => {
    where.push(cond);
    args.push(v);
  };
  if (q.status) add('m.status = ?', q.status);
  if (q.sourceId) add('m.source_id = ?', q.sourceId);
  if (q.entity) add('m.entity = ?', q.entity);
  if (q.institution) add('m.institution = ?', q.institution);
  if (q.businessKey) add('m.business_key = ?', q.businessKey);
  if (q.from) add('m.id >= ?', idAt(Date.parse(q.from)));
  if (q.to) add('m.id < ?', idAt(Date.parse(q.to)));
  if (q.before) add('m.id < ?', q.before);
  const rows = await sql.query(`SELECT ${MESSAGE_COLUMNS} FROM messages m ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.id DESC LIMIT ?`, [...args, q.limit]);
  return rows.map(toRow);
}

/**
 * Messages of a person found by a personal code: canonical identifiers (of the record, or of its
 * `person` reference) with scheme lv-personas-kods, and raw payloads that contain the code where
 * the mapping produced no canonical record. The code is a query parameter only, never logged. A
 * message's canonical record is its own copy or, when it left that to the record version it produced
 * (src/store/trail.ts), that version's data (whose added `id` and `version` do not matter here).
 */
export async function messagesByPersonalCode(sql: SqlDb, code: string, before: string | undefined, limit: number): Promise<MessageRow[]> {
  const digits = code.replace('-', '');
  const forms = [`${digits.slice(0, 6)}-${digits.slice(6)}`, digits];
  const args: unknown[] = [];
  const doc = `COALESCE(m.canonical, ${versionData(sql.dialect, 'v')})`;
  let canonical: string;
  if (sql.dialect === 'postgres') {
    const docs = forms.flatMap((value) => {
      const id = [{ scheme: 'lv-personas-kods', value }];
      return [JSON.stringify({ identifiers: id }), JSON.stringify({ person: { identifiers: id } })];
    });
    canonical = docs.map(() => `${doc} @> CAST(? AS jsonb)`).join(' OR ');
    args.push(...docs);
  } else {
    const one = (path: string) =>
      `EXISTS (SELECT 1 FROM json_each(${doc}, '${path}') j WHERE j.type = 'object' AND json_extract(j.value, '$.scheme') = 'lv-personas-kods' AND json_extract(j.value, '$.value') IN (?, ?))`;
    canonical = `(json_valid(${doc}) AND (${one('$.identifiers')} OR ${one('$.person.identifiers')}))`;
    args.push(...forms, ...forms);
  }
  const raw = `(${doc} IS NULL AND (m.raw LIKE ? OR m.raw LIKE ?))`;
  args.push(...forms.map((f) => `%${f}%`));
  const page = before ? ' AND m.id < ?' : '';
  if (before) args.push(before);
  const rows = await sql.query(
    `SELECT ${MESSAGE_COLUMNS} FROM messages m LEFT JOIN changes v ON m.canonical_in_version AND v.record_id = m.record_id AND v.version = m.record_version
     WHERE ((${canonical}) OR ${raw})${page} ORDER BY m.id DESC LIMIT ?`,
    [...args, limit],
  );
  return rows.map(toRow);
}

export interface DeadRow {
  eventId: string;
  routeId: string;
  messageId: string | null;
  status: 'dead' | 'withheld';
  attempts: number;
  lastError: string | null;
  updatedAt: string;
  sourceId: string | null;
  entity: string | null;
  institution: string | null;
  businessKey: string | null;
}

export interface DeadQuery {
  statuses: ('dead' | 'withheld')[];
  routeId?: string;
  sourceId?: string;
  entity?: string;
  institution?: string;
  /** Paging cursor: `<eventId> <routeId>` of the last row shown. */
  before?: { eventId: string; routeId: string };
  limit: number;
}

/** Dead and withheld deliveries with their messages, newest event first. */
export async function deadDeliveries(sql: SqlDb, q: DeadQuery): Promise<DeadRow[]> {
  const where = [`d.status IN (${q.statuses.map(() => '?').join(', ')})`];
  const args: unknown[] = [...q.statuses];
  const add = (cond: string, ...v: unknown[]) => {
    where.push(cond);
    args.push(...v);
  };
  if (q.routeId) add('d.route_id = ?', q.routeId);
  if (q.sourceId) add('m.source_id = ?', q.sourceId);
  if (q.entity) add('m.entity = ?', q.entity);
  if (q.institution) add('m.institution = ?', q.institution);
  if (q.before) add('(d.event_id < ? OR (d.event_id = ? AND d.route_id < ?))', q.before.eventId, q.before.eventId, q.before.routeId);
  const rows = await sql.query(
    `SELECT d.event_id, d.route_id, d.message_id, d.status, d.attempts, d.last_error, d.updated_at, m.source_id, m.entity, m.institution, m.business_key
     FROM deliveries d LEFT JOIN messages m ON m.id = d.message_id
     WHERE ${where.join(' AND ')} ORDER BY d.event_id DESC, d.route_id DESC LIMIT ?`,
    [...args, q.limit],
  );
  return rows.map((r) => ({
    eventId: String(r.event_id),
    routeId: String(r.route_id),
    messageId: (r.message_id as string | null) ?? null,
    status: r.status as 'dead' | 'withheld',
    attempts: num(r.attempts),
    lastError: (r.last_error as string | null) ?? null,
    updatedAt: iso(r.updated_at) ?? '',
    sourceId: (r.source_id as string | null) ?? null,
    entity: (r.entity as string | null) ?? null,
    institution: (r.institution as string | null) ?? null,
    businessKey: (r.business_key as string | null) ?? null,
  }));
}

/** The record a message would update: by natural key (entity, institution, source system, source id). */
export async function recordIdByKey(sql: SqlDb, k: { entity: string; institution: string; sourceSystem: string; sourceId: string }): Promise<string | undefined> {
  const [row] = await sql.query('SELECT id FROM records WHERE entity = ? AND institution = ? AND source_system = ? AND source_id = ?', [k.entity, k.institution, k.sourceSystem, k.sourceId]);
  return row ? String(row.id) : undefined;
}

/** Counts of one window: key → status → n. */
export type Counts = Map<string, Map<string, number>>;

function countsOf(rows: Record<string, unknown>[], key: string): Counts {
  const out: Counts = new Map();
  for (const r of rows) {
    const k = String(r[key]);
    let m = out.get(k);
    if (!m) out.set(k, (m = new Map()));
    m.set(String(r.status), num(r.n));
  }
  return out;
}

export interface Activity {
  messages: { hour: Counts; day: Counts; lastAt: Map<string, string> };
  deliveries: { hour: Counts; day: Counts };
  /** Messages received and deliveries made in the last five minutes. */
  recent: { messages: number; delivered: number };
}

/** Per source and per route counts by status over the last hour and day, and recent throughput. */
export async function activity(sql: SqlDb, now = Date.now()): Promise<Activity> {
  const hour = idAt(now - 3_600_000);
  const day = idAt(now - 86_400_000);
  const five = idAt(now - 300_000);
  const [mh, md, dh, dd, rm, rd] = await Promise.all([
    sql.query('SELECT source_id, status, COUNT(*) AS n FROM messages WHERE id >= ? GROUP BY source_id, status', [hour]),
    sql.query('SELECT source_id, status, COUNT(*) AS n, MAX(id) AS last_id FROM messages WHERE id >= ? GROUP BY source_id, status', [day]),
    sql.query('SELECT route_id, status, COUNT(*) AS n FROM deliveries WHERE event_id >= ? GROUP BY route_id, status', [hour]),
    sql.query('SELECT route_id, status, COUNT(*) AS n FROM deliveries WHERE event_id >= ? GROUP BY route_id, status', [day]),
    sql.query('SELECT COUNT(*) AS n FROM messages WHERE id >= ?', [five]),
    sql.query("SELECT COUNT(*) AS n FROM deliveries WHERE event_id >= ? AND status = 'delivered' AND delivered_at >= ?", [day, new Date(now - 300_000).toISOString()]),
  ]);
  const lastAt = new Map<string, string>();
  for (const r of md) {
    const t = timeOfId(String(r.last_id));
    const s = String(r.source_id);
    if (t && (!lastAt.has(s) || lastAt.get(s)! < t)) lastAt.set(s, t);
  }
  return {
    messages: { hour: countsOf(mh, 'source_id'), day: countsOf(md, 'source_id'), lastAt },
    deliveries: { hour: countsOf(dh, 'route_id'), day: countsOf(dd, 'route_id') },
    recent: { messages: num(rm[0]?.n), delivered: num(rd[0]?.n) },
  };
}

export interface LastError {
  at: string;
  code: string | null;
  detail: string;
  messageId: string | null;
}

/** The newest rejection of a source. */
export async function lastSourceError(sql: SqlDb, sourceId: string): Promise<LastError | undefined> {
  const [r] = await sql.query("SELECT id, error_code, error_detail, updated_at FROM messages WHERE status = 'rejected' AND source_id = ? ORDER BY id DESC LIMIT 1", [sourceId]);
  return r ? { at: iso(r.updated_at) ?? '', code: (r.error_code as string | null) ?? null, detail: String(r.error_detail ?? ''), messageId: String(r.id) } : undefined;
}

/** The newest failing delivery of a route (retrying, dead or withheld). */
export async function lastRouteError(sql: SqlDb, routeId: string): Promise<LastError | undefined> {
  const [r] = await sql.query(
    "SELECT message_id, last_error, status, updated_at FROM deliveries WHERE status IN ('retrying', 'dead', 'withheld') AND route_id = ? AND last_error IS NOT NULL ORDER BY updated_at DESC LIMIT 1",
    [routeId],
  );
  return r ? { at: iso(r.updated_at) ?? '', code: String(r.status), detail: String(r.last_error ?? ''), messageId: (r.message_id as string | null) ?? null } : undefined;
}
