import { person, Rng, type GeneratedPerson } from '../../src/demo/generator.ts';

/**
 * Generated study data shared by the simulators: the LAIS and ISIS simulators render the same plans,
 * each in its own format. Everything is derived from (seed, index), so a student, their study right, results and
 * diploma can be made on demand without keeping 100,000 students in memory.
 */

export interface ProgrammeDef {
  code: string;
  lik: string;
  name: string;
  nameEn: string;
  isced: string;
  eqf: 5 | 6 | 7;
  kp: number;
  years: number;
  validFrom: string;
  degree: string;
  diplomaSeries: string;
  courses: string[];
}

export interface CourseDef {
  code: string;
  name: string;
  nameEn: string;
  kp: number;
  eqf: number;
  validFrom: string;
}

const c = (code: string, name: string, nameEn: string, kp: number, eqf = 6, validFrom = '2023-09-01'): CourseDef => ({ code, name, nameEn, kp, eqf, validFrom });

export const COURSES: CourseDef[] = [
  c('DatZ1001', 'Programmēšanas pamati', 'Foundations of Programming', 6, 6, '2016-09-01'),
  c('DatZ1002', 'Datu struktūras un algoritmi', 'Data Structures and Algorithms', 6),
  c('DatZ1003', 'Diskrētā matemātika', 'Discrete Mathematics', 4, 6, '2016-09-01'),
  c('DatZ2004', 'Datu bāzes', 'Databases', 6),
  c('DatZ2005', 'Operētājsistēmas', 'Operating Systems', 4),
  c('DatZ3006', 'Tīmekļa tehnoloģijas', 'Web Technologies', 4),
  c('DatZ5007', 'Mākslīgais intelekts', 'Artificial Intelligence', 6, 7),
  c('DatZ5008', 'Sadalītās sistēmas', 'Distributed Systems', 6, 7),
  c('Mate1009', 'Lineārā algebra', 'Linear Algebra', 4, 6, '2016-09-01'),
  c('Mate1010', 'Matemātiskā analīze', 'Calculus', 6, 6, '2016-09-01'),
  c('Mate2011', 'Varbūtību teorija un statistika', 'Probability and Statistics', 4),
  c('Ekon1012', 'Mikroekonomika', 'Microeconomics', 4, 6, '2016-09-01'),
  c('Ekon1013', 'Makroekonomika', 'Macroeconomics', 4),
  c('Ekon2014', 'Ekonometrija', 'Econometrics', 6),
  c('Vadz1015', 'Vadības teorija', 'Management Theory', 4),
  c('Vadz2016', 'Mārketings', 'Marketing', 4),
  c('Vadz2017', 'Finanšu vadība', 'Financial Management', 6),
  c('Vadz2018', 'Projektu vadība', 'Project Management', 4),
  c('Grām1019', 'Grāmatvedības pamati', 'Principles of Accounting', 4, 5, '2016-09-01'),
  c('Grām1020', 'Nodokļu sistēma Latvijā', 'Taxation in Latvia', 2, 5),
  c('Vēst1021', 'Latvijas vēsture', 'History of Latvia', 4, 6, '2016-09-01'),
  c('Vēst1022', 'Eiropas vēsture', 'History of Europe', 4),
  c('Vēst2023', 'Vēstures avotu pētniecība', 'Research of Historical Sources', 6),
  c('JurZ1024', 'Civiltiesības', 'Civil Law', 6),
  c('JurZ1025', 'Konstitucionālās tiesības', 'Constitutional Law', 4),
  c('JurZ2026', 'Krimināltiesības', 'Criminal Law', 6),
  c('Valo1027', 'Akadēmiskā rakstīšana', 'Academic Writing', 2, 6, '2016-09-01'),
  c('Valo1028', 'Angļu valoda profesionālajā jomā', 'English for Professional Purposes', 2),
  c('Filz1029', 'Filozofijas pamati', 'Foundations of Philosophy', 2),
  c('Pēt2030', 'Pētniecības metodes', 'Research Methods', 4),
];

