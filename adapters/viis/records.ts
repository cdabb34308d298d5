/**
 * The VIIS register's records as plain data (viis.xsd), shared by the client, the sink and the
 * simulator. The `soap` package hands xs:date values over as Date objects and xs:positiveInteger as
 * strings; normalize() turns a parsed message back into the JSON shape the mappings produce, so the
 * two can be compared field by field (reconciliation).
 */

export const VIIS_NAMESPACE = 'urn:studyhub:modelled:viis:studenti:1';

export type RecordKind = 'PERSONA' | 'STUDIJU_TIESIBAS' | 'DIPLOMS' | 'DIGITALAIS_DIPLOMS';

/** Canonical entity → the register's record kind, the element name in requests and the operation. */
export const KINDS = {
  person: { kind: 'PERSONA', element: 'person', operation: 'RegisterPerson' },
  'study-right': { kind: 'STUDIJU_TIESIBAS', element: 'studyRight', operation: 'RegisterStudyRight' },
  award: { kind: 'DIPLOMS', element: 'award', operation: 'RegisterAward' },
} as const;

export type ViisEntity = keyof typeof KINDS;
export type RegisterOperation = (typeof KINDS)[ViisEntity]['operation'];

export function isViisEntity(e: string): e is ViisEntity {
  return Object.hasOwn(KINDS, e);
}

/**
 * The canonical `credential` record (the notice of a digital diploma the hub issued) → the register's
 * digital diploma: registered on issue, revoked on revocation. Not part of KINDS: the register does not
 * list digital diplomas in ListHoldings, so reconciliation does not cover them.
 */
export const CREDENTIAL = { entity: 'credential', kind: 'DIGITALAIS_DIPLOMS', element: 'digitalDiploma' } as const;

/** An entity with a mapping in mappings/viis/. */
export type MappedEntity = ViisEntity | typeof CREDENTIAL.entity;

export function entityOfKind(kind: string): ViisEntity | undefined {
  return (Object.keys(KINDS) as ViisEntity[]).find((e) => KINDS[e].kind === kind);
}

export interface SubmitterRef {
  recordId: string;
  version: number;
}

export interface Submitter {
  institution: string;
  system: string;
  submissionId: string;
}

/** A register record: the mapped fields plus `localId` and the submitter's reference. */
export type ViisRecord = Record<string, unknown> & { localId: string; submitterRef?: SubmitterRef };

/** What mappings/viis/credential.jsonata makes of a degree credential: the digital diploma and, once revoked, its revocation. */
export interface DigitalDiplomaRequest {
  digitalDiploma: Record<string, unknown> & { credentialId: string; submitterRef?: SubmitterRef };
  revocation?: { revokedAt: string; reason?: string };
}

export interface Receipt {
  receiptId: string;
  status: 'ACCEPTED' | 'IGNORED_OLDER' | 'WITHDRAWN';
  registeredAt: string;
  duplicate: boolean;
  /** The register's number of the record, where it gives one (digital diplomas). */
  registerNumber?: string;
}

export interface Holdings {
  person: ViisRecord[];
  studyRight: ViisRecord[];
  award: ViisRecord[];
}

const DATE_FIELDS = new Set(['date', 'start', 'end', 'birthDate', 'startDate', 'awardedAt']);
const DATETIME_FIELDS = new Set(['registeredAt', 'issuedAt', 'revokedAt']);
const INT_FIELDS = new Set(['version', 'eqfLevel', 'studyYear', 'index']);
const LIST_FIELDS = new Set(['period']);

function isoDate(d: Date): string {
  return d.toISOString().slice(0, 10);
}

/**
 * A parsed SOAP message as JSON: dates as YYYY-MM-DD (dateTimes as ISO), integers as numbers, lists as
 * arrays even with one element, "true"/"false" as booleans.
 */
export function normalize(v: unknown, key = ''): unknown {
  if (v instanceof Date) return DATETIME_FIELDS.has(key) ? v.toISOString() : isoDate(v);
  if (Array.isArray(v)) return v.map((x) => normalize(x, key));
  if (v !== null && typeof v === 'object') {
    const out: Record<string, unknown> = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'attributes' || k === '$attributes') continue;
      const n = normalize(x, k);
      out[k] = LIST_FIELDS.has(k) && !Array.isArray(n) ? [n] : n;
    }
    return out;
  }
  if (typeof v === 'string') {
    if (INT_FIELDS.has(key) && /^\d+$/.test(v)) return Number(v);
    if (DATE_FIELDS.has(key) && /^\d{4}-\d{2}-\d{2}T00:00:00(\.000)?Z$/.test(v)) return v.slice(0, 10);
    if (key === 'withDistinction' || key === 'duplicate') return v === 'true' ? true : v === 'false' ? false : v;
  }
  return v;
}

/** Content of a record without the submitter's reference: what reconciliation compares. */
export function content(r: ViisRecord): Record<string, unknown> {
  const { submitterRef: _ref, ...rest } = r;
  return rest;
}
