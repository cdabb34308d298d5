import { ConflictError, NotFoundError } from '../core/errors.ts';
import { uuidv7 } from '../core/ids.ts';
import type { SqlDb } from '../store/sql.ts';
import type { DisclosureLog } from './disclosure-log.ts';
import type { PersonalDataHolders } from './holders.ts';
import { marks } from '../store/json-sql.ts';
import { messagesNaming, rewriteChanges, rewriteMessageTexts, rewriteRecord, scrubMessage } from '../store/rewrite.ts';
import { LOG_TABLES } from './migrations.ts';
import type { Persons, RecordRow } from './personal.ts';
import type { Pseudonyms } from './pseudonym.ts';
import { erasedEvent, erasedRecord, scrubDeep, scrubText, sweep, termsOf, type ErasureTerms } from './scrub.ts';

export interface ErasureReport {
  id: string;
  at: string;
  /** Person records erased (the one asked for and those linked to it by personal code). */
  persons: string[];
  /** Records about the person that were pseudonymised (study facts kept). */
  records: string[];
  /** Rows changed, per table. */
  counts: Record<string, number>;
  /**
   * Dead-lettered broker copies of the person's events removed (Privacy.erase); null: the broker could
   * not be reached, the privacy job removes them later.
   */
  deadLettersRemoved?: number | null;
}

export interface ErasureRow {
  id: string;
  at: string;
  requestedBy: string;
  pseudonyms: string[];
  personRecords: string[];
  counts: Record<string, number>;
}

const CHUNK = 500;

function chunks<T>(xs: readonly T[]): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < xs.length; i += CHUNK) out.push(xs.slice(i, i + CHUNK));
  return out;
}

function add(counts: Record<string, number>, table: string, n: number): void {
  if (n) counts[table] = (counts[table] ?? 0) + n;
}

/**
 * Erasure of one person's data (GDPR art. 17), in one transaction:
 * - person records (the one asked for and those linked by personal code): reduced to id, version,
 *   institution and a pseudonymous source id, marked deleted;
 * - records about the person (study rights, attainments, awards, consents…): kept as study facts,
 *   their person reference pseudonymised, identifying fields (diploma numbers) removed, the person's
 *   identifiers and names scrubbed; the same for every stored version and change event;
 * - messages of those records and of the person: raw payload and canonical copy removed, texts of
 *   history, deliveries and attempts scrubbed;
 * - what other modules keep about the person in tables of their own (registered PersonalDataHolders);
 * - every text column of every table: the identifiers that name the person (personal code, ESI,
 *   foreign id) replaced — except the disclosure log, which holds pseudonyms only.
 * Then an erasure record and a disclosure-log entry say that it happened.
 */
export class Erasure {
  constructor(
    private readonly sql: SqlDb,
    private readonly persons: Persons,
    private readonly pseudonyms: Pseudonyms,
    private readonly log: DisclosureLog,
    private readonly holders: PersonalDataHolders,
  ) {}

  /** Whether a change of this record predates an erasure of it (a queued copy must not go out). */
  async isErased(recordId: string, occurredAt: string): Promise<boolean> {
    const [r] = await this.sql.query('SELECT erased_at FROM privacy_erased_records WHERE record_id = ?', [recordId]);
    return !!r && String(r.erased_at) >= occurredAt;
  }

  /** Of these records, the erased ones with the time of their erasure (one query per 500). */
  async erasedAt(recordIds: readonly string[]): Promise<Map<string, string>> {
    const out = new Map<string, string>();
    const ids = [...new Set(recordIds)];
    for (const part of chunks(ids)) {
      for (const r of await this.sql.query(`SELECT record_id, erased_at FROM privacy_erased_records WHERE record_id IN (${marks(part.length)})`, part)) {
        out.set(String(r.record_id), String(r.erased_at));
      }
    }
    return out;
  }

  /** The erasure that covered a person record, if any. */
  async erasureOf(recordId: string): Promise<ErasureRow | undefined> {
    const [r] = await this.sql.query(
      'SELECT e.id, e.at, e.requested_by, e.pseudonyms, e.person_records, e.counts FROM privacy_erased_records x JOIN privacy_erasures e ON e.id = x.erasure_id WHERE x.record_id = ?',
      [recordId],
    );
    return r ? toErasure(r) : undefined;
  }

  async list(limit: number): Promise<ErasureRow[]> {
    return (await this.sql.query('SELECT id, at, requested_by, pseudonyms, person_records, counts FROM privacy_erasures ORDER BY at DESC LIMIT ?', [limit])).map(toErasure);
  }