const p = (d: ProgrammeDef) => d;
export const PROGRAMMES: ProgrammeDef[] = [
  p({
    code: 'DZ-BAK',
    lik: '43481001',
    name: 'Datorzinātnes',
    nameEn: 'Computer Science',
    isced: '0613',
    eqf: 6,
    kp: 180,
    years: 3,
    validFrom: '2023-09-01',
    degree: 'Dabaszinātņu bakalaura grāds datorzinātnēs',
    diplomaSeries: 'B',
    courses: ['DatZ1001', 'DatZ1002', 'DatZ1003', 'Mate1009', 'Mate1010', 'DatZ2004', 'DatZ2005', 'Mate2011', 'DatZ3006', 'Valo1027'],
  }),
  p({
    code: 'DZ-MAG',
    lik: '45481001',
    name: 'Datorzinātnes',
    nameEn: 'Computer Science',
    isced: '0613',
    eqf: 7,
    kp: 120,
    years: 2,
    validFrom: '2023-09-01',
    degree: 'Dabaszinātņu maģistra grāds datorzinātnēs',
    diplomaSeries: 'M',
    courses: ['DatZ5007', 'DatZ5008', 'Mate2011', 'Pēt2030', 'Valo1028'],
  }),
  p({
    code: 'EK-BAK',
    lik: '43310001',
    name: 'Ekonomika',
    nameEn: 'Economics',
    isced: '0311',
    eqf: 6,
    kp: 120,
    years: 3,
    validFrom: '2017-09-01',
    degree: 'Sociālo zinātņu bakalaura grāds ekonomikā',
    diplomaSeries: 'B',
    courses: ['Ekon1012', 'Ekon1013', 'Ekon2014', 'Mate1009', 'Mate2011', 'Valo1027', 'Filz1029'],
  }),
  p({
    code: 'VZ-BAK',
    lik: '43345001',
    name: 'Vadības zinātne',
    nameEn: 'Management Science',
    isced: '0413',
    eqf: 6,
    kp: 180,
    years: 3,
    validFrom: '2023-09-01',
    degree: 'Sociālo zinātņu bakalaura grāds vadības zinātnē',
    diplomaSeries: 'B',
    courses: ['Vadz1015', 'Vadz2016', 'Vadz2017', 'Vadz2018', 'Ekon1012', 'Valo1028', 'Pēt2030'],
  }),
  p({
    code: 'UV-PBAK',
    lik: '42345003',
    name: 'Uzņēmējdarbības vadība',
    nameEn: 'Business Administration',
    isced: '0413',
    eqf: 6,
    kp: 240,
    years: 4,
    validFrom: '2023-09-01',
    degree: 'Profesionālā bakalaura grāds uzņēmējdarbības vadībā',
    diplomaSeries: 'PB',
    courses: ['Vadz1015', 'Vadz2016', 'Vadz2017', 'Grām1019', 'Ekon1013', 'Valo1028'],
  }),
  p({
    code: 'VE-BAK',
    lik: '43222001',
    name: 'Vēsture',
    nameEn: 'History',
    isced: '0222',
    eqf: 6,
    kp: 120,
    years: 3,
    validFrom: '2016-09-01',
    degree: 'Humanitāro zinātņu bakalaura grāds vēsturē',
    diplomaSeries: 'B',
    courses: ['Vēst1021', 'Vēst1022', 'Vēst2023', 'Filz1029', 'Valo1027', 'Pēt2030'],
  }),
  p({
    code: 'TZ-BAK',
    lik: '43380001',
    name: 'Tiesību zinātne',
    nameEn: 'Law',
    isced: '0421',
    eqf: 6,
    kp: 180,
    years: 4,
    validFrom: '2023-09-01',
    degree: 'Sociālo zinātņu bakalaura grāds tiesību zinātnē',
    diplomaSeries: 'B',
    courses: ['JurZ1024', 'JurZ1025', 'JurZ2026', 'Filz1029', 'Valo1027'],
  }),
  p({
    code: 'GR-K1',
    lik: '41344001',
    name: 'Grāmatvedība un finanses',
    nameEn: 'Accounting and Finance',
    isced: '0411',
    eqf: 5,
    kp: 120,
    years: 2,
    validFrom: '2023-09-01',
    degree: 'Pirmā līmeņa profesionālā augstākā izglītība: grāmatvedis',
    diplomaSeries: 'K',
    courses: ['Grām1019', 'Grām1020', 'Ekon1012', 'Valo1028'],
  }),
];

