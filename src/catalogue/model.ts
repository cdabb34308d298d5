import type { JsonObject } from '../core/types.ts';

/** What the catalogue holds: the public entities of the canonical model that describe learning. */
export const CATALOGUE_ENTITIES = ['programme', 'course', 'offering', 'academic-term'] as const;
export type CatalogueKind = (typeof CATALOGUE_ENTITIES)[number];

export interface LocalizedText {
  lang: string;
  text: string;
}

/** One item of the read model: the canonical record and what the catalogue filters and sorts on. */
export interface CatalogueItem {
  id: string;
  kind: CatalogueKind;
  institution: string;
  sourceId: string;
  /** institution|sourceId: how records of one source refer to each other. */
  key: string;
  code: string | undefined;
  titleLv: string;
  titleEn: string;
  record: JsonObject;
  seq: number;
}

/** Filters of a catalogue search; every one optional. */
export interface CatalogueFilter {
  kind: CatalogueKind;
  q?: string;
  institutions?: string[];
  iscedF?: string;
  eqfLevel?: number;
  lkiLevel?: number;
  levelOfStudy?: string;
  language?: string;
  mode?: string;
  /** An academic term: courses with an offering in it (term hub id or term code). */
  term?: string;
  minCredits?: number;
  maxCredits?: number;
  openToOtherInstitutions?: boolean;
  microCredential?: boolean;
  code?: string;
  /** Items linked to this one: courses of a programme, offerings of a course or of a term. */
  parent?: { kind: CatalogueKind; id: string };
}

export type CatalogueSort = 'relevance' | 'name' | '-name' | 'id' | '-id' | 'code' | 'credits' | '-credits';

export interface CatalogueQuery extends CatalogueFilter {
  sort?: CatalogueSort;
  /** Language of the name to sort by. */
  lang?: 'lv' | 'en';
  limit: number;
  offset: number;
}

export interface FacetCount {
  value: string;
  count: number;
}

export interface CatalogueResult {
  items: CatalogueItem[];
  total: number;
}

/** Facets a search can count over its hits. */
export const FACETS = ['institution', 'iscedF', 'eqfLevel', 'levelOfStudy', 'language', 'mode', 'term', 'open', 'micro'] as const;
export type FacetName = (typeof FACETS)[number];
