import { sha256Hex, stableStringify } from '../core/ids.ts';
import type { SqlDb, SqlRow } from '../store/sql.ts';
import { marks } from '../store/json-sql.ts';

/**
 * The disclosure log: one entry per delivery of a record that holds personal data (and one per
 * erasure), append-only and hash-chained. An entry's hash is sha256(previous hash + canonical JSON
 * of the entry), the first entry's previous hash is 64 zeros. Changing, removing or reordering an
 * entry breaks the chain at that entry; `verify` and the offline `verifyExport` find where.
 *
 * Persons appear only as keyed pseudonyms (src/privacy/pseudonym.ts): an erasure never has to
 * rewrite an entry, so the chain stays verifiable after it.
 */

export const GENESIS = '0'.repeat(64);

export type EntryKind = 'disclosure' | 'erasure';

/** The hashed content of an entry. */
export interface DisclosureEntry {
  seq: number;
  at: string;
  kind: EntryKind;
  /** Pseudonym of the person the record is about (null: the record names no one, e.g. contact persons only). */
  person: string | null;
  recipient: string | null;
  route: string | null;
  entity: string | null;
  recordId: string | null;
  recordVersion: number | null;
  legalBasis: string | null;
  purpose: string | null;
  /** The fields the recipient got (route projection); null: the whole record. */
  fields: string[] | null;
  /** The change event delivered (disclosure) or the erasure id (erasure). */
  eventId: string | null;
}

export interface LoggedEntry extends DisclosureEntry {
  prevHash: string;
  hash: string;
}

export type NewEntry = Omit<DisclosureEntry, 'seq' | 'at'> & { at?: string };

export function entryHash(prevHash: string, e: DisclosureEntry): string {
  return sha256Hex(prevHash + entryText(e));
}

const str = (v: unknown): boolean => v === null || typeof v === 'string';
const num = (v: unknown): boolean => v === null || (typeof v === 'number' && Number.isFinite(v));

/**
 * The hashed text of an entry: `stableStringify(contentOf(e))`, written out for the entry's fixed
 * shape (its keys in sorted order) when every field has its declared type (a delivery appends one an
 * entry; the generic walk was 2 % of the embedded pipeline). Anything else goes the generic way, so the
 * text, and with it every hash of the chain, is the same either way (test/privacy/disclosure-log.test.ts).
 */
export function entryText(e: DisclosureEntry): string {
  const plain =
    typeof e.seq === 'number' &&
    Number.isFinite(e.seq) &&
    typeof e.at === 'string' &&
    typeof e.kind === 'string' &&
    [e.person, e.recipient, e.route, e.entity, e.recordId, e.legalBasis, e.purpose, e.eventId].every(str) &&
    num(e.recordVersion) &&
    (e.fields === null || (Array.isArray(e.fields) && e.fields.every((f) => typeof f === 'string')));
  if (!plain) return stableStringify(contentOf(e));
  const j = JSON.stringify;
  return (
    `{"at":${j(e.at)},"entity":${j(e.entity)},"eventId":${j(e.eventId)},"fields":${j(e.fields)},"kind":${j(e.kind)},"legalBasis":${j(e.legalBasis)},` +
    `"person":${j(e.person)},"purpose":${j(e.purpose)},"recipient":${j(e.recipient)},"recordId":${j(e.recordId)},"recordVersion":${j(e.recordVersion)},` +
    `"route":${j(e.route)},"seq":${j(e.seq)}}`
  );
}

/** Exactly the hashed fields (an exported line also has prevHash and hash). */
export function contentOf(e: DisclosureEntry): DisclosureEntry {
  return {
    seq: e.seq,
    at: e.at,
    kind: e.kind,
    person: e.person,
    recipient: e.recipient,
    route: e.route,
    entity: e.entity,
    recordId: e.recordId,
    recordVersion: e.recordVersion,
    legalBasis: e.legalBasis,
    purpose: e.purpose,
    fields: e.fields,
    eventId: e.eventId,
  };
}

export interface VerifyProblem {
  /** The entry (seq) where the chain breaks; for a bad line of an export, the line number as `line`. */
  seq: number | null;
  line?: number;
  problem: string;
}

