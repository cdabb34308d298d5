import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import { RecordReader, type RefTarget } from '../store/records.ts';
import type { SqlDb } from '../store/sql.ts';

/**
 * Which records hold personal data and whom they are about. A person record is about itself (its
 * institution and source id); most other entities name their person in a `person` reference
 * (schemas/common.schema.json#/$defs/ref: id, sourceId or identifiers, institution when it is
 * another than the record's); a learning agreement is about the person of its mobility period.
 */

export interface Identifier {
  scheme: string;
  value: string;
}

export interface Ref {
  id?: string;
  sourceId?: string;
  identifiers?: Identifier[];
  institution?: string;
}

export const PERSONAL_CODE_SCHEME = 'lv-personas-kods';
/** Identifier schemes that name one person wherever they appear; other schemes (student-number) are per institution. */
export const GLOBAL_SCHEMES: readonly string[] = ['lv-personas-kods', 'foreign-id', 'esi'];

type Subject = { kind: 'self' } | { kind: 'ref'; field: string } | { kind: 'via'; field: string; entity: string };

/** How a record of each entity names the person it is about. */
export const SUBJECTS: Readonly<Record<string, Subject>> = {
  person: { kind: 'self' },
  attainment: { kind: 'ref', field: 'person' },
  award: { kind: 'ref', field: 'person' },
  consent: { kind: 'ref', field: 'person' },
  'course-enrolment': { kind: 'ref', field: 'person' },
  internship: { kind: 'ref', field: 'person' },
  'mobility-period': { kind: 'ref', field: 'person' },
  'study-right': { kind: 'ref', field: 'person' },
  credential: { kind: 'ref', field: 'person' },
  'learning-agreement': { kind: 'via', field: 'mobility', entity: 'mobility-period' },
};

/** Entities whose records hold personal data: those about a person, and agreements naming contact persons. */
export const PERSONAL_ENTITIES: ReadonlySet<string> = new Set([...Object.keys(SUBJECTS), 'inter-institutional-agreement']);

export function holdsPersonalData(entity: string): boolean {
  return PERSONAL_ENTITIES.has(entity);
}

export interface PersonRecord {
  id: string;
  institution: string;
  sourceId: string;
  data: JsonObject;
}

/** The key a record uses for its person: a person record's (institution, source id), or an identifier. */
export type PersonKey = { kind: 'person'; institution: string; sourceId: string } | { kind: 'identifier'; scheme: string; value: string };

/** Everything that names one person: linked person records, and the reference keys of records about them. */
export interface SubjectSet {
  /** Person records of the person, linked across institutions by the personal code. */
  persons: PersonRecord[];
  /** (institution, sourceId) by which records refer to the person. */
  keys: { institution: string; sourceId: string }[];
  /** Identifiers of the person, with the institution they are local to (student numbers). */
  identifiers: (Identifier & { institution: string })[];
  /** The key written into the disclosure log for this record's person (pseudonymised). */
  primary: PersonKey | undefined;
}

export function identifiersOf(data: JsonObject): Identifier[] {
  const ids = data.identifiers;
  if (!Array.isArray(ids)) return [];
  return ids.filter((i): i is Identifier => !!i && typeof i === 'object' && typeof (i as Identifier).scheme === 'string' && typeof (i as Identifier).value === 'string');
}

export function refOf(data: JsonObject, field: string): Ref | undefined {
  const r = data[field];
  return r && typeof r === 'object' && !Array.isArray(r) ? (r as Ref) : undefined;
}

/** The target of references to a subject set, for the store's record reader (global schemes need no institution). */
export function refTargetOf(t: { ids: readonly string[]; keys: readonly { institution: string; sourceId: string }[]; identifiers: readonly (Identifier & { institution: string })[] }): RefTarget {
  return {
    ids: t.ids,
    keys: t.keys,
    identifiers: t.identifiers.map((i) => (GLOBAL_SCHEMES.includes(i.scheme) ? { scheme: i.scheme, value: i.value } : i)),
  };
}

/** A canonical record as the personal-data views read it: the one record type (src/core/types.ts). */
export type RecordRow = CanonicalRecord;

/**
 * Finds persons and the records about them, through the store's record reader. Deleted records count
 * too: a person's data is theirs to see and to erase until it is gone.
 */
export class Persons {
  private readonly records: RecordReader;

  constructor(sql: SqlDb) {
    this.records = new RecordReader(sql);
  }

  async byId(id: string): Promise<PersonRecord | undefined> {
    return this.records.byId(id, { entity: 'person', withDeleted: true });
  }

  /** Person records holding an identifier (a global one anywhere, a local one in `institution`). */
  async byIdentifier(i: Identifier, institution: string | undefined): Promise<PersonRecord[]> {
    const local = !GLOBAL_SCHEMES.includes(i.scheme) && institution !== undefined;
    return this.records.find({ entity: 'person', withDeleted: true, where: [{ identifiersAt: 'identifiers', has: { scheme: i.scheme, value: i.value, ...(local ? { institution } : {}) } }] });
  }

  /** The person records a reference points at (owner: the referencing record's institution). */
  async resolve(ref: Ref, owner: string): Promise<PersonRecord[]> {
    if (ref.id) {
      const p = await this.byId(ref.id);
      return p ? [p] : [];
    }
    const institution = ref.institution ?? owner;
    if (ref.sourceId) return this.records.find({ entity: 'person', institution, sourceId: ref.sourceId, withDeleted: true });
    for (const i of ref.identifiers ?? []) {
      const found = await this.byIdentifier(i, institution);
      if (found.length) return found;
    }
    return [];
  }

