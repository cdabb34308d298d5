import type { Hub } from '../../../src/hub.ts';

/** Canonical records of the demo's lu.lv and its partner vu.lt for the EWP tests. */
export const LU = 'lu.lv';
export const VU = 'vu.lt';
export const OMOBILITY = 'LU-OM-2025-0042';
export const INCOMING = 'VU-OM-2025-0007';
export const LU_IIA = 'lu-iia-2025-001';
export const VU_IIA = 'vu-iia-77';
/** A personal code that must never leave the hub through EWP. */
export const PERSONAL_CODE = '170599-11230';

export const factsheet = {
  calendar: { studentNominations: { autumnTerm: '--05-15', springTerm: '--11-15' }, studentApplications: { autumnTerm: '--06-01', springTerm: '--12-01' } },
  applicationInfo: { email: 'incoming@lu.lv', phone: '+37167034444', website: 'https://www.lu.lv/en/admission/exchange' },
  additionalRequirements: [{ name: 'Language certificate', details: 'English B2', website: 'https://www.lu.lv/en/exchange/language' }],
  decisionWeeksLimit: 5,
  torWeeksLimit: 5,
  accessibility: [{ type: 'service', name: 'Support for students with disabilities', information: { email: 'access@lu.lv', phone: '+37167034000', website: 'https://www.lu.lv/en/access' } }],
  housingInfo: { email: 'housing@lu.lv', phone: '+37167034001', website: 'https://www.lu.lv/en/housing' },
  visaInfo: { email: 'visa@lu.lv', phone: '+37167034002', website: 'https://www.lu.lv/en/visa' },
  insuranceInfo: { email: 'insurance@lu.lv', phone: '+37167034003', website: 'https://www.lu.lv/en/insurance' },
};

export function luIia(extra: Record<string, unknown> = {}, vuIiaId?: string) {
  return {
    sourceId: 'IIA-2025-001',
    identifiers: [{ scheme: 'iia-id', value: LU_IIA }],
    iiaId: LU_IIA,
    iiaCode: 'LU-VU-2025',
    partners: [
      { heiId: LU, iiaId: LU_IIA, contact: { name: 'Ilze Kalniņa', position: 'Erasmus koordinatore', email: 'erasmus@lu.lv', phone: '+371 67034567' }, signingDate: '2025-03-01' },
      { heiId: VU, ...(vuIiaId ? { iiaId: vuIiaId } : {}), contact: { name: 'Rūta Petrauskienė', email: 'erasmus@vu.lt' } },
    ],
    cooperationConditions: [
      {
        type: 'student-studies',
        sendingHei: LU,
        receivingHei: VU,
        academicYears: { first: '2025/2026', last: '2028/2029' },
        mobilitiesPerYear: 4,
        totalMonthsPerYear: 20,
        subjectAreas: [{ iscedF: '0613', clarification: 'Software development' }],
        eqfLevels: [6, 7],
        blended: false,
        languageSkills: [{ language: 'en', cefrLevel: 'B2' }],
      },
      {
        type: 'staff-teaching',
        sendingHei: VU,
        receivingHei: LU,
        academicYears: { first: '2025/2026', last: '2028/2029' },
        mobilitiesPerYear: 1,
        totalDaysPerYear: 5,
        languageSkills: [{ language: 'en' }],
      },
    ],
    startYear: 2025,
    endYear: 2029,
    ...extra,
  };
}

export function vuIia(luIiaId: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    sourceId: 'VU-IIA-77',
    identifiers: [{ scheme: 'iia-id', value: VU_IIA }],
    iiaId: VU_IIA,
    partners: [
      { heiId: VU, iiaId: VU_IIA, contact: { name: 'Rūta Petrauskienė', email: 'erasmus@vu.lt' } },
      { heiId: LU, ...(luIiaId ? { iiaId: luIiaId } : {}), contact: { name: 'Ilze Kalniņa', email: 'erasmus@lu.lv' } },
    ],
    cooperationConditions: [
      {
        type: 'student-studies',
        sendingHei: LU,
        receivingHei: VU,
        academicYears: { first: '2025/2026', last: '2028/2029' },
        mobilitiesPerYear: 4,
        totalMonthsPerYear: 20,
        subjectAreas: [{ iscedF: '0613' }],
        eqfLevels: [6, 7],
        blended: false,
        languageSkills: [{ language: 'en', cefrLevel: 'B2' }],
      },
    ],
    startYear: 2025,
    endYear: 2029,
    ...extra,
  };
}

