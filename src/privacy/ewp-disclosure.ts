import type { LegalBasis } from '../config/types.ts';
import type { JsonObject } from '../core/types.ts';
import type { LoggedEntry } from './disclosure-log.ts';
import { holdsPersonalData, SUBJECTS } from './personal.ts';
import type { Privacy } from './service.ts';

/** A canonical record (or the part of it) that an EWP response handed to a partner. */
export interface ServedRecord {
  entity: string;
  id: string;
  institution: string;
  sourceId: string;
  version: number;
  data: JsonObject;
  /** The record fields the response carried (an EWP document is a projection, never the whole record). */
  fields: readonly string[];
}

export interface ServedDisclosure {
  /** The partner HEI (SCHAC id) that received the data. */
  recipient: string;
  /** What the log names as the channel, e.g. `ewp:imobility-tors/get`. */
  route: string;
  legalBasis: LegalBasis;
  purpose: string;
  records: readonly ServedRecord[];
}

/**
 * Records in the disclosure log what an EWP endpoint served to a partner: one entry per record
 * that holds personal data, with the person's pseudonym, the partner as recipient and the fields
 * sent. Unlike route deliveries there is no change event: each answered request is a disclosure
 * of its own, so nothing is deduplicated.
 */
export async function logServedRecords(privacy: Privacy, d: ServedDisclosure): Promise<LoggedEntry[]> {
  const out: LoggedEntry[] = [];
  for (const r of d.records) {
    if (!holdsPersonalData(r.entity)) continue;
    const subject = SUBJECTS[r.entity] ? await privacy.persons.subjectOf(r.entity, { ...r.data, id: r.id, sourceId: r.sourceId }, r.institution, false) : undefined;
    const entry = await privacy.log.append({
      kind: 'disclosure',
      person: privacy.pseudonyms.of(subject?.primary),
      recipient: d.recipient,
      route: d.route,
      entity: r.entity,
      recordId: r.id,
      recordVersion: r.version,
      legalBasis: d.legalBasis,
      purpose: d.purpose,
      fields: [...r.fields],
      eventId: null,
    });
    if (entry) out.push(entry);
  }
  return out;
}
