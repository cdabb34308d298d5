import { makeOldPersonalCode } from '../core/personal-code.ts';

/**
 * Deterministic generator of realistic Latvian study data (names with diacritics, valid personal
 * codes). Used by the demo and by simulators; a seed gives the same data every time.
 */
export class Rng {
  private s: number;
  constructor(seed = 1) {
    this.s = seed >>> 0 || 1;
  }
  next(): number {
    // mulberry32
    let t = (this.s = (this.s + 0x6d2b79f5) >>> 0);
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(min: number, max: number): number {
    return min + Math.floor(this.next() * (max - min + 1));
  }
  pick<T>(list: readonly T[]): T {
    return list[Math.floor(this.next() * list.length)]!;
  }
}

const MALE_GIVEN = ['Ānis', 'Jānis', 'Kārlis', 'Mārtiņš', 'Edgars', 'Andris', 'Roberts', 'Dāvis', 'Artūrs', 'Ēriks', 'Toms', 'Reinis', 'Gustavs', 'Valdis', 'Raitis'];
const FEMALE_GIVEN = ['Līga', 'Anna', 'Elīza', 'Zane', 'Ilze', 'Kristīne', 'Madara', 'Laura', 'Agnese', 'Dace', 'Evelīna', 'Sanita', 'Baiba', 'Ieva', 'Žanete'];
const FAMILY = [
  ['Bērziņš', 'Bērziņa'],
  ['Kalniņš', 'Kalniņa'],
  ['Ozoliņš', 'Ozoliņa'],
  ['Jansons', 'Jansone'],
  ['Liepiņš', 'Liepiņa'],
  ['Krūmiņš', 'Krūmiņa'],
  ['Zariņš', 'Zariņa'],
  ['Vītols', 'Vītola'],
  ['Kļaviņš', 'Kļaviņa'],
  ['Šmits', 'Šmite'],
  ['Grīnbergs', 'Grīnberga'],
  ['Pētersons', 'Pētersone'],
  ['Ķēniņš', 'Ķēniņa'],
  ['Siliņš', 'Siliņa'],
  ['Žagars', 'Žagare'],
] as const;

export interface GeneratedPerson {
  studentNumber: string;
  personalCode: string;
  givenNames: string;
  familyName: string;
  birthDate: string;
  gender: 'male' | 'female';
  email: string;
}

const fold = (s: string) =>
  s
    .normalize('NFD')
    .replace(/[\u0300-\u036f]/g, '')
    .toLowerCase();

export function person(rng: Rng, n: number, prefix: string): GeneratedPerson {
  const gender = rng.next() < 0.55 ? 'female' : 'male';
  const given = rng.pick(gender === 'male' ? MALE_GIVEN : FEMALE_GIVEN);
  const fam = rng.pick(FAMILY)[gender === 'male' ? 0 : 1];
  let code: string | undefined;
  let birth = new Date(Date.UTC(1995, 0, 1));
  for (let serial = n; !code; serial++) {
    birth = new Date(Date.UTC(rng.int(1985, 2006), rng.int(0, 11), rng.int(1, 28)));
    code = makeOldPersonalCode(birth, serial);
  }
  return {
    studentNumber: `${prefix}${String(n).padStart(6, '0')}`,
    personalCode: code,
    givenNames: given,
    familyName: fam,
    birthDate: birth.toISOString().slice(0, 10),
    gender,
    email: `${fold(given)}.${fold(fam)}${n}@students.example.lv`,
  };
}

/** dd.mm.yyyy, the date form of local study systems. */
export function lvDate(iso: string): string {
  const [y, m, d] = iso.slice(0, 10).split('-');
  return `${d}.${m}.${y}`;
}
