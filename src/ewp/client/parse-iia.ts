import type { JsonObject } from '../../core/types.ts';
import { NS } from '../xml/ns.ts';
import { attr, child, childText, children, elements, text, type XElem } from '../xml/parse.ts';

const TYPE_OF: Record<string, string> = {
  'student-studies-mobility-spec': 'student-studies',
  'student-traineeship-mobility-spec': 'student-traineeship',
  'staff-teacher-mobility-spec': 'staff-teaching',
  'staff-training-mobility-spec': 'staff-training',
};
const CEFR = new Set(['A1', 'A2', 'B1', 'B2', 'C1', 'C2']);

const compact = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)));

/** A c:Contact as a canonical contact (name, e-mail, phone, position), or undefined without a name. */
export function contactOf(c: XElem | undefined): JsonObject | undefined {
  if (!c) return undefined;
  const name = childText(c, 'contact-name', NS.contact);
  if (!name) return undefined;
  const phone = child(c, 'phone-number', NS.phone);
  const e164 = phone ? (childText(phone, 'e164', NS.phone) ?? childText(phone, 'other-format', NS.phone)) : undefined;
  return compact({
    name,
    email: childText(c, 'email', NS.contact),
    phone: e164 && /^\+?[0-9 ()-]{5,30}$/.test(e164) ? e164 : undefined,
    position: childText(c, 'role-description', NS.contact),
  });
}

function condition(spec: XElem): JsonObject | undefined {
  const type = TYPE_OF[spec.local];
  if (!type) return undefined;
  const t = (n: string) => childText(spec, n);
  const numOf = (n: string) => (t(n) !== undefined ? Number(t(n)) : undefined);
  return compact({
    type,
    sendingHei: t('sending-hei-id'),
    sendingOunitId: t('sending-ounit-id'),
    receivingHei: t('receiving-hei-id'),
    receivingOunitId: t('receiving-ounit-id'),
    academicYears: { first: t('receiving-first-academic-year-id'), last: t('receiving-last-academic-year-id') },
    mobilitiesPerYear: numOf('mobilities-per-year'),
    totalMonthsPerYear: numOf('total-months-per-year'),
    totalDaysPerYear: numOf('total-days-per-year'),
    subjectAreas: children(spec, 'subject-area').map((s) => compact({ iscedF: childText(s, 'isced-f-code'), clarification: childText(s, 'isced-clarification') })),
    eqfLevels: children(spec, 'eqf-level').map((e) => Number(text(e).trim())),
    blended: t('blended') === undefined ? undefined : t('blended') === 'true' || t('blended') === '1',
    languageSkills: children(spec, 'recommended-language-skill')
      .filter((l) => attr(l, 'not-yet-defined') !== 'true' && attr(l, 'not-yet-defined') !== '1')
      .map((l) => {
        const cefr = childText(l, 'cefr-level');
        return compact({ language: childText(l, 'language')?.toLowerCase(), cefrLevel: cefr && CEFR.has(cefr) ? cefr : undefined });
      }),
    otherInfo: t('other-info-terms'),
  });
}

/**
 * A partner's `<iia>` (IIAs 7) as a canonical inter-institutional-agreement, the partner's copy:
 * its partners in the order served (the owner first), its cooperation conditions, the years they
 * span. Undefined when the owner's iia-id is missing.
 */
export function iiaFromXml(iia: XElem): JsonObject | undefined {
  const partners = children(iia, 'partner');
  const owner = partners[0];
  const iiaId = owner ? childText(owner, 'iia-id') : undefined;
  const ownerHei = owner ? childText(owner, 'hei-id') : undefined;
  if (!iiaId || !ownerHei) return undefined;
  const cc = child(iia, 'cooperation-conditions');
  const conditions = cc
    ? elements(cc)
        .map(condition)
        .filter((c): c is JsonObject => !!c)
    : [];
  const years = conditions
    .flatMap((c) => {
      const y = c.academicYears as { first?: string; last?: string };
      return [Number(y.first?.slice(0, 4)), Number(y.last?.slice(5, 9))];
    })
    .filter(Number.isFinite);
  const terminated = cc ? attr(cc, 'terminated-as-a-whole') : undefined;
  return compact({
    iiaId,
    iiaCode: childText(owner!, 'iia-code'),
    identifiers: [{ scheme: 'iia-id', value: iiaId, issuer: ownerHei }],
    partners: partners.map((p) =>
      compact({
        heiId: childText(p, 'hei-id'),
        ounitId: childText(p, 'ounit-id'),
        iiaId: childText(p, 'iia-id'),
        iiaCode: childText(p, 'iia-code'),
        contact: contactOf(child(p, 'signing-contact')),
        signingDate: childText(p, 'signing-date'),
      }),
    ),
    cooperationConditions: conditions,
    startYear: years.length ? Math.min(...years) : undefined,
    endYear: years.length ? Math.max(...years) : undefined,
    terminatedAsAWhole: terminated === 'true' || terminated === '1' ? true : undefined,
  });
}

/** Source id of a partner's IIA copy at our HEI. */
export const iiaCopyId = (ownerHei: string, iiaId: string) => `iia/${ownerHei}/${iiaId}`;
