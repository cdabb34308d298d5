import { RegisterRejectedError } from '../../src/core/errors.ts';
import type { SubmitterRef, ViisRecord } from './records.ts';

/**
 * The business rules the simulated register checks, with the codes it answers. Reasons never repeat
 * a personal code: they end up in the hub's delivery records and logs.
 *
 * | code | rule |
 * | --- | --- |
 * | VIIS-001 | the request lacks a required element |
 * | VIIS-101 | a person without a personal code or a foreign identity document |
 * | VIIS-102 | the personal code is not valid (check digit, date) |
 * | VIIS-103 | the identity of a registered person changed (needs the identity correction procedure) |
 * | VIIS-104 | the personal code is registered for another person of the institution |
 * | VIIS-201 | a study right for a person the register does not hold |
 * | VIIS-202 | an unknown (not accredited) programme code |
 * | VIIS-203 | status periods overlap |
 * | VIIS-204 | a status period ends before it starts |
 * | VIIS-205 | an ended study right (EKSM/ABSOLV) without its exmatriculation |
 * | VIIS-206 | the study right is registered for another person |
 * | VIIS-301 | a diploma for a person the register does not hold |
 * | VIIS-302 | a diploma for a study right the register does not hold |
 * | VIIS-303 | the diploma number is registered for another diploma |
 * | VIIS-304 | the study right of the diploma belongs to another person |
 * | VIIS-401 | nothing to withdraw |
 * | VIIS-402 | a person with study rights cannot be withdrawn |
 * | VIIS-501 | a digital diploma for a diploma number the register does not hold |
 * | VIIS-502 | a revocation of a digital diploma the register does not hold |
 * | VIIS-503 | the credential id is registered for another diploma |
 * | VIIS-504 | the diploma belongs to another person than the one named |
 */
export function registerRejection(registerCode: string, reason: string, field?: string): RegisterRejectedError {
  return new RegisterRejectedError(reason, { registerCode, reason, field });
}

interface Stored {
  institution: string;
  record: ViisRecord;
}

/** A digital diploma as the register keeps it: the submitted record with the graduate it resolved, its register number, its revocation. */
export interface HeldDiploma extends Record<string, unknown> {
  credentialId: string;
  diplomaNumber: string;
  personLocalId: string;
  submitterRef: SubmitterRef;
  registerNumber?: string;
  revocation?: { revokedAt: string; reason?: string };
}

export interface StoredDiploma {
  institution: string;
  record: HeldDiploma;
}

export interface RegisterState {
  persons: ReadonlyMap<string, Stored>;
  studyRights: ReadonlyMap<string, Stored>;
  awards: ReadonlyMap<string, Stored>;
  /** Digital diplomas by (institution, credentialId). */
  digitalDiplomas: ReadonlyMap<string, StoredDiploma>;
  programmes: ReadonlySet<string>;
}

type Obj = Record<string, unknown>;

const key = (institution: string, localId: string) => `${institution}\u0000${localId}`;

function obj(v: unknown, field: string): Obj {
  if (v === null || typeof v !== 'object' || Array.isArray(v)) throw registerRejection('VIIS-001', `${field} is required`, field);
  return v as Obj;
}

function str(o: Obj, name: string, at: string): string {
  const v = o[name];
  if (typeof v !== 'string' || v.trim() === '') throw registerRejection('VIIS-001', `${at}/${name} is required`, `${at}/${name}`);
  return v;
}

function submitterRef(o: Obj, at: string): SubmitterRef {
  const r = obj(o.submitterRef, `${at}/submitterRef`);
  const version = Number(r.version);
  if (typeof r.recordId !== 'string' || !Number.isInteger(version) || version < 1) {
    throw registerRejection('VIIS-001', `${at}/submitterRef needs recordId and a positive version`, `${at}/submitterRef`);
  }
  return { recordId: r.recordId, version };
}

function record(o: Obj, at: string): ViisRecord {
  return { ...o, localId: str(o, 'localId', at), submitterRef: submitterRef(o, at) };
}