export interface VerifyReport {
  ok: boolean;
  entries: number;
  firstSeq: number | null;
  lastSeq: number | null;
  /** Hash of the last entry: write it down (or publish it) to anchor the log. */
  lastHash: string | null;
  problems: VerifyProblem[];
}

/** Checks a chain entry by entry; the same code checks the store and an export. */
export class ChainVerifier {
  private entries = 0;
  private firstSeq: number | null = null;
  private lastSeq: number | null = null;
  private lastHash: string | null = null;
  private readonly problems: VerifyProblem[] = [];
  static readonly MAX_PROBLEMS = 1000;

  /** requireGenesis: the chain must start at entry 1 (the store); an export may start later. */
  constructor(private readonly requireGenesis: boolean) {}

  problem(p: VerifyProblem): void {
    if (this.problems.length < ChainVerifier.MAX_PROBLEMS) this.problems.push(p);
  }

  push(e: LoggedEntry, line?: number): void {
    const at = line === undefined ? {} : { line };
    if (this.lastSeq === null) {
      this.firstSeq = e.seq;
      if (this.requireGenesis && e.seq !== 1) this.problem({ seq: e.seq, ...at, problem: `the log starts at entry ${e.seq}: entries 1 to ${e.seq - 1} were removed` });
      if (e.seq === 1 && e.prevHash !== GENESIS) this.problem({ seq: e.seq, ...at, problem: 'the first entry does not start from the genesis hash' });
    } else {
      if (e.seq <= this.lastSeq) this.problem({ seq: e.seq, ...at, problem: `entry ${e.seq} comes after entry ${this.lastSeq}: out of order or duplicated` });
      else if (e.seq !== this.lastSeq + 1) this.problem({ seq: e.seq, ...at, problem: `entries ${this.lastSeq + 1} to ${e.seq - 1} are missing` });
      if (e.prevHash !== this.lastHash) this.problem({ seq: e.seq, ...at, problem: `its previous hash is not the hash of entry ${this.lastSeq}: an entry before it was changed, removed or inserted` });
    }
    if (entryHash(e.prevHash, e) !== e.hash) this.problem({ seq: e.seq, ...at, problem: 'its content does not match its hash: the entry was changed after it was written' });
    this.entries++;
    this.lastSeq = e.seq;
    this.lastHash = e.hash;
  }

  /** head: where the store says the log ends (catches removal of the newest entries). */
  finish(head?: { seq: number; hash: string }): VerifyReport {
    if (head && (head.seq !== (this.lastSeq ?? 0) || head.hash !== (this.lastHash ?? GENESIS))) {
      this.problem({ seq: head.seq, problem: `the log ends at entry ${this.lastSeq ?? 0} but its head names entry ${head.seq}: the newest entries were removed or changed` });
    }
    return { ok: this.problems.length === 0, entries: this.entries, firstSeq: this.firstSeq, lastSeq: this.lastSeq, lastHash: this.lastHash, problems: this.problems };
  }
}

/** Verifies an exported log (JSON lines, as `DisclosureLog.export` writes them) without the hub. */
export function verifyExport(text: string): VerifyReport {
  const v = new ChainVerifier(false);
  text.split('\n').forEach((raw, i) => {
    const line = raw.trim();
    if (!line) return;
    let e: LoggedEntry;
    try {
      e = JSON.parse(line) as LoggedEntry;
    } catch {
      v.problem({ seq: null, line: i + 1, problem: 'not a JSON line' });
      return;
    }
    if (typeof e.seq !== 'number' || typeof e.hash !== 'string' || typeof e.prevHash !== 'string') {
      v.problem({ seq: typeof e.seq === 'number' ? e.seq : null, line: i + 1, problem: 'not a log entry (seq, prevHash and hash are required)' });
      return;
    }
    v.push(e, i + 1);
  });
  return v.finish();
}

/** The values of a log row in the order of COLUMNS. */
export function entryRow(entry: DisclosureEntry, prevHash: string, hash: string): (string | number | null)[] {
  return [
    entry.seq,
    entry.at,
    entry.kind,
    entry.person,
    entry.recipient,
    entry.route,
    entry.entity,
    entry.recordId,
    entry.recordVersion,
    entry.legalBasis,
    entry.purpose,
    entry.fields === null ? null : JSON.stringify(entry.fields),
    entry.eventId,
    prevHash,
    hash,
  ];
}

