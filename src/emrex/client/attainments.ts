import type { JsonObject } from '../../core/types.ts';
import { schemeCode } from '../../ewp/client/parse-tor.ts';
import { attr, child, childText, children, descendants, text, type XElem } from '../../ewp/xml/parse.ts';

const SCHAC = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** A result of the document that is not taken in, and why (shown to the admin; names no personal data). */
export interface LeftOut {
  issuer: string;
  title: string;
  reason: string;
}

/** What an ELMO document brings in for one institution. */
export interface Incoming {
  attainments: JsonObject[];
  leftOut: LeftOut[];
}

function idOf(e: XElem, type: string): string | undefined {
  const ids = children(e, 'identifier');
  return text(ids.find((i) => attr(i, 'type') === type)).trim() || undefined;
}

/** The English title, else the first. */
function titleOf(e: XElem): string | undefined {
  const titles = children(e, 'title');
  const en = titles.find((t) => attr(t, 'lang', 'http://www.w3.org/XML/1998/namespace') === 'en');
  return text(en ?? titles[0]).trim() || undefined;
}

/**
 * The results of an ELMO document (one `report` per issuing institution) as canonical attainments of the
 * receiving institution: type `transfer`, `recognitionStatus` pending, the origin (issuer, title, grade and
 * credits as obtained) under `recognised`, the grade in the issuer's scheme, the person the hub's own record.
 * Taken: every learning opportunity but degree programmes (those are awards) whose instance has a result
 * (a grade, or the status passed) with ECTS credits and a date. Others are listed as left out with the reason.
 * A result's source id is built from the issuer, its code and date, so the same result brought in twice is
 * the same record.
 */
export function incomingResults(elmo: XElem, o: { institution: string; personId: string; contactPoint: string; receivedOn: string }): Incoming {
  const attainments: JsonObject[] = [];
  const leftOut: LeftOut[] = [];
  for (const report of children(elmo, 'report')) {
    const issuer = child(report, 'issuer');
    const schac = issuer ? idOf(issuer, 'schac')?.toLowerCase() : undefined;
    const issuerId = schac && SCHAC.test(schac) ? schac : undefined;
    const issuerName = (issuer ? (titleOf(issuer) ?? idOf(issuer, 'erasmus')) : undefined) ?? 'unknown issuer';
    for (const los of descendants(report).filter((e) => e.local === 'learningOpportunitySpecification' && e.ns === elmo.ns)) {
      const title = titleOf(los) ?? '(untitled)';
      const skip = (reason: string) => leftOut.push({ issuer: issuerId ?? issuerName, title, reason });
      if ((childText(los, 'type') ?? '').trim().toLowerCase() === 'degree programme') continue;
      const spec = child(los, 'specifies');
      const loi = spec ? child(spec, 'learningOpportunityInstance') : undefined;
      if (!loi) continue;
      const status = (childText(loi, 'status') ?? '').trim().toLowerCase();
      const label = (childText(loi, 'resultLabel') ?? '').trim();
      if (status === 'failed' || status === 'in-progress' || (!label && status !== 'passed')) {
        skip(status ? `status ${status}` : 'no result');
        continue;
      }
      const ects = children(loi, 'credit').find((c) => (childText(c, 'scheme') ?? '').trim().toLowerCase() === 'ects');
      const ectsValue = ects ? Number((childText(ects, 'value') ?? '').trim()) : NaN;
      if (!Number.isFinite(ectsValue) || ectsValue < 0 || ectsValue > 1000) {
        skip('no ECTS credits');
        continue;
      }
      const term = child(loi, 'academicTerm');
      const date = (childText(loi, 'date') ?? (term ? childText(term, 'end') : undefined) ?? childText(loi, 'start') ?? '').trim().slice(0, 10);
      if (!/^\d{4}-\d{2}-\d{2}$/.test(date)) {
        skip('no date');
        continue;
      }
      const grade = label ? { value: label.slice(0, 20), scheme: schemeCode(childText(loi, 'gradingSchemeLocalId')?.trim()) } : { value: 'passed', scheme: 'PASS_FAIL' };
      const credits = { value: ectsValue, scheme: 'ECTS' };
      const code = idOf(los, 'local') ?? idOf(loi, 'local') ?? title;
      attainments.push({
        institution: o.institution,
        sourceId: `emrex/${issuerId ?? issuerName}/${code}/${date}`.slice(0, 200),
        identifiers: [],
        person: { id: o.personId },
        course: { identifiers: [{ scheme: 'local-code', value: code.slice(0, 200), ...(issuerId ? { issuer: issuerId } : {}) }], ...(issuerId ? { institution: issuerId } : {}) },
        grade,
        credits,
        date,
        type: 'transfer',
        recognitionStatus: 'pending',
        recognised: {
          ...(issuerId ? { fromInstitution: issuerId } : {}),
          originalTitle: title.slice(0, 500),
          originalGrade: grade,
          originalCredits: credits,
          note: `Received through EMREX from ${o.contactPoint} on ${o.receivedOn} (issued by ${issuerName}); recognition decision pending.`.slice(0, 1000),
        },
      });
    }
  }
  return { attainments, leftOut };
}
