import type { JsonObject } from '../../core/types.ts';
import { attr, child, childText, children, descendants, text, type XElem } from '../xml/parse.ts';

/** A grading scheme id of a partner as a canonical scheme code (upper case, A-Z0-9_). */
export function schemeCode(localId: string | undefined): string {
  const s = (localId ?? 'UNKNOWN')
    .toUpperCase()
    .replace(/[^A-Z0-9_]+/g, '_')
    .replace(/^[^A-Z]+/, '');
  return (s || 'UNKNOWN').slice(0, 50).padEnd(2, '_');
}

/** An identifier of an ELMO element: the one of this type, else the first (ToRs 3 adds ewp-los-id / ewp-loi-id). */
function idOf(e: XElem, ns: string, type: string): string | undefined {
  const ids = children(e, 'identifier', ns);
  return text(ids.find((i) => attr(i, 'type') === type) ?? ids[0]).trim() || undefined;
}

/**
 * The results of a partner's ToR (ELMO inside Incoming Mobility ToRs 3, or ELMO 1 of ToRs 2) as
 * canonical attainments at the sending HEI: type `recognised` with the origin (institution,
 * mobility, title, grade and credits as obtained) and no recognition decision yet; the grade
 * stays in the partner's scheme. The person and mobility references are our own records.
 */
export function attainmentsFromTor(tor: XElem, o: { partner: string; omobilityId: string; person: JsonObject; mobility: JsonObject }): JsonObject[] {
  const elmo = descendants(tor).find((e) => e.local === 'elmo');
  if (!elmo) return [];
  const ns = elmo.ns;
  const out: JsonObject[] = [];
  for (const report of children(elmo, 'report', ns)) {
    const losList = descendants(report).filter((e) => e.local === 'learningOpportunitySpecification' && e.ns === ns);
    for (const los of losList) {
      const spec = child(los, 'specifies', ns);
      const loi = spec ? child(spec, 'learningOpportunityInstance', ns) : undefined;
      if (!loi) continue;
      const code = idOf(los, ns, 'local');
      const loiId = idOf(loi, ns, 'local');
      const title = childText(los, 'title', ns);
      const date = childText(loi, 'date', ns) ?? childText(loi, 'start', ns);
      const ects = children(loi, 'credit', ns).find((c) => childText(c, 'scheme', ns)?.toLowerCase() === 'ects');
      const value = childText(loi, 'resultLabel', ns);
      const grade = value ? { value, scheme: schemeCode(childText(loi, 'gradingSchemeLocalId', ns)) } : undefined;
      const credits = ects && childText(ects, 'value', ns) !== undefined ? { value: Number(childText(ects, 'value', ns)), scheme: 'ECTS' } : undefined;
      const key = loiId ?? code ?? title ?? String(out.length);
      out.push({
        sourceId: `tor/${o.partner}/${o.omobilityId}/${key}`.slice(0, 200),
        identifiers: [],
        person: o.person,
        course: { identifiers: [{ scheme: 'local-code', value: code ?? key, issuer: o.partner }], institution: o.partner },
        ...(grade ? { grade } : {}),
        ...(credits ? { credits } : {}),
        ...(date ? { date: date.slice(0, 10) } : {}),
        type: 'recognised',
        recognised: {
          fromInstitution: o.partner,
          mobility: o.mobility,
          ...(title ? { originalTitle: title } : {}),
          ...(grade ? { originalGrade: grade } : {}),
          ...(credits ? { originalCredits: credits } : {}),
          note: `Transcript of Records received through EWP (${o.partner}); recognition decision pending.`,
        },
      });
    }
  }
  return out;
}