/** Log rows in one INSERT on PostgreSQL, at most. */
const INSERT_ROWS = 100;

const COLUMNS = 'seq, at, kind, person, recipient, route_id, entity, record_id, record_version, legal_basis, purpose, fields, event_id, prev_hash, hash';
const ROW_MARKS = `(${marks(15)})`;
const INSERT_ONE = `INSERT INTO privacy_disclosure_log (${COLUMNS}) VALUES ${ROW_MARKS}`;

function toEntry(r: SqlRow): LoggedEntry {
  const n = (v: unknown) => (v === null || v === undefined ? null : Number(v));
  const s = (v: unknown) => (v === null || v === undefined ? null : String(v));
  return {
    seq: Number(r.seq),
    at: String(r.at),
    kind: String(r.kind) as EntryKind,
    person: s(r.person),
    recipient: s(r.recipient),
    route: s(r.route_id),
    entity: s(r.entity),
    recordId: s(r.record_id),
    recordVersion: n(r.record_version),
    legalBasis: s(r.legal_basis),
    purpose: s(r.purpose),
    fields: r.fields === null || r.fields === undefined ? null : (JSON.parse(String(r.fields)) as string[]),
    eventId: s(r.event_id),
    prevHash: String(r.prev_hash),
    hash: String(r.hash),
  };
}

/** Appends through one database handle, one after another (SQLite transactions on one connection do not isolate). */
const tails = new WeakMap<SqlDb, Promise<unknown>>();

export class DisclosureLog {
  constructor(private readonly sql: SqlDb) {}

  private serial<T>(fn: () => Promise<T>): Promise<T> {
    const run = (tails.get(this.sql) ?? Promise.resolve()).then(fn, fn);
    tails.set(
      this.sql,
      run.catch(() => undefined),
    );
    return run;
  }

  /**
   * Appends an entry; a disclosure of the same (event, route) that is already logged is not logged
   * twice (returns undefined). Serialized across processes: PostgreSQL takes a transaction-level
   * advisory lock, SQLite's transaction is BEGIN IMMEDIATE (one writer).
   */
  async append(n: NewEntry): Promise<LoggedEntry | undefined> {
    const [e] = await this.appendMany([n]);
    return e;
  }

  /** Of these events, the ones whose disclosure on the route is already logged (a read outside the lock: a hint). */
  async loggedAmong(route: string, eventIds: readonly string[]): Promise<Set<string>> {
    const out = new Set<string>();
    for (let i = 0; i < eventIds.length; i += 500) {
      const ids = eventIds.slice(i, i + 500);
      const rows = await this.sql.query(`SELECT event_id FROM privacy_disclosure_log WHERE kind = 'disclosure' AND route_id = ? AND event_id IN (${marks(ids.length)})`, [route, ...ids]);
      for (const r of rows) out.add(String(r.event_id));
    }
    return out;
  }

  /**
   * Appends entries in one transaction (a feed page, a batch of deliveries), in order; disclosures of
   * an (event, route) already logged are skipped. Returns the entries written.
   */
  appendMany(list: readonly NewEntry[]): Promise<LoggedEntry[]> {
    if (!list.length) return Promise.resolve([]);
    return this.appendWithin(list, (append) => this.sql.transaction(append));
  }

  /**
   * The entries appended inside a transaction of the caller's: `write` opens it (the store recording a
   * batch of delivery outcomes) and calls `append` in it, once, with its transaction. Serialised with
   * every other append through this handle, exactly like appendMany (which is this with a transaction
   * of its own), so the chain is the same whichever way an entry comes in.
   */
  appendWithin<T>(list: readonly NewEntry[], write: (append: (tx: SqlDb) => Promise<LoggedEntry[]>) => Promise<T>): Promise<T> {
    return this.serial(() => write((tx) => this.appendIn(tx, list)));
  }