export function checkPerson(s: RegisterState, institution: string, input: unknown, validCode: (c: string) => boolean): ViisRecord {
  const p = obj(input, 'person');
  const rec = record(p, 'person');
  str(p, 'givenNames', 'person');
  str(p, 'familyName', 'person');
  const code = typeof p.personalCode === 'string' ? p.personalCode : undefined;
  const doc = p.foreignDocument as Obj | undefined;
  if (!code && !(doc && typeof doc.number === 'string' && typeof doc.country === 'string')) {
    throw registerRejection('VIIS-101', 'the person has neither a personal code nor a foreign identity document with its country', 'person/personalCode');
  }
  if (code && !validCode(code)) throw registerRejection('VIIS-102', 'the personal code is not valid', 'person/personalCode');
  const held = s.persons.get(key(institution, rec.localId))?.record;
  if (held && code && held.personalCode !== undefined && held.personalCode !== code) {
    throw registerRejection('VIIS-103', 'the personal code of a registered person cannot change by an update; use the identity correction procedure', 'person/personalCode');
  }
  if (code) {
    for (const v of s.persons.values()) {
      if (v.institution === institution && v.record.localId !== rec.localId && v.record.personalCode === code) {
        throw registerRejection('VIIS-104', `the personal code is already registered for person ${v.record.localId} of this institution`, 'person/personalCode');
      }
    }
  }
  return rec;
}

export function checkStudyRight(s: RegisterState, institution: string, input: unknown): ViisRecord {
  const r = obj(input, 'studyRight');
  const rec = record(r, 'studyRight');
  const person = str(r, 'personLocalId', 'studyRight');
  const programme = str(r, 'programmeCode', 'studyRight');
  const m = obj(r.matriculation, 'studyRight/matriculation');
  str(m, 'number', 'studyRight/matriculation');
  str(m, 'date', 'studyRight/matriculation');
  str(r, 'studyForm', 'studyRight');
  str(r, 'funding', 'studyRight');
  const periods = (obj(r.periods, 'studyRight/periods').period ?? []) as Obj[];
  if (!Array.isArray(periods) || periods.length === 0) throw registerRejection('VIIS-001', 'studyRight/periods needs at least one period', 'studyRight/periods');
  if (!s.persons.has(key(institution, person))) {
    throw registerRejection('VIIS-201', `the register holds no person ${person} of this institution: register the person first`, 'studyRight/personLocalId');
  }
  if (!s.programmes.has(programme)) throw registerRejection('VIIS-202', `programme code ${programme} is not in the register of accredited programmes`, 'studyRight/programmeCode');
  const sorted = periods.map((p, i) => ({ i, status: str(p, 'status', `studyRight/periods/${i}`), start: str(p, 'start', `studyRight/periods/${i}`), end: p.end as string | undefined }));
  for (const p of sorted) {
    if (p.end !== undefined && p.end < p.start) throw registerRejection('VIIS-204', `status period ${p.i + 1} ends (${p.end}) before it starts (${p.start})`, `studyRight/periods/${p.i}`);
  }
  sorted.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  for (let i = 1; i < sorted.length; i++) {
    const a = sorted[i - 1]!;
    const b = sorted[i]!;
    if (a.end === undefined || a.end >= b.start) {
      throw registerRejection('VIIS-203', `status periods overlap: ${a.status} from ${a.start}${a.end ? ` to ${a.end}` : ' (open)'} and ${b.status} from ${b.start}`, `studyRight/periods/${b.i}`);
    }
  }
  if (sorted.some((p) => p.status === 'EKSM' || p.status === 'ABSOLV') && (r.exmatriculation === undefined || r.exmatriculation === null)) {
    throw registerRejection('VIIS-205', 'an ended study right needs its exmatriculation (date, reason, order number)', 'studyRight/exmatriculation');
  }
  const held = s.studyRights.get(key(institution, rec.localId))?.record;
  if (held && held.personLocalId !== person) {
    throw registerRejection('VIIS-206', `study right ${rec.localId} is registered for another person`, 'studyRight/personLocalId');
  }
  return rec;
}