export const COURSE_BY_CODE = new Map(COURSES.map((x) => [x.code, x]));

const FOREIGN: readonly { country: string; docPrefix: string; names: readonly [string, string, 'male' | 'female'][] }[] = [
  {
    country: 'LT',
    docPrefix: 'LT',
    names: [
      ['Jonas', 'Kazlauskas', 'male'],
      ['Rūta', 'Petrauskienė', 'female'],
    ],
  },
  {
    country: 'EE',
    docPrefix: 'EE',
    names: [
      ['Karl', 'Saar', 'male'],
      ['Mari', 'Tamm', 'female'],
    ],
  },
  {
    country: 'DE',
    docPrefix: 'C',
    names: [
      ['Lukas', 'Müller', 'male'],
      ['Anna', 'Schäfer', 'female'],
    ],
  },
  {
    country: 'UA',
    docPrefix: 'FA',
    names: [
      ['Andrii', 'Shevchenko', 'male'],
      ['Olena', 'Kovalenko', 'female'],
    ],
  },
  {
    country: 'IN',
    docPrefix: 'Z',
    names: [
      ['Arjun', 'Sharma', 'male'],
      ['Priya', 'Patel', 'female'],
    ],
  },
];

const LEAVE_REASONS = ['bērna kopšana', 'veselības stāvoklis', 'personīgi apstākļi'];
const EX_REASONS = ['nesekmība', 'pēc paša vēlēšanās', 'studiju maksas neveikšana'];
const DAY = 86_400_000;

export type Outcome = 'active' | 'leave' | 'graduated' | 'exmatriculated';

export interface Period {
  status: 'studē' | 'akadēmiskajā atvaļinājumā' | 'eksmatrikulēts' | 'absolvējis';
  start: string;
  end: string | null;
  reason?: string;
}

/** Everything about one generated student; dates are ISO yyyy-mm-dd. */
export interface StudentPlan {
  index: number;
  person: GeneratedPerson;
  citizenship: string;
  /** Old-form code, a code of the 2017 form (32…), or none for a foreign student. */
  personalCode: string | undefined;
  foreignDocument: { numurs: string; valsts: string } | undefined;
  programme: ProgrammeDef;
  matriculated: string;
  orderNr: string;
  funding: 'budžets' | 'maksas';
  form: 'pilna laika' | 'nepilna laika';
  outcome: Outcome;
  periods: Period[];
  ended: string | undefined;
  exReason: string | undefined;
  /** Date up to which results exist (today, or the end of studies). */
  resultsUntil: string;
}

export interface ResultPlan {
  course: CourseDef;
  grade: string;
  date: string;
  type: 'eksāmens' | 'pārnests' | 'atzīts';
  from?: string;
}

/** A per-record random stream, so any record can be made alone. */
export function rngFor(seed: number, kind: number, index: number): Rng {
  let h = (seed ^ Math.imul(kind + 1, 0x9e3779b1) ^ Math.imul(index + 1, 0x85ebca6b)) >>> 0;
  h = Math.imul(h ^ (h >>> 16), 0x7feb352d) >>> 0;
  h = Math.imul(h ^ (h >>> 15), 0x846ca68b) >>> 0;
  return new Rng((h ^ (h >>> 16)) >>> 0 || 1);
}