export const luRecords = {
  organisation: [
    {
      sourceId: 'ORG-1',
      identifiers: [
        { scheme: 'schac', value: LU },
        { scheme: 'erasmus', value: 'LV RIGA01' },
        { scheme: 'pic', value: '999865134' },
      ],
      name: [
        { lang: 'lv', text: 'Latvijas Universitāte' },
        { lang: 'en', text: 'University of Latvia' },
      ],
      abbreviation: 'LU',
      type: 'institution',
      country: 'LV',
      city: 'Rīga',
      website: 'https://www.lu.lv',
    },
    {
      sourceId: 'ORG-17',
      identifiers: [{ scheme: 'local-code', value: 'EZTF' }],
      name: [
        { lang: 'lv', text: 'Eksakto zinātņu un tehnoloģiju fakultāte' },
        { lang: 'en', text: 'Faculty of Science and Technology' },
      ],
      abbreviation: 'EZTF',
      type: 'faculty',
      parent: { sourceId: 'ORG-1' },
      country: 'LV',
    },
    {
      sourceId: 'ORG-18',
      identifiers: [{ scheme: 'local-code', value: 'DF' }],
      name: [{ lang: 'lv', text: 'Datorikas nodaļa' }],
      type: 'department',
      parent: { sourceId: 'ORG-17' },
      country: 'LV',
    },
  ],
  'academic-term': [
    {
      sourceId: 'T-2025R',
      identifiers: [],
      code: '2025/2026-R',
      name: [{ lang: 'en', text: 'Autumn semester 2025/2026' }],
      termType: 'semester',
      academicYear: '2025/2026',
      start: '2025-09-01',
      end: '2026-01-25',
    },
    {
      sourceId: 'T-2026P',
      identifiers: [],
      code: '2025/2026-P',
      name: [{ lang: 'en', text: 'Spring semester 2025/2026' }],
      termType: 'semester',
      academicYear: '2025/2026',
      start: '2026-02-02',
      end: '2026-06-30',
    },
    {
      sourceId: 'T-2025',
      identifiers: [],
      code: '2025/2026',
      name: [{ lang: 'en', text: 'Academic year 2025/2026' }],
      termType: 'academic-year',
      academicYear: '2025/2026',
      start: '2025-09-01',
      end: '2026-06-30',
    },
  ],
  programme: [
    {
      sourceId: 'PRG-43481',
      identifiers: [{ scheme: 'lik', value: '43481001' }],
      name: [
        { lang: 'lv', text: 'Datorzinātnes' },
        { lang: 'en', text: 'Computer Science' },
      ],
      likCode: '43481001',
      iscedF: '0612',
      eqfLevel: 6,
      programmeType: 'academic-bachelor',
      credits: { value: 180, scheme: 'ECTS' },
      studyForm: 'full-time',
      validFrom: '2022-10-11',
    },
  ],
  'study-right': [
    {
      sourceId: 'SR-2023-0101',
      identifiers: [{ scheme: 'matriculation-order', value: '1-6/2023/101' }],
      person: { sourceId: 'P-100231' },
      programme: { sourceId: 'PRG-43481' },
      matriculation: { orderNumber: '1-6/2023/101', date: '2023-08-28' },
      statusPeriods: [{ status: 'active', start: '2023-09-01' }],
      funding: 'state-budget',
      studyForm: 'full-time',
    },
  ],
  course: [
    {
      sourceId: 'C-DatZ1234',
      identifiers: [{ scheme: 'local-code', value: 'DatZ1234' }],
      code: 'DatZ1234',
      name: [
        { lang: 'lv', text: 'Programmēšanas pamati' },
        { lang: 'en', text: 'Foundations of Programming' },
      ],
      credits: { value: 6, scheme: 'ECTS' },
      eqfLevel: 6,
      language: 'lv',
      iscedF: '0613',
      organisation: { sourceId: 'ORG-17' },
      validFrom: '2023-09-01',
    },
  ],
  offering: [{ sourceId: 'OF-1', identifiers: [], course: { sourceId: 'C-DatZ1234' }, term: { sourceId: 'T-2025R' }, code: 'DatZ1234-2025R', language: 'en' }],
  person: [
    {
      sourceId: 'P-100231',
      identifiers: [
        { scheme: 'lv-personas-kods', value: PERSONAL_CODE },
        { scheme: 'esi', value: 'urn:schac:personalUniqueCode:int:esi:lu.lv:ab19001' },
      ],
      givenNames: 'Ānis',
      familyName: 'Bērziņš',
      birthDate: '1999-05-17',
      gender: 'male',
      citizenship: 'LV',
      email: 'ab19001@edu.lu.lv',
    },
  ],
  'mobility-period': [
    {
      sourceId: 'MOB-42',
      identifiers: [{ scheme: 'omobility-id', value: OMOBILITY }],
      person: { sourceId: 'P-100231' },
      studyRight: { sourceId: 'SR-2023-0101' },
      omobilityId: OMOBILITY,
      sendingInstitution: LU,
      sendingOunitId: 'EZTF',
      receivingInstitution: VU,
      iiaId: LU_IIA,
      start: '2025-09-01',
      end: '2026-01-31',
      status: 'nominated',
      mobilityType: 'student-studies',
      activityAttributes: 'long-term',
      subjectArea: '0613',
      eqfLevel: 6,
      receivingAcademicYear: '2025/2026',
      languageSkill: { language: 'en', cefrLevel: 'B2' },
    },
  ],
  'inter-institutional-agreement': [luIia()],
};