export function checkAward(s: RegisterState, institution: string, input: unknown): ViisRecord {
  const a = obj(input, 'award');
  const rec = record(a, 'award');
  const person = str(a, 'personLocalId', 'award');
  const right = str(a, 'studyRightLocalId', 'award');
  const programme = str(a, 'programmeCode', 'award');
  const diploma = str(a, 'diplomaNumber', 'award');
  str(a, 'title', 'award');
  str(a, 'awardedAt', 'award');
  if (!s.persons.has(key(institution, person))) throw registerRejection('VIIS-301', `the register holds no person ${person} of this institution`, 'award/personLocalId');
  const sr = s.studyRights.get(key(institution, right))?.record;
  if (!sr) throw registerRejection('VIIS-302', `the register holds no study right ${right} of this institution`, 'award/studyRightLocalId');
  if (sr.personLocalId !== person) throw registerRejection('VIIS-304', `study right ${right} belongs to another person`, 'award/studyRightLocalId');
  if (!s.programmes.has(programme)) throw registerRejection('VIIS-202', `programme code ${programme} is not in the register of accredited programmes`, 'award/programmeCode');
  for (const v of s.awards.values()) {
    if (v.institution === institution && v.record.localId !== rec.localId && v.record.diplomaNumber === diploma) {
      throw registerRejection('VIIS-303', `diploma number ${diploma} is registered for another diploma`, 'award/diplomaNumber');
    }
  }
  return rec;
}

/**
 * A digital diploma: the diploma it was issued for is named by its number and must be held (its
 * person is the graduate); a credential id belongs to one diploma.
 */
export function checkDigitalDiploma(s: RegisterState, institution: string, input: unknown): HeldDiploma {
  const d = obj(input, 'digitalDiploma');
  const credentialId = str(d, 'credentialId', 'digitalDiploma');
  const number = str(d, 'diplomaNumber', 'digitalDiploma');
  str(d, 'issuerId', 'digitalDiploma');
  str(d, 'issuedAt', 'digitalDiploma');
  const list = obj(d.statusList, 'digitalDiploma/statusList');
  str(list, 'url', 'digitalDiploma/statusList');
  if (!Number.isInteger(Number(list.index)) || Number(list.index) < 0)
    throw registerRejection('VIIS-001', 'digitalDiploma/statusList/index must be a whole number from 0', 'digitalDiploma/statusList/index');
  const ref = submitterRef(d, 'digitalDiploma');
  const award = [...s.awards.values()].find((v) => v.institution === institution && v.record.diplomaNumber === number)?.record;
  if (!award) throw registerRejection('VIIS-501', `the register holds no diploma number ${number} of this institution: register the diploma first`, 'digitalDiploma/diplomaNumber');
  const person = String(award.personLocalId);
  if (typeof d.personLocalId === 'string' && d.personLocalId !== person) {
    throw registerRejection('VIIS-504', `diploma number ${number} belongs to another person than ${d.personLocalId}`, 'digitalDiploma/personLocalId');
  }
  const held = s.digitalDiplomas.get(key(institution, credentialId))?.record;
  if (held && held.diplomaNumber !== number) {
    throw registerRejection('VIIS-503', `credential ${credentialId} is registered for another diploma`, 'digitalDiploma/credentialId');
  }
  return { ...d, credentialId, diplomaNumber: number, personLocalId: person, submitterRef: ref };
}

/** A revocation: the digital diploma must be held. */
export function checkRevocation(s: RegisterState, institution: string, input: Record<string, unknown>): { held: StoredDiploma; revokedAt: string; reason?: string } {
  const credentialId = str(input, 'credentialId', 'revocation');
  const revokedAt = str(input, 'revokedAt', 'revocation');
  const held = s.digitalDiplomas.get(key(institution, credentialId));
  if (!held) throw registerRejection('VIIS-502', `the register holds no digital diploma ${credentialId} of this institution`, 'credentialId');
  return { held, revokedAt, ...(typeof input.reason === 'string' && input.reason ? { reason: input.reason } : {}) };
}