  /** The append itself, in the caller's transaction `tx`. */
  private async appendIn(tx: SqlDb, list: readonly NewEntry[]): Promise<LoggedEntry[]> {
    if (!list.length) return [];
    if (tx.dialect === 'postgres') await tx.run("SELECT pg_advisory_xact_lock(hashtext('study-hub:privacy-log:' || current_schema()))");
    const seen = new Set<string>();
    const key = (eventId: string, route: string | null) => `${eventId}\u0000${route ?? ''}`;
    const keyed = list.filter((n) => n.kind === 'disclosure' && n.eventId);
    for (let i = 0; i < keyed.length; i += 500) {
      const part = keyed.slice(i, i + 500);
      const rows = await tx.query(
        `SELECT event_id, route_id FROM privacy_disclosure_log WHERE kind = 'disclosure' AND event_id IN (${marks(part.length)})`,
        part.map((n) => n.eventId),
      );
      for (const r of rows) seen.add(key(String(r.event_id), r.route_id === null ? null : String(r.route_id)));
    }
    const [last] = await tx.query('SELECT seq, hash FROM privacy_disclosure_log ORDER BY seq DESC LIMIT 1');
    let seq = last ? Number(last.seq) : 0;
    let prevHash = last ? String(last.hash) : GENESIS;
    const at = new Date().toISOString();
    const written: LoggedEntry[] = [];
    const rows: (string | number | null)[][] = [];
    for (const n of list) {
      if (n.kind === 'disclosure' && n.eventId) {
        const k = key(n.eventId, n.route);
        if (seen.has(k)) continue;
        seen.add(k);
      }
      const entry: DisclosureEntry = {
        seq: ++seq,
        at: n.at ?? at,
        kind: n.kind,
        person: n.person,
        recipient: n.recipient,
        route: n.route,
        entity: n.entity,
        recordId: n.recordId,
        recordVersion: n.recordVersion,
        legalBasis: n.legalBasis,
        purpose: n.purpose,
        fields: n.fields,
        eventId: n.eventId,
      };
      const hash = entryHash(prevHash, entry);
      rows.push(entryRow(entry, prevHash, hash));
      written.push({ ...entry, prevHash, hash });
      prevHash = hash;
    }
    // PostgreSQL: the rows of a batch in a few statements (round trips while the log's lock is held); SQLite: a prepared statement a row.
    if (tx.dialect === 'postgres') {
      for (let i = 0; i < rows.length; i += INSERT_ROWS) {
        const part = rows.slice(i, i + INSERT_ROWS);
        await tx.run(`INSERT INTO privacy_disclosure_log (${COLUMNS}) VALUES ${part.map(() => ROW_MARKS).join(', ')}`, part.flat());
      }
    } else for (const row of rows) await tx.run(INSERT_ONE, row);
    if (written.length) {
      await tx.run('INSERT INTO privacy_log_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash', [seq, prevHash]);
    }
    return written;
  }

  /** Entries in order, page by page. */
  async *entries(after = 0, pageSize = 1000): AsyncGenerator<LoggedEntry> {
    let cursor = after;
    for (;;) {
      const rows = await this.sql.query(`SELECT ${COLUMNS} FROM privacy_disclosure_log WHERE seq > ? ORDER BY seq LIMIT ?`, [cursor, pageSize]);
      for (const r of rows) yield toEntry(r);
      if (rows.length < pageSize) return;
      cursor = Number(rows[rows.length - 1]!.seq);
    }
  }

  /** Checks the whole chain in the store, and that it ends where its head says. */
  async verify(): Promise<VerifyReport> {
    const v = new ChainVerifier(true);
    for await (const e of this.entries()) v.push(e);
    const [head] = await this.sql.query('SELECT seq, hash FROM privacy_log_head WHERE id = 1');
    // No head row: the log must be empty (a removed head with entries left is reported).
    return v.finish(head ? { seq: Number(head.seq), hash: String(head.hash) } : { seq: 0, hash: GENESIS });
  }

  /** The log as JSON lines (entry fields, prevHash, hash), for `verifyExport`. */
  async *export(after = 0): AsyncGenerator<string> {
    for await (const e of this.entries(after)) yield `${JSON.stringify(e)}\n`;
  }

  /** Entries about any of the pseudonyms, in order. */
  async forPersons(pseudonyms: readonly string[], after: number, limit: number): Promise<LoggedEntry[]> {
    if (!pseudonyms.length) return [];
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM privacy_disclosure_log WHERE person IN (${marks(pseudonyms.length)}) AND seq > ? ORDER BY seq LIMIT ?`, [...pseudonyms, after, limit]);
    return rows.map(toEntry);
  }
}
