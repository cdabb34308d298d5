import type { InstitutionConfig } from '../config/types.ts';
import type { CanonicalRecord } from '../core/types.ts';
import { toXml } from '../ewp/xml/build.ts';
import type { RecordReader } from '../store/records.ts';
import { buildElmo, type Diploma } from './elmo.ts';
import type { SealKey } from './keys.ts';
import type { LearnerRecord } from './learner-record.ts';
import { transcriptPdf } from './pdf.ts';
import { sealElmo } from './sign.ts';

/** The active digital diplomas of awards (by award record id): src/credentials/, when wired. */
export type DiplomaLookup = (awardIds: string[]) => Promise<ReadonlyMap<string, Diploma>>;

/**
 * A learner's record (or the part of it chosen) as the sealed ELMO document: the issuers' organisation
 * records looked up, the PDF transcripts in lv and en attached, the whole sealed (src/emrex/sign.ts).
 * The one way both the API (`GET /api/v1/persons/{id}/elmo`) and the contact point make it. An award's
 * digital diploma, when `diplomas` finds one, is attached to its institution's report.
 */
export async function sealedElmo(
  deps: { reader: RecordReader; institutions: readonly InstitutionConfig[]; key: SealKey; diplomas?: DiplomaLookup | undefined },
  record: LearnerRecord,
  now: Date = new Date(),
): Promise<string> {
  const organisations = new Map<string, CanonicalRecord>();
  for (const i of record.institutions) {
    const [o] = await deps.reader.find({ entity: 'organisation', institution: i.institution, where: [{ field: 'type', equals: 'institution' }], limit: 1 });
    if (o) organisations.set(i.institution, o);
  }
  const transcripts = await Promise.all((['lv', 'en'] as const).map(async (lang) => ({ lang, pdf: await transcriptPdf(record, { institutions: deps.institutions, lang, now }) })));
  const awards = record.institutions.flatMap((i) => i.awards.map((w) => w.award.id));
  const diplomas = deps.diplomas && awards.length ? await deps.diplomas(awards) : undefined;
  return sealElmo(toXml(buildElmo(record, { institutions: deps.institutions, organisations, transcripts, now, ...(diplomas ? { diplomas } : {}) })), deps.key);
}
