import type { JsonObject } from '../../core/types.ts';
import { arr, isEwpId, num, obj, str } from '../data.ts';
import { iiaHashes } from '../iia-hash.ts';
import { el, opt, toXml, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { parseXml } from '../xml/parse.ts';

/** Canonical mobility type → IIA v7 mobility-spec element (in the order the XSD wants them). */
export const SPEC_OF: Record<string, string> = {
  'student-studies': 'student-studies-mobility-spec',
  'student-traineeship': 'student-traineeship-mobility-spec',
  'staff-teaching': 'staff-teacher-mobility-spec',
  'staff-training': 'staff-training-mobility-spec',
};
const SPEC_ORDER = Object.keys(SPEC_OF);
/** Mobility specs whose schema needs at least one recommended-language-skill. */
const NEEDS_LANGUAGE = new Set(['student-studies', 'staff-teaching']);

/** A contact (c:Contact): name, phone (E.164 when it is one), e-mail, position as role description. */
export function contactChildren(c: JsonObject | undefined): XmlElement[] {
  if (!c || !str(c.name)) return [];
  const phone = str(c.phone)?.replace(/[\s()-]/g, '');
  return [
    el('c:contact-name', {}, String(c.name)),
    phone ? el('p:phone-number', {}, /^\+\d{1,15}$/.test(phone) ? el('p:e164', {}, phone) : el('p:other-format', {}, String(c.phone))) : undefined,
    opt('c:email', str(c.email)),
    opt('c:role-description', str(c.position)),
  ].filter((x): x is XmlElement => !!x);
}

/**
 * An ISCED-F code as IIA v7 wants it (four digits). A broad or narrow code (2 or 3 digits, valid
 * in v6) is padded with zeros ("not further defined") and keeps its old value in `v6-value`,
 * which the hash XSLT uses and which makes the IIA not valid for approval, as v7 intends.
 */
function isced(code: string): XmlElement {
  if (/^\d{4}$/.test(code)) return el('isced-f-code', {}, code);
  return el('isced-f-code', { 'v6-value': code }, code.padEnd(4, '0'));
}

function spec(c: JsonObject): XmlElement | undefined {
  const type = String(c.type);
  const name = SPEC_OF[type];
  const years = obj(c.academicYears);
  if (!name || !years) return undefined;
  const perYear = num(c.mobilitiesPerYear) ?? 0;
  const langs = arr(c.languageSkills);
  const student = type.startsWith('student-');
  return el(
    name,
    {},
    el('sending-hei-id', {}, String(c.sendingHei)),
    opt('sending-ounit-id', isEwpId(str(c.sendingOunitId)) ? str(c.sendingOunitId) : undefined),
    el('receiving-hei-id', {}, String(c.receivingHei)),
    opt('receiving-ounit-id', isEwpId(str(c.receivingOunitId)) ? str(c.receivingOunitId) : undefined),
    el('receiving-first-academic-year-id', {}, String(years.first)),
    el('receiving-last-academic-year-id', {}, String(years.last)),
    // positiveInteger: a canonical 0 ("none agreed yet") is marked not-yet-defined.
    perYear >= 1 ? el('mobilities-per-year', {}, Math.floor(perYear)) : el('mobilities-per-year', { 'not-yet-defined': 'true' }, 1),
    langs.map((l) => el('recommended-language-skill', {}, el('language', {}, String(l.language)), opt('cefr-level', str(l.cefrLevel)))),
    langs.length === 0 && NEEDS_LANGUAGE.has(type) ? el('recommended-language-skill', { 'not-yet-defined': 'true' }, el('language', {}, 'und')) : undefined,
    arr(c.subjectAreas).map((s) => el('subject-area', {}, isced(String(s.iscedF)), opt('isced-clarification', str(s.clarification)))),
    opt('other-info-terms', str(c.otherInfo)),
    student ? opt('total-months-per-year', num(c.totalMonthsPerYear)) : opt('total-days-per-year', num(c.totalDaysPerYear)),
    student ? el('blended', {}, c.blended === true ? 'true' : 'false') : undefined,
    student && type === 'student-studies' ? arr<number>(c.eqfLevels).map((l) => el('eqf-level', {}, l)) : undefined,
  );
}

/**
 * The `<iia>` element of an own IIA record (without iia-hash), partners ordered with the serving
 * HEI first; undefined when the record cannot be an IIA v7 (not exactly two partners).
 */
function iiaBody(heiId: string, data: JsonObject): XmlElement[] | undefined {
  const partners = arr(data.partners);
  const me = partners.find((p) => p.heiId === heiId);
  const others = partners.filter((p) => p !== me);
  if (!me || others.length !== 1) return undefined;
  const partner = (p: JsonObject, iiaId: string | undefined, iiaCode: string | undefined) =>
    el(
      'partner',
      {},
      el('hei-id', {}, String(p.heiId)),
      opt('ounit-id', isEwpId(str(p.ounitId)) ? str(p.ounitId) : undefined),
      opt('iia-id', isEwpId(iiaId) ? iiaId : undefined),
      opt('iia-code', iiaCode),
      obj(p.contact) ? el('signing-contact', {}, contactChildren(obj(p.contact))) : undefined,
      opt('signing-date', str(p.signingDate)),
    );
  const conditions = [...arr(data.cooperationConditions)].sort((a, b) => SPEC_ORDER.indexOf(String(a.type)) - SPEC_ORDER.indexOf(String(b.type)));
  return [
    partner(me, str(data.iiaId), str(data.iiaCode) ?? str(me.iiaCode)),
    partner(others[0]!, str(others[0]!.iiaId), str(others[0]!.iiaCode)),
    el('in-effect', {}, partners.every((p) => !!str(p.signingDate)) ? 'true' : 'false'),
    el('cooperation-conditions', data.terminatedAsAWhole === true ? { 'terminated-as-a-whole': 'true' } : {}, conditions.map(spec)),
  ];
}

export const IIA_NAMESPACES = { xmlns: NS.iiasGet, 'xmlns:c': NS.contact, 'xmlns:p': NS.phone };

/** The IIA as served, with its v7 hash (computed over the element the partner will receive). */
export function iiaElement(heiId: string, data: JsonObject): { element: XmlElement; hash: string; validForApproval: boolean } | undefined {
  const body = iiaBody(heiId, data);
  if (!body) return undefined;
  const probe = parseXml(toXml(el('iias-get-response', IIA_NAMESPACES, el('iia', {}, body))));
  const h = iiaHashes(probe)[0]!;
  return { element: el('iia', {}, body, el('iia-hash', {}, h.hash)), hash: h.hash, validForApproval: h.validForApproval };
}
