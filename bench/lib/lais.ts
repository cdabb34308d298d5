import { laisStudent, laisStudyRight } from '../../src/demo/feeder.ts';
import { lvDate, person, Rng } from '../../src/demo/generator.ts';

/**
 * Streaming generator of a country's study data in the LAIS native format (mappings/lais/README.md):
 * students, their study rights and their assessments, a batch at a time, so that memory stays flat
 * however large the country.
 */

export type LaisEntity = 'person' | 'study-right' | 'attainment';

export interface LaisBatch {
  institution: string;
  entity: LaisEntity;
  records: Record<string, unknown>[];
}

export const CHANGED_AT = '2025-06-30T22:00:00+03:00';

const COURSES = Array.from({ length: 240 }, (_, i) => `${['DatZ', 'Fizi', 'Mate', 'Ekon', 'Valo', 'Biol'][i % 6]}${1000 + i}`);
const GRADES = ['4', '5', '6', '6', '7', '7', '7', '8', '8', '8', '9', '9', '10', 'ieskaitīts'] as const;
const CREDITS = [2, 3, 3, 4, 6] as const;
const PARTNERS = ['rtu.lv', 'ku.lv', 'uni-heidelberg.de', 'ut.ee', 'vu.lt'] as const;

/** One LAIS assessment (vertejums) of a student. */
export function laisAttainment(rng: Rng, studentNumber: string, k: number) {
  const d = new Date(Date.UTC(rng.int(2019, 2025), rng.int(0, 11), rng.int(1, 28))).toISOString();
  const kind = rng.next();
  const veids = kind < 0.95 ? 'eksāmens' : kind < 0.98 ? 'pārnests' : 'atzīts';
  return {
    id: `V-${studentNumber}-${k}`,
    studenta_id: studentNumber,
    studiju_tiesibu_id: `ST-${studentNumber}`,
    kursa_kods: rng.pick(COURSES),
    atzime: rng.pick(GRADES),
    kp: rng.pick(CREDITS),
    datums: lvDate(d),
    veids,
    ...(veids === 'atzīts' ? { atzisana: { iestade: rng.pick(PARTNERS), kursa_nosaukums: 'Datu struktūras', lemums: { nr: `A-${k}`, datums: lvDate(d) } } } : {}),
    mainits: CHANGED_AT,
  };
}

export interface CountryOptions {
  students: number;
  attainmentsPerStudent: number;
  /** Records per batch (and students per chunk). */
  batchSize: number;
  institutions: readonly string[];
  seed?: number;
}

/** Total records the options produce. */
export function countryTotal(o: Pick<CountryOptions, 'students' | 'attainmentsPerStudent'>): number {
  return o.students * (2 + o.attainmentsPerStudent);
}

/**
 * Yields batches: for each chunk of students (one institution per chunk, in turn), their persons,
 * their study rights, then their assessments. Nothing is kept between chunks.
 */
export function* countryBatches(o: CountryOptions): Generator<LaisBatch> {
  const rng = new Rng(o.seed ?? 2026);
  let chunk = 0;
  for (let first = 1; first <= o.students; first += o.batchSize, chunk++) {
    const institution = o.institutions[chunk % o.institutions.length]!;
    const prefix = institution.split('.')[0]!.toUpperCase();
    const last = Math.min(o.students, first + o.batchSize - 1);
    const people = [];
    for (let n = first; n <= last; n++) people.push(person(rng, n, prefix));
    yield { institution, entity: 'person', records: people.map((p) => laisStudent(p, CHANGED_AT)) };
    yield { institution, entity: 'study-right', records: people.map((p, i) => laisStudyRight(p, first + i, CHANGED_AT)) };
    let batch: Record<string, unknown>[] = [];
    for (const p of people) {
      for (let k = 1; k <= o.attainmentsPerStudent; k++) {
        batch.push(laisAttainment(rng, p.studentNumber, k));
        if (batch.length === o.batchSize) {
          yield { institution, entity: 'attainment', records: batch };
          batch = [];
        }
      }
    }
    if (batch.length) yield { institution, entity: 'attainment', records: batch };
  }
}
