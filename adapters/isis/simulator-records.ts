import { lvDate } from '../../src/demo/generator.ts';
import { courseTexts, programmeTexts, type CatalogueTexts } from '../_sim/catalogue-texts.ts';
import type { CourseDef, ProgrammeDef, ResultPlan, StudentPlan } from '../_sim/simulator-data.ts';

/**
 * The simulators' generated plans rendered as ISIS records (isis.wsdl): English element names, codes
 * instead of Latvian words, every value a string, dates dd.mm.yyyy.
 */

export type IsisRecord = Record<string, unknown> & { ChangeNo: number; Modified: string };

const STATUS: Record<string, string> = { studē: 'S', 'akadēmiskajā atvaļinājumā': 'A', eksmatrikulēts: 'E', absolvējis: 'B' };
const EX_REASON: Record<string, string> = { absolvējis: 'GRAD', 'pēc paša vēlēšanās': 'OWN', nesekmība: 'FAIL', 'studiju maksas neveikšana': 'FEE' };

export function isisProgramme(d: ProgrammeDef, changeNo: number, modified: string): IsisRecord {
  const t = programmeTexts(d);
  return {
    ChangeNo: changeNo,
    Modified: modified,
    Code: d.code,
    Title: d.name,
    TitleEn: d.nameEn,
    LikCode: d.lik,
    Isced: d.isced,
    EqfLevel: String(d.eqf),
    Credits: String(d.kp),
    DurationYears: String(d.years),
    Form: 'PLK',
    Language: 'LV',
    ...isisCatalogue(t),
    Admission: t.admission.lv,
    AdmissionEn: t.admission.en,
    Seats: String(t.seats),
    FeeEur: String(t.feeEur),
    CourseCode: d.courses,
    ValidFrom: lvDate(d.validFrom),
  };
}

const DELIVERY = { 'in-person': 'K', online: 'T', blended: 'J' } as const;

/** The catalogue elements of isis.wsdl, in its order (every value a string). */
function isisCatalogue(t: CatalogueTexts): Record<string, unknown> {
  return {
    Description: t.description.lv,
    DescriptionEn: t.description.en,
    Outcome: t.outcomes.map((o) => ({ Lv: o.lv, En: o.en })),
    ...(t.prerequisites ? { Prerequisites: t.prerequisites.lv, PrerequisitesEn: t.prerequisites.en } : {}),
    Assessment: t.assessment.lv,
    AssessmentEn: t.assessment.en,
    Languages: t.languages.map((l) => l.toUpperCase()).join(' '),
    Delivery: DELIVERY[t.delivery],
    OpenToOthers: t.openToOthers ? 'Y' : 'N',
    MicroCredential: t.microCredential ? 'Y' : 'N',
    ...(t.escoSkills.length ? { EscoSkill: t.escoSkills } : {}),
    ContactOffice: t.office.lv,
    ContactOfficeEn: t.office.en,
    ContactEmail: t.email,
  };
}

export function isisCourse(d: CourseDef, changeNo: number, modified: string): IsisRecord {
  return {
    ChangeNo: changeNo,
    Modified: modified,
    Code: d.code,
    Title: d.name,
    TitleEn: d.nameEn,
    Credits: String(d.kp),
    EqfLevel: String(d.eqf),
    ...isisCatalogue(courseTexts(d)),
    ValidFrom: lvDate(d.validFrom),
  };
}

export function isisStudent(s: StudentPlan, changeNo: number, modified: string): IsisRecord {
  return {
    ChangeNo: changeNo,
    Modified: modified,
    StudentNo: s.person.studentNumber,
    ...(s.personalCode ? { PersonalCode: s.personalCode.replace('-', '') } : {}),
    FirstName: s.person.givenNames,
    LastName: s.person.familyName,
    BirthDate: lvDate(s.person.birthDate),
    Sex: s.person.gender === 'male' ? 'M' : 'F',
    Email: s.person.email.replace('students.example.lv', 'stud.example.lv'),
    Citizenship: s.citizenship,
    ...(s.foreignDocument ? { ForeignDocument: { Number: s.foreignDocument.numurs, Country: s.foreignDocument.valsts } } : {}),
  };
}

export const isisStudyRightId = (s: StudentPlan) => `SR${s.person.studentNumber}`;

export function isisStudyRight(s: StudentPlan, changeNo: number, modified: string): IsisRecord {
  return {
    ChangeNo: changeNo,
    Modified: modified,
    Id: isisStudyRightId(s),
    StudentNo: s.person.studentNumber,
    ProgrammeCode: s.programme.code,
    OrderNo: s.orderNr,
    OrderDate: lvDate(s.matriculated),
    Funding: s.funding === 'budžets' ? 'VB' : 'M',
    Form: s.form === 'pilna laika' ? 'PLK' : 'NLK',
    Status: s.periods.map((p) => ({ Code: STATUS[p.status], From: lvDate(p.start), ...(p.end ? { To: lvDate(p.end) } : {}), ...(p.reason ? { Reason: p.reason } : {}) })),
    ...(s.ended && s.exReason ? { Exmatriculation: { Date: lvDate(s.ended), ReasonCode: EX_REASON[s.exReason] ?? 'OTHER', OrderNo: `E-${s.ended.slice(0, 4)}-${s.index + 1}` } } : {}),
  };
}

export function isisResult(s: StudentPlan, slot: number, r: ResultPlan, changeNo: number, modified: string): IsisRecord {
  return {
    ChangeNo: changeNo,
    Modified: modified,
    Id: `R${s.person.studentNumber}-${slot + 1}`,
    StudentNo: s.person.studentNumber,
    StudyRightId: isisStudyRightId(s),
    CourseCode: r.course.code,
    Grade: r.grade === 'ieskaitīts' ? 'I' : r.grade === 'neieskaitīts' ? 'NI' : r.grade,
    Credits: String(r.course.kp),
    Date: lvDate(r.date),
    Kind: r.type === 'atzīts' ? 'RECOGNISED' : r.type === 'pārnests' ? 'TRANSFER' : 'EXAM',
    ...(r.from ? { FromInstitution: r.from } : {}),
  };
}
