import type { LearnerCredentials } from '../emrex/learner/types.ts';
import { logServedRecords } from '../privacy/ewp-disclosure.ts';
import type { Privacy } from '../privacy/service.ts';
import type { RecordReader } from '../store/records.ts';
import type { Credentials } from './service.ts';

/**
 * The learner's digital diplomas for the learner's page (src/emrex/learner/): the credentials issued to
 * any of the signed-in learner's person records, and the sealed file of one of them — only the learner's
 * own; each download is a disclosure in the log (recipient: the learner).
 */
export function learnerCredentials(deps: { credentials: Pick<Credentials, 'list' | 'get' | 'diplomasOf'>; reader: RecordReader; privacy: Privacy }): LearnerCredentials {
  return {
    forAwards: (awardIds) => deps.credentials.diplomasOf(awardIds),
    async ofPersons(personIds) {
      const items = await deps.credentials.list({ personIds, limit: 200 });
      return items.map((c) => ({
        id: c.id,
        title: Object.fromEntries(c.title.filter((t) => t.lang === 'lv' || t.lang === 'en').map((t) => [t.lang, t.text])),
        institution: c.institution,
        issuedAt: c.issuedAt,
        status: c.status,
      }));
    },
    async download(personIds, id) {
      const c = await deps.credentials.get(id.toLowerCase());
      if (!c || !personIds.includes(c.personId)) return undefined;
      const subject = await deps.reader.byId(c.subjectId, { withDeleted: true });
      await logServedRecords(deps.privacy, {
        recipient: 'learner (their own copy, learner page)',
        route: 'learner:credentials',
        legalBasis: 'public-task',
        purpose: "the graduate's own copy of their digital diploma",
        records: subject ? [{ ...subject, fields: Object.keys(subject.data) }] : [],
      });
      return { contentType: 'application/jose+json', filename: `credential-${c.id}.json`, body: c.sealed };
    },
  };
}