  /** The persons plus every person record that shares a personal code with one of them (across institutions). */
  async linked(persons: PersonRecord[]): Promise<PersonRecord[]> {
    const out = new Map(persons.map((p) => [p.id, p]));
    const codes = new Set(
      persons.flatMap((p) =>
        identifiersOf(p.data)
          .filter((i) => i.scheme === PERSONAL_CODE_SCHEME)
          .map((i) => i.value),
      ),
    );
    for (const value of codes) {
      for (const p of await this.byIdentifier({ scheme: PERSONAL_CODE_SCHEME, value }, undefined)) out.set(p.id, p);
    }
    return [...out.values()];
  }

  /** The subject set of person records (subject access, erasure). */
  setOf(persons: PersonRecord[]): SubjectSet {
    return {
      persons,
      keys: persons.map((p) => ({ institution: p.institution, sourceId: p.sourceId })),
      identifiers: persons.flatMap((p) => identifiersOf(p.data).map((i) => ({ scheme: i.scheme, value: i.value, institution: p.institution }))),
      primary: persons[0] ? { kind: 'person', institution: persons[0].institution, sourceId: persons[0].sourceId } : undefined,
    };
  }

  /**
   * Whom a record is about, or undefined for records about no one. `linked`: also look up the
   * person records (and their links across institutions); without it only the primary key is found.
   */
  async subjectOf(entity: string, data: JsonObject, institution: string, linked = true): Promise<SubjectSet | undefined> {
    const s = SUBJECTS[entity];
    if (!s) return undefined;
    if (s.kind === 'self') {
      const self: PersonRecord = { id: String(data.id ?? ''), institution, sourceId: String(data.sourceId ?? ''), data };
      return this.setOf(linked ? await this.linked([self]) : [self]);
    }
    if (s.kind === 'via') {
      const ref = refOf(data, s.field);
      if (!ref) return undefined;
      const target = await this.resolveRecord(s.entity, ref, institution);
      return target ? this.subjectOf(s.entity, target.data, target.institution, linked) : undefined;
    }
    const ref = refOf(data, s.field);
    if (!ref) return undefined;
    const owner = ref.institution ?? institution;
    let primary: PersonKey | undefined = ref.sourceId ? { kind: 'person', institution: owner, sourceId: ref.sourceId } : undefined;
    if (!linked && primary) return { persons: [], keys: [{ institution: owner, sourceId: ref.sourceId! }], identifiers: [], primary };
    const resolved = await this.resolve(ref, institution);
    const persons = linked ? await this.linked(resolved) : resolved;
    const set = this.setOf(persons);
    if (ref.sourceId) set.keys.push({ institution: owner, sourceId: ref.sourceId });
    for (const i of ref.identifiers ?? []) set.identifiers.push({ scheme: i.scheme, value: i.value, institution: owner });
    primary ??= resolved[0] ? { kind: 'person', institution: resolved[0].institution, sourceId: resolved[0].sourceId } : undefined;
    const first = ref.identifiers?.[0];
    primary ??= first ? { kind: 'identifier', scheme: first.scheme, value: GLOBAL_SCHEMES.includes(first.scheme) ? first.value : `${owner}:${first.value}` } : undefined;
    set.primary = primary;
    return set;
  }

  /** A record of an entity by a reference to it (id, or source id in its institution). */
  async resolveRecord(entity: string, ref: Ref, owner: string): Promise<RecordRow | undefined> {
    if (ref.id) return this.records.byId(ref.id, { entity, withDeleted: true });
    if (!ref.sourceId) return undefined;
    return (await this.records.find({ entity, institution: ref.institution ?? owner, sourceId: ref.sourceId, withDeleted: true, limit: 1 }))[0];
  }

  /** Every canonical record about the person: the person records, records that refer to them, and those about such records. */
  async recordsAbout(set: SubjectSet): Promise<RecordRow[]> {
    const out = new Map<string, RecordRow>();
    if (set.persons.length) {
      for (const r of await this.records.find({ entity: 'person', ids: set.persons.map((p) => p.id), withDeleted: true })) out.set(r.id, r);
    }
    const byRef = Object.entries(SUBJECTS).filter(([, s]) => s.kind === 'ref');
    for (const field of new Set(byRef.map(([, s]) => (s as { field: string }).field))) {
      const entities = byRef.filter(([, s]) => (s as { field: string }).field === field).map(([e]) => e);
      const to = refTargetOf({ ids: set.persons.map((p) => p.id), keys: set.keys, identifiers: set.identifiers });
      for (const r of await this.records.find({ entity: entities, withDeleted: true, where: [{ refAt: field, to }] })) out.set(r.id, r);
    }
    for (const [entity, s] of Object.entries(SUBJECTS)) {
      if (s.kind !== 'via') continue;
      const targets = [...out.values()].filter((r) => r.entity === s.entity);
      if (!targets.length) continue;
      const to = { ids: targets.map((t) => t.id), keys: targets.map((t) => ({ institution: t.institution, sourceId: t.sourceId })), identifiers: [] };
      for (const r of await this.records.find({ entity, withDeleted: true, where: [{ refAt: s.field, to }] })) out.set(r.id, r);
    }
    return [...out.values()].sort((a, b) => a.entity.localeCompare(b.entity) || a.id.localeCompare(b.id));
  }
}