  async erase(personId: string, requestedBy: string): Promise<ErasureReport> {
    const person = await this.persons.byId(personId);
    if (!person) throw new NotFoundError(`no person record ${personId}`);
    if (person.data.erased === true) {
      const e = await this.erasureOf(personId);
      throw new ConflictError(`person record ${personId} was erased${e ? ` at ${e.at} (erasure ${e.id})` : ''}`, { extra: e ? { erasureId: e.id } : {} });
    }
    const linked = (await this.persons.linked([person])).filter((p) => p.data.erased !== true);
    const set = this.persons.setOf(linked);
    const pseudonyms = this.pseudonyms.candidates(set);
    const subject = this.pseudonyms.person(person.institution, person.sourceId);
    const records = await this.persons.recordsAbout(set);
    const terms = termsOf(linked, this.pseudonyms);
    const id = uuidv7();
    const at = new Date().toISOString();
    const counts: Record<string, number> = {};
    const sqlite = this.sql.dialect === 'sqlite';
    // SQLite: overwrite the content this erasure removes rather than leave it in free space of the file.
    const secureDelete = sqlite ? Number((await this.sql.query('PRAGMA secure_delete'))[0]?.secure_delete ?? 0) : 0;
    if (sqlite) await this.sql.query('PRAGMA secure_delete = ON');
    try {
      await this.sql.transaction(async (tx) => {
        await this.eraseRecords(tx, records, terms, id, at, counts);
        const messageIds = await this.eraseMessages(tx, records, linked, terms, counts);
        await this.scrubDeliveries(tx, messageIds, terms, counts);
        add(
          counts,
          'privacy_withheld',
          await this.closeWithheld(
            tx,
            records.map((r) => r.id),
            at,
          ),
        );
        // Other modules' own tables (registered holders), before the sweep: what they remove is not swept.
        const personIds = linked.map((p) => p.id);
        for (const h of this.holders.all()) for (const [table, n] of Object.entries(await h.erase(tx, { personIds, erasureId: id, at }))) add(counts, table, n);
        for (const [table, n] of Object.entries(await sweep(tx, terms.global, LOG_TABLES))) add(counts, table, n);
        await tx.run('INSERT INTO privacy_erasures (id, at, requested_by, subject, pseudonyms, person_records, counts) VALUES (?, ?, ?, ?, ?, ?, ?)', [
          id,
          at,
          requestedBy,
          subject,
          JSON.stringify(pseudonyms),
          JSON.stringify(linked.map((p) => p.id)),
          JSON.stringify(counts),
        ]);
      });
    } finally {
      if (sqlite) await this.sql.query(`PRAGMA secure_delete = ${secureDelete === 1 ? 'ON' : 'OFF'}`);
    }
    // Old page images must not stay in the write-ahead log either (best effort: readers may hold it).
    if (sqlite) await this.sql.query('PRAGMA wal_checkpoint(TRUNCATE)').catch(() => undefined);
    await this.log.append({
      kind: 'erasure',
      person: subject,
      recipient: null,
      route: null,
      entity: 'person',
      recordId: personId,
      recordVersion: null,
      legalBasis: 'legal-obligation',
      purpose: 'erasure of personal data (GDPR art. 17)',
      fields: null,
      eventId: id,
    });
    return { id, at, persons: linked.map((p) => p.id), records: records.filter((r) => r.entity !== 'person').map((r) => r.id), counts };
  }

  private async eraseRecords(tx: SqlDb, records: RecordRow[], terms: ErasureTerms, id: string, at: string, counts: Record<string, number>): Promise<void> {
    const byId = new Map(records.map((r) => [r.id, r]));
    for (const r of records) {
      const data = erasedRecord(r.entity, r.data, r.institution, terms);
      const person = r.entity === 'person';
      add(counts, 'records', await rewriteRecord(tx, { id: r.id, data, sourceId: person ? String(data.sourceId) : r.sourceId, deleted: person ? true : r.deleted }));
      await tx.run(
        'INSERT INTO privacy_erased_records (record_id, erasure_id, erased_at) VALUES (?, ?, ?) ON CONFLICT (record_id) DO UPDATE SET erasure_id = excluded.erasure_id, erased_at = excluded.erased_at',
        [r.id, id, at],
      );
    }
    const ids = records.map((r) => r.id);
    add(
      counts,
      'changes',
      await rewriteChanges(tx, ids, {
        event: (e) => erasedEvent(e, terms),
        data: (recordId, data) => {
          const rec = byId.get(recordId)!;
          return erasedRecord(rec.entity, data, rec.institution, terms);
        },
      }),
    );
  }

  /** Messages of the records, rejected messages of the person records, and any raw payload naming the person. */
  private async eraseMessages(tx: SqlDb, records: RecordRow[], persons: { institution: string; sourceId: string }[], terms: ErasureTerms, counts: Record<string, number>): Promise<string[]> {
    const found = await messagesNaming(tx, { recordIds: records.map((r) => r.id), personKeys: persons, rawContains: terms.global });
    const pseudoByKey = terms.pseudoByKey;
    for (const m of found) {
      const key = `${m.institution}\u0000${String(m.businessKey)}`;
      const businessKey = m.entity === 'person' && pseudoByKey.has(key) ? pseudoByKey.get(key)! : m.businessKey;
      const errors = scrubDeep(m.errors, terms);
      const errorDetail = m.errorDetail === null ? null : scrubText(m.errorDetail, terms.scoped);
      add(counts, 'messages', await scrubMessage(tx, m.id, { businessKey, errorDetail, errors }));
    }
    return found.map((m) => m.id);
  }

  /** Texts kept per message (history details, delivery errors, receipts), scrubbed of the person's terms. */
  private async scrubDeliveries(tx: SqlDb, messageIds: string[], terms: ErasureTerms, counts: Record<string, number>): Promise<void> {
    const changed = await rewriteMessageTexts(tx, messageIds, (text) => scrubText(text, terms.scoped));
    for (const [table, n] of Object.entries(changed)) add(counts, table, n);
  }

  private async closeWithheld(tx: SqlDb, recordIds: string[], at: string): Promise<number> {
    let n = 0;
    for (const ids of chunks(recordIds)) {
      n += (
        await tx.run(
          `UPDATE privacy_withheld SET status = 'closed', closed_reason = 'the person''s data was erased', updated_at = ? WHERE record_id IN (${marks(ids.length)}) AND status IN ('held', 'released')`,
          [at, ...ids],
        )
      ).changes;
    }
    return n;
  }
}

function toErasure(r: Record<string, unknown>): ErasureRow {
  return {
    id: String(r.id),
    at: String(r.at),
    requestedBy: String(r.requested_by),
    pseudonyms: JSON.parse(String(r.pseudonyms)) as string[],
    personRecords: JSON.parse(String(r.person_records)) as string[],
    counts: JSON.parse(String(r.counts)) as Record<string, number>,
  };
}
