import { appendFile } from 'node:fs/promises';
import type { JsonObject } from '../../src/core/types.ts';
import { SCHEMA_VERSION } from '../../src/pipeline/pipeline.ts';
import { contentOf, entryHash, entryRow, GENESIS, type DisclosureEntry } from '../../src/privacy/disclosure-log.ts';
import { holdsPersonalData, refOf, SUBJECTS, type PersonKey } from '../../src/privacy/personal.ts';
import type { Pseudonyms } from '../../src/privacy/pseudonym.ts';
import type { LeanStore } from './lean-store.ts';

/**
 * Delivery by cursor (issue 17, direction 3), the prototype of the `trail` benchmark: a route's progress
 * is one cursor row over the change log. A consumer reads the changes after its cursor N at a time,
 * appends them to a file sink in one call (JSON lines, as adapters/file writes one event a line), then
 * in ONE transaction moves the cursor, logs the batch (first..last seq, time) and writes the batch's
 * disclosure-log entries, hash-chained exactly as src/privacy/disclosure-log.ts chains them
 * (entryHash(prevHash, entry), head row updated). Only exceptions get rows: an erased record is
 * withheld (lean_route_exceptions) and the cursor passes it.
 */

export interface RouteSpec {
  id: string;
  recipient: string | null;
  legalBasis: string;
  purpose: string;
  /** Changes read and delivered at a time. */
  batch: number;
  /** The file sink: JSON lines appended here. */
  file: string;
}

export interface ChangeRow {
  seq: number;
  entity: string;
  institution: string;
  source: string;
  record_id: string;
  version: number;
  op: number;
  message_seq: number | null;
  at: string;
  data: string | null;
}

/** The person a record names, as Persons.subjectOf(…, linked = false) finds it (no store lookups). */
export function personKeyOf(entity: string, data: JsonObject, institution: string): PersonKey | undefined {
  const s = SUBJECTS[entity];
  if (!s) return undefined;
  if (s.kind === 'self') return { kind: 'person', institution, sourceId: String(data.sourceId ?? '') };
  if (s.kind === 'via') return undefined;
  const ref = refOf(data, s.field);
  return ref?.sourceId ? { kind: 'person', institution: ref.institution ?? institution, sourceId: ref.sourceId } : undefined;
}

/**
 * What a batch of changes becomes for a route: the sink's JSON lines (the stored JSON spliced in, not
 * parsed and written again), the disclosure entries of those that hold personal data, and the seqs
 * withheld because their record was erased. Shared by the SQLite and the PostgreSQL prototypes.
 */
export function composeBatch(
  rows: readonly ChangeRow[],
  erased: ReadonlySet<string>,
  route: Pick<RouteSpec, 'id' | 'recipient' | 'legalBasis' | 'purpose'>,
  pseudonyms: Pseudonyms,
): { lines: string[]; entries: Omit<DisclosureEntry, 'seq' | 'at'>[]; withheld: number[] } {
  const lines: string[] = [];
  const entries: Omit<DisclosureEntry, 'seq' | 'at'>[] = [];
  const withheld: number[] = [];
  for (const r of rows) {
    if (erased.has(r.record_id)) {
      withheld.push(r.seq);
      continue;
    }
    const head = {
      eventId: String(r.seq),
      seq: r.seq,
      entity: r.entity,
      op: r.op === 1 ? 'delete' : 'upsert',
      schemaVersion: SCHEMA_VERSION,
      source: r.source,
      institution: r.institution,
      occurredAt: r.at,
      recordId: r.record_id,
      version: r.version,
      messageId: String(r.message_seq),
    };
    // The stored JSON is spliced in, not parsed and written again.
    const json = JSON.stringify(head);
    lines.push(r.data === null ? json : `${json.slice(0, -1)},"record":${r.data}}`);
    if (r.data !== null && holdsPersonalData(r.entity)) {
      const data = JSON.parse(r.data) as JsonObject;
      entries.push({
        kind: 'disclosure',
        person: pseudonyms.of(personKeyOf(r.entity, data, r.institution)),
        recipient: route.recipient,
        route: route.id,
        entity: r.entity,
        recordId: r.record_id,
        recordVersion: r.version,
        legalBasis: route.legalBasis,
        purpose: route.purpose,
        fields: null,
        eventId: String(r.seq),
      });
    }
  }
  return { lines, entries, withheld };
}

