import type { InstitutionConfig } from '../config/types.ts';
import type { CanonicalRecord } from '../core/types.ts';
import { toXml } from '../ewp/xml/build.ts';
import type { RecordReader } from '../store/records.ts';
import { buildElmo } from './elmo.ts';
import type { SealKey } from './keys.ts';
import type { LearnerRecord } from './learner-record.ts';
import { transcriptPdf } from './pdf.ts';
import { sealElmo } from './sign.ts';

/**
 * A learner's record (or the part of it chosen) as the sealed ELMO document: the issuers' organisation
 * records looked up, the PDF transcripts in lv and en attached, the whole sealed (src/emrex/sign.ts).
 * The one way both the API (`GET /api/v1/persons/{id}/elmo`) and the contact point make it.
 */
export async function sealedElmo(deps: { reader: RecordReader; institutions: readonly InstitutionConfig[]; key: SealKey }, record: LearnerRecord, now: Date = new Date()): Promise<string> {
  const organisations = new Map<string, CanonicalRecord>();
  for (const i of record.institutions) {
    const [o] = await deps.reader.find({ entity: 'organisation', institution: i.institution, where: [{ field: 'type', equals: 'institution' }], limit: 1 });
    if (o) organisations.set(i.institution, o);
  }
  const transcripts = await Promise.all((['lv', 'en'] as const).map(async (lang) => ({ lang, pdf: await transcriptPdf(record, { institutions: deps.institutions, lang, now }) })));
  return sealElmo(toXml(buildElmo(record, { institutions: deps.institutions, organisations, transcripts, now })), deps.key);
}
