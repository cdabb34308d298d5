import { NotFoundError } from '../core/errors.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import type { Persons } from '../privacy/personal.ts';
import type { RecordReader } from '../store/records.ts';

/** One result in a learner's record: the attainment and the course it is of (when the hub holds it). */
export interface ResultEntry {
  attainment: CanonicalRecord;
  course: CanonicalRecord | undefined;
}

/** One award (degree) with its programme (when the hub holds it). */
export interface AwardEntry {
  award: CanonicalRecord;
  programme: CanonicalRecord | undefined;
}

/** What one institution holds of the learner. */
export interface InstitutionRecord {
  institution: string;
  results: ResultEntry[];
  awards: AwardEntry[];
}

/** A person's consolidated record across the institutions the hub serves. */
export interface LearnerRecord {
  /** The person record asked for (names, birth date, citizenship, identifiers). */
  person: CanonicalRecord;
  /** Per institution, in the order of their ids. */
  institutions: InstitutionRecord[];
  /** Every record the document is made of (for the disclosure log). */
  records: CanonicalRecord[];
}

type Ref = { id?: string; sourceId?: string; institution?: string };

async function resolve(reader: RecordReader, entity: string, from: CanonicalRecord, ref: unknown): Promise<CanonicalRecord | undefined> {
  if (!ref || typeof ref !== 'object') return undefined;
  const r = ref as Ref;
  if (r.id) return reader.byId(r.id, { entity });
  if (!r.sourceId) return undefined;
  return (await reader.find({ entity, institution: r.institution ?? from.institution, sourceId: r.sourceId, limit: 1 }))[0];
}

/**
 * Gathers a person's record: the person records linked to them by personal code across institutions,
 * and the results and awards about any of them (src/privacy/personal.ts finds whom a record is about),
 * with the courses and programmes they are of. Deleted records are left out: a transcript states what
 * stands. `institution` keeps one institution's part.
 */
export async function learnerRecord(deps: { persons: Persons; reader: RecordReader }, personId: string, institution?: string): Promise<LearnerRecord> {
  const person = await deps.reader.byId(personId, { entity: 'person' });
  if (!person) throw new NotFoundError(`no person ${personId}`);
  const linked = await deps.persons.linked([person]);
  const about = (await deps.persons.recordsAbout(deps.persons.setOf(linked))).filter((r) => !r.deleted && (!institution || r.institution === institution));
  const by = new Map<string, InstitutionRecord>();
  const of = (inst: string) => {
    let x = by.get(inst);
    if (!x) by.set(inst, (x = { institution: inst, results: [], awards: [] }));
    return x;
  };
  const records: CanonicalRecord[] = [person];
  for (const r of about) {
    if (r.entity === 'attainment') {
      const course = await resolve(deps.reader, 'course', r, r.data.course);
      of(r.institution).results.push({ attainment: r, course });
      records.push(r);
    } else if (r.entity === 'award') {
      const programme = await resolve(deps.reader, 'programme', r, r.data.programme);
      of(r.institution).awards.push({ award: r, programme });
      records.push(r);
    }
  }
  const institutions = [...by.values()].sort((a, b) => a.institution.localeCompare(b.institution));
  for (const i of institutions) i.results.sort((a, b) => String(a.attainment.data.date).localeCompare(String(b.attainment.data.date)));
  return { person, institutions, records };
}

/**
 * The part of a record the learner chose: the results and awards whose record ids are in `ids`
 * (the person record stays; institutions left with nothing are dropped). Ids not in the record are
 * ignored: a learner can only pick from their own record.
 */
export function selectEntries(record: LearnerRecord, ids: ReadonlySet<string>): LearnerRecord {
  const institutions = record.institutions
    .map((i) => ({ institution: i.institution, results: i.results.filter((r) => ids.has(r.attainment.id)), awards: i.awards.filter((a) => ids.has(a.award.id)) }))
    .filter((i) => i.results.length || i.awards.length);
  const kept = new Set(institutions.flatMap((i) => [...i.results.map((r) => r.attainment.id), ...i.awards.map((a) => a.award.id)]));
  return { person: record.person, institutions, records: record.records.filter((r) => r.id === record.person.id || kept.has(r.id)) };
}

/** A localized string (canonical `[{lang, text}]`) as entries. */
export function texts(v: unknown): { lang: string; text: string }[] {
  return Array.isArray(v) ? (v as JsonObject[]).filter((t) => typeof t?.text === 'string' && typeof t?.lang === 'string').map((t) => ({ lang: String(t.lang), text: String(t.text) })) : [];
}