export class CursorRoute {
  /** Records appended to the sink, batches delivered, bytes appended. */
  delivered = 0;
  batches = 0;
  sinkBytes = 0;
  withheld = 0;
  private cursor: number;
  private readonly st;
  private readonly commitBatch;

  constructor(
    private readonly store: LeanStore,
    private readonly route: RouteSpec,
    private readonly pseudonyms: Pseudonyms,
  ) {
    const db = store.db;
    db.prepare('INSERT INTO lean_route_cursors (route, seq, at) VALUES (?, 0, ?) ON CONFLICT (route) DO NOTHING').run(route.id, new Date().toISOString());
    this.cursor = (db.prepare('SELECT seq FROM lean_route_cursors WHERE route = ?').get(route.id) as { seq: number }).seq;
    this.st = {
      after: db.prepare('SELECT seq, entity, institution, source, record_id, version, op, message_seq, at, data FROM lean_changes WHERE seq > ? ORDER BY seq LIMIT ?'),
      erased: db.prepare('SELECT record_id FROM lean_erased_records WHERE record_id IN (SELECT value FROM json_each(?))'),
      head: db.prepare('SELECT seq, hash FROM lean_log_head WHERE id = 1'),
      entry: db.prepare(
        'INSERT INTO lean_disclosure_log (seq, at, kind, person, recipient, route_id, entity, record_id, record_version, legal_basis, purpose, fields, event_id, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
      ),
      setHead: db.prepare('INSERT INTO lean_log_head (id, seq, hash) VALUES (1, ?, ?) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash'),
      cursor: db.prepare('UPDATE lean_route_cursors SET seq = ?, at = ? WHERE route = ?'),
      batchLog: db.prepare('INSERT INTO lean_route_batches (route, first_seq, last_seq, records, at) VALUES (?, ?, ?, ?, ?)'),
      exception: db.prepare(
        'INSERT INTO lean_route_exceptions (route, seq, status, attempts, next_at, error, at) VALUES (?, ?, ?, 0, NULL, ?, ?) ON CONFLICT (route, seq) DO UPDATE SET status = excluded.status, error = excluded.error, at = excluded.at',
      ),
    };
    this.commitBatch = db.transaction((first: number, last: number, count: number, entries: Omit<DisclosureEntry, 'seq' | 'at'>[], withheld: number[], at: string) => {
      const head = this.st.head.get() as { seq: number; hash: string } | undefined;
      let seq = head?.seq ?? 0;
      let prevHash = head?.hash ?? GENESIS;
      for (const n of entries) {
        const entry = contentOf({ ...n, seq: ++seq, at });
        const hash = entryHash(prevHash, entry);
        this.st.entry.run(...entryRow(entry, prevHash, hash));
        prevHash = hash;
      }
      if (entries.length) this.st.setHead.run(seq, prevHash);
      for (const s of withheld) this.st.exception.run(this.route.id, s, 'withheld', 'the record was erased', at);
      this.st.cursor.run(last, at, this.route.id);
      this.st.batchLog.run(this.route.id, first, last, count, at);
    });
  }

  get position(): number {
    return this.cursor;
  }

  /**
   * Delivers the next batch after the cursor, if any: the sink call, then the cursor, the batch log and
   * the disclosures in one transaction. Returns the changes the cursor passed (0: nothing new).
   * A failed sink call throws and leaves the cursor where it was (the batch is taken again: at least once).
   */
  async step(): Promise<number> {
    const rows = this.st.after.all(this.cursor, this.route.batch) as ChangeRow[];
    if (!rows.length) return 0;
    const erased = new Set((this.st.erased.all(JSON.stringify(rows.map((r) => r.record_id))) as { record_id: string }[]).map((r) => r.record_id));
    const { lines, entries, withheld } = composeBatch(rows, erased, this.route, this.pseudonyms);
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    if (text) await appendFile(this.route.file, text, 'utf8');
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    this.commitBatch(first, last, lines.length, entries, withheld, new Date().toISOString());
    this.cursor = last;
    this.delivered += lines.length;
    this.withheld += withheld.length;
    this.sinkBytes += Buffer.byteLength(text);
    this.batches++;
    return rows.length;
  }

  /** Delivers until `done()` says no more changes will come and the cursor is at the last change. */
  async run(done: () => boolean, idleMs = 2): Promise<void> {
    for (;;) {
      const n = await this.step();
      if (n > 0) continue;
      if (done() && this.cursor >= this.store.lastChangeSeq()) return;
      await new Promise((r) => setTimeout(r, idleMs));
    }
  }
}
