import { lvDate } from '../../src/demo/generator.ts';
import { courseTexts, programmeTexts, type CatalogueTexts } from '../_sim/catalogue-texts.ts';
import { rigaTime, type CourseDef, type ProgrammeDef, type ResultPlan, type StudentPlan } from '../_sim/simulator-data.ts';

/**
 * Generated plans rendered in the LAIS native format, exactly as mappings/lais/README.md describes it
 * (Latvian field names, dd.mm.yyyy dates, mainits with offset).
 */

export type LaisRecord = Record<string, unknown> & { mainits: string };

export function laisProgramme(d: ProgrammeDef, key: number): LaisRecord {
  const t = programmeTexts(d);
  return {
    programmas_kods: d.code,
    nosaukums: d.name,
    nosaukums_en: d.nameEn,
    lik_kods: d.lik,
    isced: d.isced,
    eqf_limenis: d.eqf,
    kp: d.kp,
    ilgums_gadi: d.years,
    studiju_forma: 'pilna laika',
    valoda: 'lv',
    ...laisCatalogue(t),
    uznemsanas_prasibas: t.admission.lv,
    uznemsanas_prasibas_en: t.admission.en,
    studiju_vietas: t.seats,
    maksa_eur_gada: t.feeEur,
    kursi: d.courses,
    spekā_no: lvDate(d.validFrom),
    mainits: rigaTime(key),
  };
}

const DELIVERY = { 'in-person': 'klātiene', online: 'tiešsaiste', blended: 'jaukta' } as const;

/** The catalogue fields LAIS sends with programmes and courses (Latvian names, English in *_en). */
function laisCatalogue(t: CatalogueTexts): Record<string, unknown> {
  return {
    apraksts: t.description.lv,
    apraksts_en: t.description.en,
    rezultati: t.outcomes.map((o) => ({ lv: o.lv, en: o.en })),
    ...(t.prerequisites ? { priekszinasanas: t.prerequisites.lv, priekszinasanas_en: t.prerequisites.en } : {}),
    vertesana: t.assessment.lv,
    vertesana_en: t.assessment.en,
    macibu_valodas: t.languages.join(','),
    istenosanas_veids: DELIVERY[t.delivery],
    atverts_citiem: t.openToOthers ? 'J' : 'N',
    mikrokvalifikacija: t.microCredential ? 'J' : 'N',
    ...(t.escoSkills.length ? { esco: t.escoSkills } : {}),
    kontakts: { struktura: t.office.lv, struktura_en: t.office.en, epasts: t.email },
  };
}

export function laisCourse(d: CourseDef, key: number): LaisRecord {
  return {
    kursa_kods: d.code,
    nosaukums: d.name,
    nosaukums_en: d.nameEn,
    kp: d.kp,
    eqf_limenis: d.eqf,
    valoda: 'lv',
    ...laisCatalogue(courseTexts(d)),
    spekā_no: lvDate(d.validFrom),
    mainits: rigaTime(key),
  };
}

export function laisStudent(s: StudentPlan, key: number): LaisRecord {
  return {
    studenta_id: s.person.studentNumber,
    ...(s.personalCode ? { personas_kods: s.personalCode } : {}),
    vards: s.person.givenNames,
    uzvards: s.person.familyName,
    dzimsanas_datums: lvDate(s.person.birthDate),
    dzimums: s.person.gender === 'male' ? 'V' : 'S',
    epasts: s.person.email,
    pilsoniba: s.citizenship,
    ...(s.foreignDocument ? { arzemju_dokuments: s.foreignDocument } : {}),
    mainits: rigaTime(key),
  };
}

export const studyRightId = (s: StudentPlan) => `ST-${s.person.studentNumber}`;

export function laisStudyRight(s: StudentPlan, key: number): LaisRecord {
  return {
    id: studyRightId(s),
    studenta_id: s.person.studentNumber,
    programmas_kods: s.programme.code,
    lik_kods: s.programme.lik,
    imatrikulacijas_rikojums: { nr: s.orderNr, datums: lvDate(s.matriculated) },
    statusi: s.periods.map((p) => ({ statuss: p.status, no: lvDate(p.start), lidz: p.end ? lvDate(p.end) : null, ...(p.reason ? { iemesls: p.reason } : {}) })),
    finansejums: s.funding,
    studiju_forma: s.form,
    ...(s.ended && s.exReason ? { eksmatrikulacija: { datums: lvDate(s.ended), iemesls: s.exReason, rikojuma_nr: `1-3/${s.ended.slice(0, 4)}/${s.index + 1}` } } : {}),
    mainits: rigaTime(key),
  };
}