const iso = (ms: number) => new Date(ms).toISOString().slice(0, 10);
const at = (isoDate: string) => Date.parse(`${isoDate}T00:00:00Z`);

export function studentPlan(seed: number, prefix: string, index: number, today: string): StudentPlan {
  const rng = rngFor(seed, 1, index);
  const base = person(rng, index + 1, prefix);
  const roll = rng.next();
  let citizenship = 'LV';
  let personalCode: string | undefined = base.personalCode;
  let foreignDocument: StudentPlan['foreignDocument'];
  const gp = { ...base };
  if (roll < 0.05) {
    const f = rng.pick(FOREIGN);
    const [given, family, gender] = rng.pick(f.names);
    Object.assign(gp, { givenNames: given, familyName: family, gender });
    citizenship = f.country;
    personalCode = undefined;
    foreignDocument = { numurs: `${f.docPrefix}${String(rng.int(1_000_000, 9_999_999))}`, valsts: f.country };
  } else if (roll < 0.13) {
    // A personal code of the form issued since 1 July 2017: 32, then digits without a birth date.
    personalCode = `32${String(rng.int(0, 9999)).padStart(4, '0')}-${String(rng.int(0, 99999)).padStart(5, '0')}`;
  }
  const programme = PROGRAMMES[Math.floor(rng.next() * PROGRAMMES.length)]!;
  const birthYear = Number(base.birthDate.slice(0, 4));
  const thisYear = Number(today.slice(0, 4));
  const latest = today.slice(5) >= '09-01' ? thisYear : thisYear - 1;
  // Matriculated in one of the last seven autumns, at 18 or older.
  const year = Math.min(latest, Math.max(latest - rng.int(0, 6), birthYear + (programme.eqf === 7 ? 22 : 18)));
  const matriculated = `${year}-09-01`;
  const plannedEnd = `${year + programme.years}-06-20`;
  const r = rng.next();
  let outcome: Outcome = plannedEnd < today ? (r < 0.82 ? 'graduated' : 'exmatriculated') : r < 0.08 ? 'exmatriculated' : r < 0.16 ? 'leave' : 'active';
  const periods: Period[] = [];
  let ended: string | undefined;
  let exReason: string | undefined;
  const dayBefore = (d: string) => iso(at(d) - DAY);
  if (outcome === 'graduated') {
    ended = plannedEnd;
    periods.push({ status: 'studē', start: matriculated, end: dayBefore(ended) }, { status: 'absolvējis', start: ended, end: null });
    exReason = 'absolvējis';
  } else if (outcome === 'exmatriculated') {
    const span = Math.max(60, Math.min(at(plannedEnd), at(today)) - at(matriculated)) / DAY;
    ended = iso(at(matriculated) + Math.floor(span * (0.2 + 0.6 * rng.next())) * DAY);
    if (ended >= today) outcome = 'active';
    else {
      periods.push({ status: 'studē', start: matriculated, end: dayBefore(ended) }, { status: 'eksmatrikulēts', start: ended, end: null });
      exReason = rng.pick(EX_REASONS);
    }
  }
  if (outcome === 'leave') {
    const leaveStart = iso(Math.min(at(today) - 30 * DAY, at(matriculated) + rng.int(120, 500) * DAY));
    if (leaveStart <= matriculated) outcome = 'active';
    else {
      const leaveEnd = iso(at(leaveStart) + 364 * DAY);
      periods.push({ status: 'studē', start: matriculated, end: dayBefore(leaveStart) });
      if (leaveEnd < today) {
        periods.push({ status: 'akadēmiskajā atvaļinājumā', start: leaveStart, end: leaveEnd, reason: rng.pick(LEAVE_REASONS) });
        periods.push({ status: 'studē', start: iso(at(leaveEnd) + DAY), end: null });
      } else periods.push({ status: 'akadēmiskajā atvaļinājumā', start: leaveStart, end: null, reason: rng.pick(LEAVE_REASONS) });
    }
  }
  if (outcome === 'active') periods.splice(0, periods.length, { status: 'studē', start: matriculated, end: null });
  return {
    index,
    person: gp,
    citizenship,
    personalCode,
    foreignDocument,
    programme,
    matriculated,
    orderNr: `1-2/${year}/${String(index + 1).padStart(5, '0')}`,
    funding: rng.next() < 0.6 ? 'budžets' : 'maksas',
    form: rng.next() < 0.85 ? 'pilna laika' : 'nepilna laika',
    outcome,
    periods,
    ended,
    exReason,
    resultsUntil: ended && ended < today ? ended : today,
  };
}

