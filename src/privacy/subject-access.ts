import { NotFoundError } from '../core/errors.ts';
import type { DisclosureLog, LoggedEntry } from './disclosure-log.ts';
import type { JsonObject } from '../core/types.ts';
import type { Erasure } from './erasure.ts';
import type { PersonalDataHolders } from './holders.ts';
import { PERSONAL_CODE_SCHEME, type PersonRecord, type Persons, type RecordRow } from './personal.ts';
import type { Pseudonyms } from './pseudonym.ts';

export interface PersonSummary {
  id: string;
  institution: string;
  sourceId: string;
  erased: boolean;
}

export interface Disclosure {
  seq: number;
  at: string;
  kind: LoggedEntry['kind'];
  recipient: string | null;
  route: string | null;
  entity: string | null;
  recordId: string | null;
  recordVersion: number | null;
  legalBasis: string | null;
  purpose: string | null;
  /** The fields the recipient got; null: the whole record. */
  fields: string[] | null;
}

function summary(p: PersonRecord): PersonSummary {
  return { id: p.id, institution: p.institution, sourceId: p.sourceId, erased: p.data.erased === true };
}

/**
 * Subject access (GDPR art. 15): for a person record, the person's records across institutions
 * (linked by the personal code) and every disclosure the hub logged about them.
 */
export class SubjectAccess {
  constructor(
    private readonly persons: Persons,
    private readonly log: DisclosureLog,
    private readonly pseudonyms: Pseudonyms,
    private readonly erasure: Erasure,
    private readonly holders: PersonalDataHolders,
  ) {}

  private async subject(id: string): Promise<PersonRecord[]> {
    const p = await this.persons.byId(id);
    if (!p) throw new NotFoundError(`no person record ${id}`);
    return this.persons.linked([p]);
  }

  /** Person record ids by personal code (the code comes in a POST body, never in a URL). */
  async lookup(personalCode: string): Promise<PersonSummary[]> {
    return (await this.persons.byIdentifier({ scheme: PERSONAL_CODE_SCHEME, value: personalCode }, undefined)).map(summary);
  }

  /**
   * The person's canonical records, and what other modules keep about the person records in tables of their
   * own (`kept`, per module: metadata, no document text).
   */
  async records(id: string): Promise<{ person: string; persons: PersonSummary[]; records: RecordRow[]; kept: Record<string, JsonObject> }> {
    const persons = await this.subject(id);
    const records = await this.persons.recordsAbout(this.persons.setOf(persons));
    const kept: Record<string, JsonObject> = {};
    const ids = persons.map((p) => p.id);
    for (const h of this.holders.all()) kept[h.name] = await h.about(ids);
    return { person: id, persons: persons.map(summary), records, kept };
  }

  async disclosures(id: string, after: number, limit: number): Promise<{ person: string; persons: PersonSummary[]; disclosures: Disclosure[]; next: number | null }> {
    const persons = await this.subject(id);
    const pseudonyms = new Set(this.pseudonyms.candidates(this.persons.setOf(persons.filter((p) => p.data.erased !== true))));
    // An erased person can no longer be recognised from the data; the erasure kept the pseudonyms.
    for (const p of persons.filter((x) => x.data.erased === true)) for (const s of (await this.erasure.erasureOf(p.id))?.pseudonyms ?? []) pseudonyms.add(s);
    const entries = await this.log.forPersons([...pseudonyms], after, limit);
    const last = entries[entries.length - 1];
    return {
      person: id,
      persons: persons.map(summary),
      disclosures: entries.map((e) => ({
        seq: e.seq,
        at: e.at,
        kind: e.kind,
        recipient: e.recipient,
        route: e.route,
        entity: e.entity,
        recordId: e.recordId,
        recordVersion: e.recordVersion,
        legalBasis: e.legalBasis,
        purpose: e.purpose,
        fields: e.fields,
      })),
      next: entries.length === limit && last ? last.seq : null,
    };
  }
}