export function laisResult(s: StudentPlan, slot: number, r: ResultPlan, key: number): LaisRecord {
  return {
    id: `V-${s.person.studentNumber}-${slot + 1}`,
    studenta_id: s.person.studentNumber,
    studiju_tiesibu_id: studyRightId(s),
    kursa_kods: r.course.code,
    atzime: r.grade,
    kp: r.course.kp,
    datums: lvDate(r.date),
    veids: r.type,
    ...(r.type === 'atzīts'
      ? {
          atzisana: {
            iestade: r.from,
            kursa_nosaukums: r.course.name,
            lemums: { nr: `ATZ-${r.date.slice(0, 4)}-${s.index + 1}-${slot + 1}`, datums: lvDate(r.date) },
          },
        }
      : {}),
    mainits: rigaTime(key),
  };
}

export function laisDiploma(s: StudentPlan, key: number): LaisRecord {
  return {
    id: `D-${s.person.studentNumber}`,
    studenta_id: s.person.studentNumber,
    studiju_tiesibu_id: studyRightId(s),
    programmas_kods: s.programme.code,
    diploma_nr: `${s.programme.diplomaSeries} ${String(s.index + 1).padStart(6, '0')}`,
    lik_kods: s.programme.lik,
    eqf_limenis: s.programme.eqf,
    grads: s.programme.degree,
    izsniegts: lvDate(s.ended ?? s.resultsUntil),
    pielikuma_nr: `DP ${String(s.index + 1).padStart(6, '0')}`,
    mainits: rigaTime(key),
  };
}

/** A term of the simulated timetable: the autumn and spring semester of an academic year. */
export interface TermDef {
  id: string;
  code: string;
  year: string;
  season: 'R' | 'P';
  start: string;
  end: string;
}

/** The autumn and spring semesters of the academic year `today` falls in, and of the next one. */
export function laisTerms(today: string): TermDef[] {
  const y = Number(today.slice(0, 4));
  const first = today.slice(5) >= '08-01' ? y : y - 1;
  return [first, first + 1].flatMap((start) => {
    const year = `${start}/${start + 1}`;
    return [
      { id: `S-${start}R`, code: `${year}-R`, year, season: 'R' as const, start: `${start}-09-01`, end: `${start + 1}-01-25` },
      { id: `S-${start}P`, code: `${year}-P`, year, season: 'P' as const, start: `${start + 1}-02-01`, end: `${start + 1}-06-20` },
    ];
  });
}

export function laisTerm(d: TermDef, key: number): LaisRecord {
  return {
    id: d.id,
    kods: d.code,
    nosaukums: `${d.year}. akadēmiskā gada ${d.season === 'R' ? 'rudens' : 'pavasara'} semestris`,
    nosaukums_en: `${d.season === 'R' ? 'Autumn' : 'Spring'} semester ${d.year}`,
    veids: 'semestris',
    akad_gads: d.year,
    sakums: lvDate(d.start),
    beigas: lvDate(d.end),
    mainits: rigaTime(key),
  };
}

/** A course's run in a term: each course once a year, in autumn or spring (by its code), in the first year of the timetable. */
export function laisOffering(course: CourseDef, terms: readonly TermDef[], key: number): LaisRecord {
  const t = courseTexts(course);
  let h = 0;
  for (const ch of course.code) h = (h * 31 + ch.codePointAt(0)!) >>> 0;
  const term = terms[h % 2]!;
  return {
    id: `PIED-${course.code}-${term.id}`,
    kods: `${course.code}-${term.code}`,
    kursa_kods: course.code,
    semestris: term.id,
    vietas: 20 + (h % 8) * 10,
    valoda: t.languages[0],
    istenosanas_veids: DELIVERY[t.delivery],
    atverts_citiem: t.openToOthers ? 'J' : 'N',
    mainits: rigaTime(key),
  };
}
