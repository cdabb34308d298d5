import { v5 as uuidv5 } from 'uuid';
import type { JsonObject } from '../../core/types.ts';
import type { CatalogueItem } from '../model.ts';
import { ectsOf, texts } from '../project.ts';

/**
 * Catalogue items as OOAPI 5 objects (../shared/standards/ooapi/v5/ooapi.yaml): Course, Program,
 * CourseOffering, AcademicSession and Organization. What OOAPI has no field for (LKI level, credits in
 * their own scheme, the Latvian flags, ESCO skills) is under `ext`.
 */

export interface Institution {
  id: string;
  name: string;
  erasmusCode?: string;
}

/** LanguageTypedString[]: the preferred language first. */
export type Lts = { language: string; value: string }[];

const NAMESPACE = '6f1c2a8e-3b4d-5e6f-8a9b-0c1d2e3f4a5b';

/** An institution's OOAPI organizationId: a UUID derived from its SCHAC code (stable, no table needed). */
export function organizationId(schac: string): string {
  return uuidv5(`schac:${schac}`, NAMESPACE);
}

/** ISO 639-1 (the canonical model) → ISO 639-2/T (OOAPI teachingLanguage). */
const LANG3: Record<string, string> = { lv: 'lav', en: 'eng', ru: 'rus', de: 'deu', fr: 'fra', et: 'est', lt: 'lit', es: 'spa', it: 'ita', pl: 'pol', sv: 'swe', fi: 'fin', uk: 'ukr' };
export const LANG2 = Object.fromEntries(Object.entries(LANG3).map(([k, v]) => [v, k]));

const MODES: Record<string, string> = { 'in-person': 'on campus', online: 'online', blended: 'hybrid' };
export const MODES_BACK: Record<string, string> = { 'on campus': 'in-person', online: 'online', hybrid: 'blended' };
const LEVELS: Record<string, string> = { 'short-cycle': 'associate degree', bachelor: 'bachelor', master: 'master', doctoral: 'doctoral' };
export const LEVELS_BACK: Record<string, string> = { 'associate degree': 'short-cycle', bachelor: 'bachelor', master: 'master', doctoral: 'doctoral' };
const TERM_TYPES: Record<string, string> = { 'academic-year': 'academic year', semester: 'semester', trimester: 'trimester', quarter: 'quarter', summer: 'period', other: 'period' };

export function lts(v: unknown, prefer: string): Lts {
  const all = texts(v).map((t) => ({ language: t.lang, value: t.text }));
  return [...all.filter((t) => t.language === prefer), ...all.filter((t) => t.language !== prefer)];
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const lang3 = (v: unknown): string => LANG3[String(v)] ?? 'und';

function teaching(r: JsonObject): string {
  const list = Array.isArray(r.teachingLanguages) ? r.teachingLanguages : [];
  return lang3(str(r.language) ?? list[0] ?? 'lv');
}

function modes(r: JsonObject): string[] | undefined {
  const list = Array.isArray(r.modesOfDelivery) ? r.modesOfDelivery : str(r.modeOfDelivery) ? [r.modeOfDelivery] : [];
  const out = list.map((m) => MODES[String(m)]).filter((m): m is string => !!m);
  return out.length ? out : undefined;
}

function otherCodes(r: JsonObject): { codeType: string; code: string }[] | undefined {
  const ids = Array.isArray(r.identifiers) ? (r.identifiers as { scheme: string; value: string }[]) : [];
  const out = ids.filter((i) => i.scheme !== 'local-code').map((i) => ({ codeType: `x-${i.scheme}`, code: i.value }));
  return out.length ? out : undefined;
}

function studyLoad(r: JsonObject): { studyLoadUnit: string; value: number } | undefined {
  const ects = ectsOf(r.credits);
  return ects === undefined ? undefined : { studyLoadUnit: 'ects', value: ects };
}

function link(r: JsonObject): string | undefined {
  const links = Array.isArray(r.links) ? (r.links as { url?: string }[]) : [];
  return links[0]?.url;
}

/** Drops undefined members (OOAPI objects carry no nulls for absent data). */
function clean<T extends JsonObject>(o: T): T {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined)) as T;
}

/** What the catalogue knows beyond OOAPI, under ext. */
function ext(item: CatalogueItem, elmUrl: string | undefined): JsonObject {
  const r = item.record;
  return clean({
    institution: item.institution,
    credits: r.credits,
    eqfLevel: r.eqfLevel,
    lkiLevel: r.lkiLevel,
    levelOfStudy: r.levelOfStudy,
    microCredential: r.microCredential,
    openToOtherInstitutions: r.openToOtherInstitutions,
    escoSkills: r.escoSkills,
    prerequisites: r.prerequisites,
    teachingLanguages: r.teachingLanguages,
    contact: r.contact,
    fees: r.fees,
    links: r.links,
    ...(elmUrl ? { europass: elmUrl } : {}),
  });
}

export interface ShapeContext {
  lang: string;
  /** Public base URL of the hub (for links to ELM documents). */
  baseUrl: string;
}

