import { BadRequestError } from '../../core/errors.ts';
import type { Request } from 'express';
import type { CatalogueQuery, CatalogueSort } from '../model.ts';
import { LANG2, LEVELS_BACK, MODES_BACK } from './shapes.ts';

/** A query parameter OOAPI or the catalogue does not accept, or a bad value: 400 naming it (extra.parameter). */
function paramError(parameter: string, message: string): BadRequestError {
  return new BadRequestError(message, { extra: { parameter }, violations: [{ path: `/query/${parameter}`, message }] });
}

const PAGE_SIZES = [10, 20, 50, 100, 250];
/** Parameters every collection takes (OOAPI's and the catalogue's own filters). */
const COMMON = ['pageSize', 'pageNumber', 'consumer', 'q', 'sort', 'expand', 'primaryCode'];
const FILTERS = [
  'teachingLanguage',
  'level',
  'modeOfDelivery',
  'institution',
  'fieldsOfStudy',
  'eqfLevel',
  'minCredits',
  'maxCredits',
  'academicSession',
  'openToOtherInstitutions',
  'microCredential',
];
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

function one(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw paramError(name, `${name} must be given once, as a plain value`);
  if (v.length > 500) throw paramError(name, `${name} is longer than 500 characters`);
  if (CONTROL.test(v)) throw paramError(name, `${name} contains control characters`);
  return v;
}

function int(req: Request, name: string, min: number, max: number): number | undefined {
  const v = one(req, name);
  if (v === undefined) return undefined;
  if (!/^\d{1,9}$/.test(v) || Number(v) < min || Number(v) > max) throw paramError(name, `${name} must be an integer from ${min} to ${max}`);
  return Number(v);
}

function bool(req: Request, name: string): boolean | undefined {
  const v = one(req, name);
  if (v === undefined) return undefined;
  if (v !== 'true' && v !== 'false') throw paramError(name, `${name} must be true or false`);
  return v === 'true';
}

/** The expand values a request asks for, each one of `allowed`. */
export function expands(req: Request, allowed: readonly string[]): string[] {
  const v = one(req, 'expand');
  if (v === undefined) return [];
  const list = v.split(',').map((s) => s.trim());
  for (const x of list) if (!allowed.includes(x)) throw paramError('expand', `expand: '${x}' is not one of ${allowed.join(', ') || '(none)'}`);
  return list;
}

/** Only the parameters named may be there (a typo is a 400, not an ignored filter). */
export function onlyParams(req: Request, allowed: readonly string[]): void {
  for (const k of Object.keys(req.query)) if (!allowed.includes(k)) throw paramError(k, `unknown query parameter ${k} (accepted: ${allowed.join(', ') || 'none'})`);
}

/** Paging, sorting, search and filters of a collection request. */
export function collectionQuery(
  req: Request,
  kind: CatalogueQuery['kind'],
  idName: string,
  opts: { filters: boolean; expand: readonly string[] },
): CatalogueQuery & { pageSize: number; pageNumber: number } {
  onlyParams(req, [...COMMON, ...(opts.filters ? FILTERS : [])]);
  expands(req, opts.expand);
  const pageSize = int(req, 'pageSize', 1, 250) ?? 10;
  if (!PAGE_SIZES.includes(pageSize)) throw paramError('pageSize', `pageSize must be one of ${PAGE_SIZES.join(', ')}`);
  const pageNumber = int(req, 'pageNumber', 1, 1_000_000) ?? 1;
  const sortParam = one(req, 'sort');
  let sort: CatalogueSort | undefined;
  if (sortParam !== undefined) {
    const first = sortParam.split(',')[0]!.trim();
    const map: Record<string, CatalogueSort> = { name: 'name', '-name': '-name', [idName]: 'id', [`-${idName}`]: 'id' };
    if (first === `-${idName}`) sort = '-id';
    else if (map[first]) sort = map[first];
    else throw paramError('sort', `sort must be one of name, -name, ${idName}, -${idName}`);
  }
  const q: CatalogueQuery & { pageSize: number; pageNumber: number } = { kind, limit: pageSize, offset: (pageNumber - 1) * pageSize, pageSize, pageNumber };
  if (sort) q.sort = sort;
  const text = one(req, 'q');
  if (text !== undefined) q.q = text;
  const code = one(req, 'primaryCode');
  if (code !== undefined) q.code = code;
  if (!opts.filters) return q;
  const tl = one(req, 'teachingLanguage');
  if (tl !== undefined) {
    if (!/^[a-z]{3}$/.test(tl)) throw paramError('teachingLanguage', 'teachingLanguage must be an ISO 639-2 code such as lav or eng');
    q.language = LANG2[tl] ?? tl;
  }
  const level = one(req, 'level');
  if (level !== undefined) {
    if (!LEVELS_BACK[level]) throw paramError('level', `level must be one of ${Object.keys(LEVELS_BACK).join(', ')}`);
    q.levelOfStudy = LEVELS_BACK[level];
  }
  const mode = one(req, 'modeOfDelivery');
  if (mode !== undefined) {
    if (!MODES_BACK[mode]) throw paramError('modeOfDelivery', `modeOfDelivery must be one of ${Object.keys(MODES_BACK).join(', ')}`);
    q.mode = MODES_BACK[mode];
  }
  const inst = one(req, 'institution');
  if (inst !== undefined) q.institutions = inst.split(',').map((s) => s.trim());
  const field = one(req, 'fieldsOfStudy');
  if (field !== undefined) {
    if (!/^\d{4}$/.test(field)) throw paramError('fieldsOfStudy', 'fieldsOfStudy must be an ISCED-F 2013 detailed field, four digits');
    q.iscedF = field;
  }
  const eqf = int(req, 'eqfLevel', 1, 8);
  if (eqf !== undefined) q.eqfLevel = eqf;
  const min = int(req, 'minCredits', 0, 1000);
  if (min !== undefined) q.minCredits = min;
  const max = int(req, 'maxCredits', 0, 1000);
  if (max !== undefined) q.maxCredits = max;
  const term = one(req, 'academicSession');
  if (term !== undefined) q.term = term;
  const open = bool(req, 'openToOtherInstitutions');
  if (open !== undefined) q.openToOtherInstitutions = open;
  const micro = bool(req, 'microCredential');
  if (micro !== undefined) q.microCredential = micro;
  return q;
}

/** The preferred of lv and en from Accept-Language (lv when neither is asked for). */
export function preferredLanguage(req: Request): 'lv' | 'en' {
  const l = req.acceptsLanguages('lv', 'en');
  return l === 'en' ? 'en' : 'lv';
}