export function laDraft(changesId = `${OMOBILITY}-v1`, extra: Record<string, unknown> = {}) {
  return {
    sourceId: `LA-${changesId}`,
    identifiers: [{ scheme: 'omobility-id', value: OMOBILITY }],
    mobility: { sourceId: 'MOB-42' },
    omobilityId: OMOBILITY,
    changesId,
    status: 'draft',
    components: [
      { type: 'studied', courseCode: 'ISI-2041', title: 'Distributed Systems', credits: { value: 5, scheme: 'ECTS' }, termId: '2025/2026-1/2' },
      { type: 'recognized', courseCode: 'DatZ2001', title: 'Sadalītās sistēmas', credits: { value: 5, scheme: 'ECTS' } },
    ],
    signatures: {
      student: { name: 'Ānis Bērziņš', position: 'Student', timestamp: '2025-06-01T18:02:00+03:00' },
      sending: { name: 'Ilze Kalniņa', position: 'Erasmus koordinatore', email: 'erasmus@lu.lv', timestamp: '2025-06-02T09:30:00+03:00' },
    },
    ...extra,
  };
}

/** The receiving HEI's view (vu.lt by default): the incoming student (its own person record, same ESI), the mobility, its course and results. */
export function vuIncoming(omobilityId = OMOBILITY, receiving = VU, sending = LU) {
  return {
    person: [
      {
        sourceId: 'VU-S-1',
        identifiers: [{ scheme: 'esi', value: 'urn:schac:personalUniqueCode:int:esi:lu.lv:ab19001' }],
        givenNames: 'Ānis',
        familyName: 'Bērziņš',
        birthDate: '1999-05-17',
        gender: 'male',
        citizenship: 'LV',
        email: 'anis.berzins@stud.vu.lt',
      },
    ],
    course: [
      {
        sourceId: 'ISI-2041',
        identifiers: [{ scheme: 'local-code', value: 'ISI-2041' }],
        code: 'ISI-2041',
        name: [{ lang: 'en', text: 'Distributed Systems' }],
        credits: { value: 5, scheme: 'ECTS' },
        language: 'en',
        iscedF: '0613',
        validFrom: '2020-09-01',
      },
    ],
    'mobility-period': [
      {
        sourceId: `IN-${omobilityId}`,
        identifiers: [{ scheme: 'omobility-id', value: omobilityId }],
        person: { sourceId: 'VU-S-1' },
        omobilityId,
        sendingInstitution: sending,
        receivingInstitution: receiving,
        start: '2025-09-01',
        end: '2026-01-31',
        status: 'live',
        mobilityType: 'student-studies',
        receivingAcademicYear: '2025/2026',
      },
    ],
    attainment: [
      {
        sourceId: 'VU-ATT-1',
        identifiers: [],
        person: { sourceId: 'VU-S-1' },
        course: { sourceId: 'ISI-2041' },
        grade: { value: 'B', scheme: 'ECTS_AF' },
        credits: { value: 5, scheme: 'ECTS' },
        date: '2026-01-20',
        type: 'exam',
      },
      {
        sourceId: 'VU-ATT-2',
        identifiers: [],
        person: { sourceId: 'VU-S-1' },
        course: { sourceId: 'ISI-2041' },
        grade: { value: 'passed', scheme: 'PASS_FAIL' },
        credits: { value: 1, scheme: 'ECTS' },
        date: '2025-12-10',
        type: 'exam',
      },
    ],
  };
}

/** Ingests records through a source and fails on any rejection (with the reasons). */
export async function seed(hub: Hub, source: string, data: Record<string, Record<string, unknown>[]>): Promise<void> {
  for (const [entity, records] of Object.entries(data)) {
    const results = await hub.pipeline.ingest(source, entity, records, 'application/json');
    const bad = results.filter((r) => r.status === 'rejected');
    if (bad.length) throw new Error(`${entity} rejected: ${JSON.stringify(bad.map((b) => b.error))}`);
  }
}
