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

/** The notice of the degree credential the hub issued for award(n) (a canonical credential record, as src/credentials writes it). */
export function credential(n: number, extra: Record<string, unknown> = {}) {
  const id = `6f1c2a9e-3b7d-4e21-9a0c-${String(n).padStart(12, '0')}`;
  return {
    sourceId: id,
    sourceUpdatedAt: '2026-06-18T09:30:00Z',
    identifiers: [{ scheme: 'diploma-number', value: `PB ${String(n).padStart(6, '0')}` }],
    credentialId: `urn:uuid:${id}`,
    kind: 'degree',
    person: { id: `3c4d5e6f-7a8b-4c9d-8e0f-${String(n).padStart(12, '0')}` },
    award: { id: `b2c3d4e5-f6a7-4b8c-9d0e-${String(n).padStart(12, '0')}` },
    subjectVersion: 1,
    title: [{ lang: 'lv', text: 'inženierzinātņu bakalaura profesionālais grāds datorsistēmās' }],
    status: 'active',
    issuedAt: '2026-06-18T09:30:00Z',
    statusList: { url: 'https://hub.example.lv/credentials/status/rtu.lv/0', index: 100 + n },
    ...extra,
  };
}

/** The same notice once the credential is revoked. */
export function revokedCredential(n: number, reason = 'issued with a wrong qualification title', extra: Record<string, unknown> = {}) {
  return credential(n, { status: 'revoked', revokedAt: '2026-07-01T12:00:00Z', revocationReason: reason, sourceUpdatedAt: '2026-07-01T12:00:00Z', ...extra });
}
