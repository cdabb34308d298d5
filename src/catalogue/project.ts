import type { JsonObject } from '../core/types.ts';
import type { CatalogueKind, FacetName, LocalizedText } from './model.ts';

/**
 * What the read model stores of a canonical programme, course, offering or academic term: the
 * columns it filters and sorts on, the facet values it counts, and the text it searches (titles and
 * codes weigh more than descriptions). Pure: a record in, a row out.
 */
export interface Projection {
  code: string | undefined;
  titleLv: string;
  titleEn: string;
  /** Credits in ECTS (legacy Latvian credit points are 1.5 ECTS each); undefined for another scheme. */
  ects: number | undefined;
  /** Key (institution|sourceId) of the parent: a course's programme, an offering's course. */
  parentKey: string | undefined;
  /** An offering's term key. */
  termKey: string | undefined;
  /** Keys of linked records: a programme's courses. */
  links: string[];
  facets: [FacetName, string][];
  /** Weighted search text: a = titles and codes, b = descriptions, outcomes, assessment. */
  textA: string;
  textB: string;
}

const str = (v: unknown): string | undefined => (typeof v === 'string' && v ? v : undefined);
const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);

/** The localized strings of a field (a missing or malformed field is none). */
export function texts(v: unknown): LocalizedText[] {
  return Array.isArray(v) ? v.filter((t): t is LocalizedText => !!t && typeof t === 'object' && typeof (t as LocalizedText).text === 'string') : [];
}

/** The text in a language, else in the other one, else the first there is. */
export function textIn(v: unknown, lang: string): string | undefined {
  const all = texts(v);
  return (all.find((t) => t.lang === lang) ?? all.find((t) => t.lang.startsWith(lang)) ?? all.find((t) => t.lang === (lang === 'lv' ? 'en' : 'lv')) ?? all[0])?.text;
}

/** A reference's key in the institution of the referring record (id refs are keyed by id). */
export function refKey(ref: unknown, institution: string): string | undefined {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as JsonObject;
  const inst = str(r.institution) ?? institution;
  if (str(r.sourceId)) return `${inst}|${r.sourceId as string}`;
  if (str(r.id)) return `id:${r.id as string}`;
  return undefined;
}

export function ectsOf(credits: unknown): number | undefined {
  if (!credits || typeof credits !== 'object') return undefined;
  const c = credits as JsonObject;
  const value = num(c.value);
  if (value === undefined) return undefined;
  if (c.scheme === 'ECTS') return value;
  if (c.scheme === 'LV_KP_LEGACY') return Math.round(value * 1.5 * 100) / 100;
  return undefined;
}

function languagesOf(r: JsonObject): string[] {
  const list = Array.isArray(r.teachingLanguages) ? r.teachingLanguages.filter((x): x is string => typeof x === 'string') : [];
  const main = str(r.language);
  return [...new Set([...(main ? [main] : []), ...list])];
}

function modesOf(r: JsonObject): string[] {
  if (Array.isArray(r.modesOfDelivery)) return r.modesOfDelivery.filter((x): x is string => typeof x === 'string');
  return str(r.modeOfDelivery) ? [r.modeOfDelivery as string] : [];
}

const allText = (v: unknown): string =>
  texts(v)
    .map((t) => t.text)
    .join(' ');

export function project(kind: CatalogueKind, r: JsonObject, institution: string): Projection {
  const name = kind === 'offering' ? undefined : r.name;
  const facets: [FacetName, string][] = [['institution', institution]];
  const add = (f: FacetName, v: string | number | boolean | undefined) => {
    if (v !== undefined && v !== '') facets.push([f, String(v)]);
  };
  add('iscedF', str(r.iscedF));
  add('eqfLevel', num(r.eqfLevel));
  add('levelOfStudy', str(r.levelOfStudy));
  for (const l of languagesOf(r)) add('language', l);
  for (const m of modesOf(r)) add('mode', m);
  if (typeof r.openToOtherInstitutions === 'boolean') add('open', r.openToOtherInstitutions);
  if (typeof r.microCredential === 'boolean') add('micro', r.microCredential);
  const code = str(r.code) ?? (kind === 'programme' ? str(r.likCode) : undefined);
  const outcomes = Array.isArray(r.learningOutcomes) ? r.learningOutcomes.map(allText).join(' ') : '';
  return {
    code,
    titleLv: textIn(name, 'lv') ?? code ?? '',
    titleEn: textIn(name, 'en') ?? code ?? '',
    ects: ectsOf(r.credits),
    parentKey: kind === 'course' ? refKey(r.programme, institution) : kind === 'offering' ? refKey(r.course, institution) : undefined,
    termKey: kind === 'offering' ? refKey(r.term, institution) : undefined,
    links: kind === 'programme' && Array.isArray(r.courses) ? r.courses.map((c) => refKey(c, institution)).filter((k): k is string => !!k) : [],
    facets,
    textA: [allText(name), code, kind === 'programme' ? str(r.likCode) : undefined].filter(Boolean).join(' '),
    textB: [allText(r.description), outcomes, allText(r.assessment), allText(r.prerequisites)].filter(Boolean).join(' '),
  };
}