/** The slot-th result of a student: courses of the programme, at session ends over the years studied. */
export function resultPlan(seed: number, plan: StudentPlan, slot: number, slots: number): ResultPlan {
  const rng = rngFor(seed, 2, plan.index * 64 + slot);
  const course = COURSE_BY_CODE.get(plan.programme.courses[slot % plan.programme.courses.length]!)!;
  const start = at(plan.matriculated);
  const until = Math.max(start + 30 * DAY, at(plan.resultsUntil) - DAY);
  const sessions: number[] = [];
  for (let y = Number(plan.matriculated.slice(0, 4)); sessions.length < 20; y++) {
    for (const s of [Date.UTC(y + 1, 0, 20), Date.UTC(y + 1, 5, 15)]) if (s <= until) sessions.push(s);
    if (Date.UTC(y + 1, 0, 20) > until) break;
  }
  const date = sessions.length ? sessions[Math.min(sessions.length - 1, Math.floor((slot * sessions.length) / Math.max(1, slots)))]! : until;
  const passFail = course.kp <= 2;
  const g = rng.next();
  const grade = passFail ? (g < 0.96 ? 'ieskaitīts' : 'neieskaitīts') : g < 0.04 ? String(rng.int(2, 3)) : String(rng.pick([4, 5, 6, 6, 7, 7, 7, 8, 8, 8, 9, 9, 10]));
  const t = rng.next();
  const type = t < 0.04 ? 'atzīts' : t < 0.07 ? 'pārnests' : 'eksāmens';
  return { course, grade, date: iso(date), type, ...(type === 'atzīts' ? { from: rng.pick(['rtu.lv', 'rsu.lv', 'ktu.edu', 'ut.ee']) } : {}) };
}

/** UTC time of 01:00 on the last Sunday of a month (the EU switches summer time then). */
function lastSunday1am(year: number, month: number): number {
  const d = new Date(Date.UTC(year, month + 1, 0, 1));
  return d.getTime() - d.getUTCDay() * DAY;
}

/** Offset of Europe/Riga at an instant, in minutes: +180 in summer time (EEST), else +120 (EET). */
export function rigaOffsetMinutes(ms: number): number {
  const y = new Date(ms).getUTCFullYear();
  return ms >= lastSunday1am(y, 2) && ms < lastSunday1am(y, 9) ? 180 : 120;
}

/** RFC 3339 in Riga local time with its offset and milliseconds: 2024-08-20T10:15:00.123+03:00. */
export function rigaTime(ms: number): string {
  const off = rigaOffsetMinutes(ms);
  const local = new Date(ms + off * 60_000).toISOString().slice(0, 23);
  return `${local}+0${off / 60}:00`;
}

/** Local Riga wall-clock parts of an instant (for dd.mm.yyyy HH:mm:ss renderings). */
export function rigaParts(ms: number): { date: string; time: string } {
  const local = new Date(ms + rigaOffsetMinutes(ms) * 60_000).toISOString();
  return { date: local.slice(0, 10), time: local.slice(11, 19) };
}
