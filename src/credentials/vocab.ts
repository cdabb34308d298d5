/**
 * The EU controlled vocabularies an EDC credential points to (concept ids as in the ELM v3 samples and
 * controlled-vocabulary XSDs), and the small builders of ELM nodes the credential shapes share.
 */

export const VC_V1_CONTEXT = 'https://www.w3.org/2018/credentials/v1';
export const EDC_CONTEXT = 'http://data.europa.eu/snb/model/context/edc-ap';
/** The SHACL shapes of the EDC application profile (as the official samples name them). */
export const EDC_SHAPES = 'http://data.europa.eu/snb/model/ap/edc-generic-full';

/** A language map: text per two-letter language (ELM `rdf:langString` in JSON-LD). */
export type LanguageMap = Record<string, string>;
export type Node = Record<string, unknown>;

export interface Concept extends Node {
  id: string;
  type: 'Concept';
  inScheme: { id: string; type: 'ConceptScheme' };
  prefLabel: LanguageMap;
  notation?: string;
}

export function concept(id: string, scheme: string, prefLabel: LanguageMap, notation?: string): Concept {
  return { id, type: 'Concept', inScheme: { id: scheme, type: 'ConceptScheme' }, ...(notation ? { notation } : {}), prefLabel };
}

/** Credential types (europass-credential-types.xsd). */
export const CREDENTIAL_TYPE = {
  qualificationAward: concept('http://data.europa.eu/snb/credential/6cf8e68c43', 'http://data.europa.eu/snb/credential/25831c2', { en: 'Qualification Award' }),
  generic: concept('http://data.europa.eu/snb/credential/e34929035b', 'http://data.europa.eu/snb/credential/25831c2', { en: 'Generic' }),
};

export function eqfLevel(level: number): Concept {
  return concept(`http://data.europa.eu/snb/eqf/${level}`, 'http://data.europa.eu/snb/eqf/25831c2', { en: `Level ${level}` });
}

export function iscedF(code: string): Concept {
  return concept(`http://data.europa.eu/snb/isced-f/${code}`, 'http://data.europa.eu/snb/isced-f/25831c2', { en: code }, code);
}

export const ECTS = concept('http://data.europa.eu/snb/education-credit/6fcec5c5af', 'http://data.europa.eu/snb/education-credit/25831c2', { en: 'European Credit Transfer System' });

const LANGUAGES: Record<string, [string, LanguageMap]> = {
  lv: ['LAV', { en: 'Latvian', lv: 'latviešu valoda' }],
  en: ['ENG', { en: 'English', lv: 'angļu valoda' }],
};

/** An EU language authority concept for `lv` or `en`. */
export function language(code: 'lv' | 'en'): Concept {
  const [iso3, label] = LANGUAGES[code] as [string, LanguageMap];
  return concept(`http://publications.europa.eu/resource/authority/language/${iso3}`, 'http://publications.europa.eu/resource/authority/language', label, 'language');
}

/** ISO 3166-1 alpha-2 → EU country authority code and English name (EU and EEA, and a few neighbours). */
const COUNTRIES: Record<string, [string, string]> = {
  AT: ['AUT', 'Austria'],
  BE: ['BEL', 'Belgium'],
  BG: ['BGR', 'Bulgaria'],
  CH: ['CHE', 'Switzerland'],
  CY: ['CYP', 'Cyprus'],
  CZ: ['CZE', 'Czechia'],
  DE: ['DEU', 'Germany'],
  DK: ['DNK', 'Denmark'],
  EE: ['EST', 'Estonia'],
  ES: ['ESP', 'Spain'],
  FI: ['FIN', 'Finland'],
  FR: ['FRA', 'France'],
  GR: ['GRC', 'Greece'],
  HR: ['HRV', 'Croatia'],
  HU: ['HUN', 'Hungary'],
  IE: ['IRL', 'Ireland'],
  IS: ['ISL', 'Iceland'],
  IT: ['ITA', 'Italy'],
  LI: ['LIE', 'Liechtenstein'],
  LT: ['LTU', 'Lithuania'],
  LU: ['LUX', 'Luxembourg'],
  LV: ['LVA', 'Latvia'],
  MT: ['MLT', 'Malta'],
  NL: ['NLD', 'Netherlands'],
  NO: ['NOR', 'Norway'],
  PL: ['POL', 'Poland'],
  PT: ['PRT', 'Portugal'],
  RO: ['ROU', 'Romania'],
  SE: ['SWE', 'Sweden'],
  SI: ['SVN', 'Slovenia'],
  SK: ['SVK', 'Slovakia'],
  UA: ['UKR', 'Ukraine'],
  GB: ['GBR', 'United Kingdom'],
};

/** The EU country authority concept of an ISO 3166-1 alpha-2 code, or undefined for one not in the table. */
export function country(alpha2: string): Concept | undefined {
  const c = COUNTRIES[alpha2];
  if (!c) return undefined;
  return concept(
    `http://publications.europa.eu/resource/authority/country/${c[0]}`,
    'http://publications.europa.eu/resource/authority/country',
    alpha2 === 'LV' ? { en: c[1], lv: 'Latvija' } : { en: c[1] },
    'country',
  );
}

export const BASE64 = concept('http://data.europa.eu/snb/encoding/6146cde7dd', 'http://data.europa.eu/snb/encoding/25831c2', { en: 'base64' });

export function fileType(kind: 'PNG' | 'JPEG'): Concept {
  return concept(`http://publications.europa.eu/resource/authority/file-type/${kind}`, 'http://publications.europa.eu/resource/authority/file-type', { en: kind }, 'file-type');
}

/** The issuer id the hub writes for an institution: its SCHAC code (EWP hei_id) as a URN; verify.ts reads it back. */
export function issuerUri(heiId: string): string {
  return `urn:schac:homeOrganization:${heiId}`;
}

/** The SCHAC code of an issuer id written by `issuerUri`, or undefined. */
export function heiIdOf(issuerId: unknown): string | undefined {
  if (typeof issuerId !== 'string') return undefined;
  const m = /^urn:schac:homeOrganization:([a-z0-9.-]+)$/.exec(issuerId);
  return m?.[1];
}

/** A date-time as ELM and JAdES write it: UTC, to the second (`2024-06-21T15:00:00Z`). */
export function isoSeconds(d: Date): string {
  return d.toISOString().replace(/\.\d{3}Z$/, 'Z');
}