export function courseOf(item: CatalogueItem, c: ShapeContext): JsonObject {
  const r = item.record;
  const name = lts(r.name, c.lang);
  const description = lts(r.description, c.lang);
  const assessment = lts(r.assessment, c.lang);
  const outcomes = Array.isArray(r.learningOutcomes) ? r.learningOutcomes.map((o) => lts(o, c.lang)).filter((o) => o.length) : [];
  return clean({
    courseId: item.id,
    primaryCode: { codeType: 'identifier', code: item.code ?? item.sourceId },
    name,
    abbreviation: item.code ?? item.sourceId,
    studyLoad: studyLoad(r),
    modeOfDelivery: modes(r),
    description: description.length ? description : name,
    teachingLanguage: teaching(r),
    fieldsOfStudy: str(r.iscedF),
    learningOutcomes: outcomes.length ? outcomes : undefined,
    level: LEVELS[String(r.levelOfStudy)] ?? 'undefined',
    assessment: assessment.length ? assessment : undefined,
    link: link(r),
    otherCodes: otherCodes(r),
    organization: organizationId(item.institution),
    validFrom: str(r.validFrom),
    validTo: str(r.validTo),
    ext: ext(item, `${c.baseUrl}/catalogue/elm/courses/${item.id}`),
  });
}

export function programOf(item: CatalogueItem, c: ShapeContext): JsonObject {
  const r = item.record;
  const name = lts(r.name, c.lang);
  const description = lts(r.description, c.lang);
  const outcomes = Array.isArray(r.learningOutcomes) ? r.learningOutcomes.map((o) => lts(o, c.lang)).filter((o) => o.length) : [];
  const admission = lts(r.admission, c.lang);
  const years = typeof r.durationYears === 'number' ? r.durationYears : undefined;
  return clean({
    programId: item.id,
    primaryCode: { codeType: 'programCode', code: item.sourceId },
    programType: 'program',
    name,
    abbreviation: item.sourceId,
    description: description.length ? description : name,
    teachingLanguage: teaching(r),
    studyLoad: studyLoad(r),
    modeOfStudy: r.studyForm === 'part-time' ? 'part-time' : r.studyForm === 'full-time' ? 'full-time' : undefined,
    modeOfDelivery: modes(r),
    duration: years !== undefined ? (Number.isInteger(years) ? `P${years}Y` : `P${Math.round(years * 12)}M`) : undefined,
    levelOfQualification: typeof r.eqfLevel === 'number' ? String(r.eqfLevel) : undefined,
    level: LEVELS[String(r.levelOfStudy)] ?? 'undefined',
    sector: 'university education',
    fieldsOfStudy: str(r.iscedF),
    learningOutcomes: outcomes.length ? outcomes : undefined,
    admissionRequirements: admission.length ? admission : undefined,
    link: link(r),
    otherCodes: otherCodes(r),
    organization: organizationId(item.institution),
    validFrom: str(r.validFrom),
    validTo: str(r.validTo),
    ext: ext(item, `${c.baseUrl}/catalogue/elm/programmes/${item.id}`),
  });
}

export function academicSessionOf(item: CatalogueItem, c: ShapeContext): JsonObject {
  const r = item.record;
  return clean({
    academicSessionId: item.id,
    academicSessionType: TERM_TYPES[String(r.termType)] ?? undefined,
    primaryCode: { codeType: 'identifier', code: item.code ?? item.sourceId },
    name: lts(r.name, c.lang),
    startDate: str(r.start),
    endDate: str(r.end),
    ext: { institution: item.institution, academicYear: r.academicYear },
  });
}

/** A course offering; its dates are its own period, else its term's. */
export function offeringOf(item: CatalogueItem, course: CatalogueItem | undefined, term: CatalogueItem | undefined, c: ShapeContext): JsonObject {
  const r = item.record;
  const cr = course?.record ?? {};
  const period = (r.period ?? {}) as JsonObject;
  const name = lts(cr.name, c.lang);
  const description = lts(cr.description, c.lang);
  const fallback = [{ language: 'lv', value: item.code ?? item.sourceId }];
  return clean({
    offeringId: item.id,
    primaryCode: { codeType: 'offeringCode', code: item.code ?? item.sourceId },
    offeringType: 'course',
    academicSession: term?.id,
    name: name.length ? name : fallback,
    abbreviation: item.code,
    description: description.length ? description : name.length ? name : fallback,
    teachingLanguage: lang3(str(r.language) ?? str(cr.language) ?? 'lv'),
    modeOfDelivery: modes(r) ?? modes(cr),
    maxNumberStudents: typeof r.capacity === 'number' ? r.capacity : undefined,
    resultExpected: true,
    startDate: str(period.start) ?? str(term?.record.start) ?? str(cr.validFrom) ?? '1970-01-01',
    endDate: str(period.end) ?? str(term?.record.end) ?? str(cr.validTo) ?? '9999-12-31',
    course: course?.id,
    ext: clean({ institution: item.institution, openToOtherInstitutions: r.openToOtherInstitutions, fees: r.fees }),
  });
}

export function organizationOf(inst: Institution): JsonObject {
  return clean({
    organizationId: organizationId(inst.id),
    primaryCode: { codeType: 'schacHome', code: inst.id },
    organizationType: 'root',
    name: [{ language: 'lv', value: inst.name }],
    shortName: inst.id,
    otherCodes: inst.erasmusCode ? [{ codeType: 'x-erasmus', code: inst.erasmusCode }] : undefined,
  });
}
