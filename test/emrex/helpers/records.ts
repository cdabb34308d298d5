import { PERSONAL_CODE } from '../../ewp/helpers/data.ts';

/** The canonical records of the EMREX tests, as a source sends them. */

/** A learner: Anna Liepiņa (personal code and student number), fields of `extra` over them. */
export const learner = (sourceId: string, code: string = PERSONAL_CODE, extra: Record<string, unknown> = {}) => ({
  sourceId,
  identifiers: [
    { scheme: 'lv-personas-kods', value: code },
    { scheme: 'student-number', value: sourceId },
  ],
  givenNames: 'Anna',
  familyName: 'Liepiņa',
  birthDate: '2001-01-01',
  gender: 'female',
  citizenship: 'LV',
  ...extra,
});

export const course = (sourceId: string, code: string, lv: string, en: string) => ({
  sourceId,
  identifiers: [{ scheme: 'local-code', value: code }],
  code,
  name: [
    { lang: 'lv', text: lv },
    { lang: 'en', text: en },
  ],
  credits: { value: 6, scheme: 'ECTS' },
  iscedF: '0613',
  language: 'lv',
  validFrom: '2020-09-01',
});

/** An exam result of 6 ECTS on the Latvian 10-point scale. */
export const result = (sourceId: string, personId: string, courseId: string, grade: string, date: string) => ({
  sourceId,
  identifiers: [],
  person: { sourceId: personId },
  course: { sourceId: courseId },
  grade: { value: grade, scheme: 'LV_10' },
  credits: { value: 6, scheme: 'ECTS' },
  date,
  type: 'exam',
});
