/** Canonical records of rtu.lv (source rtu-push, mapping set canonical) for the VIIS tests. */
export const PROGRAMME = '42523002';

export function personalCode(n: number): string {
  // New-form codes (issued since 2017) start with 32 and carry no birth date.
  return `32${String(n).padStart(4, '0')}-${String(n).padStart(5, '0')}`;
}

export function person(n: number, extra: Record<string, unknown> = {}) {
  const id = `P${String(n).padStart(5, '0')}`;
  return {
    sourceId: id,
    identifiers: [
      { scheme: 'lv-personas-kods', value: personalCode(n) },
      { scheme: 'student-number', value: id },
    ],
    givenNames: 'Jānis',
    familyName: 'Bērziņš',
    birthDate: '2003-02-11',
    gender: 'male',
    citizenship: 'LV',
    email: `${id.toLowerCase()}@edu.rtu.lv`,
    ...extra,
  };
}

export function studyRight(n: number, extra: Record<string, unknown> = {}) {
  return {
    sourceId: `SR${String(n).padStart(5, '0')}`,
    identifiers: [{ scheme: 'matriculation-order', value: `02000-2.2/${n}` }],
    person: { sourceId: `P${String(n).padStart(5, '0')}` },
    programme: { sourceId: 'RDB0', identifiers: [{ scheme: 'lik', value: PROGRAMME }] },
    matriculation: { orderNumber: `02000-2.2/${n}`, date: '2022-08-22' },
    statusPeriods: [
      { status: 'active', start: '2022-09-01', end: '2023-01-31' },
      { status: 'academic-leave', start: '2023-02-01', end: '2023-08-31', reason: 'health', order: { orderNumber: 'AL-7', date: '2023-01-20' } },
      { status: 'active', start: '2023-09-01' },
    ],
    funding: 'state-budget',
    studyForm: 'full-time',
    studyYear: 2,
    ...extra,
  };
}

export function award(n: number, extra: Record<string, unknown> = {}) {
  return {
    sourceId: `AW${String(n).padStart(5, '0')}`,
    identifiers: [{ scheme: 'diploma-number', value: `PB ${String(n).padStart(6, '0')}` }],
    person: { sourceId: `P${String(n).padStart(5, '0')}` },
    studyRight: { sourceId: `SR${String(n).padStart(5, '0')}` },
    title: [
      { lang: 'en', text: 'Professional Bachelor in Computer Systems' },
      { lang: 'lv', text: 'inženierzinātņu bakalaura profesionālais grāds datorsistēmās' },
    ],
    diplomaNumber: `PB ${String(n).padStart(6, '0')}`,
    likCode: PROGRAMME,
    eqfLevel: 6,
    awardedAt: '2026-06-17',
    withDistinction: true,
    ...extra,
  };
}
