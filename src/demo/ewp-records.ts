/**
 * The canonical records of the demo's scripted EWP exchange between lu.lv (sending) and rtu.lv
 * (receiving), as their study systems would send them to the hub: lu.lv's mobility office system
 * (source `lu-erasmus`) sends an IIA with rtu.lv, a student's nomination and its learning agreement;
 * rtu.lv's system (source `rtu-push`) sends the incoming student, the course and the results.
 */
export const SENDING = 'lu.lv';
export const RECEIVING = 'rtu.lv';
export const IIA_ID = 'lu-rtu-iia-2026';
export const OMOBILITY_ID = 'LU-OM-2026-0101';
export const CHANGES_ID = `${OMOBILITY_ID}-v1`;
export const ESI = 'urn:schac:personalUniqueCode:int:esi:lu.lv:ek21017';

type Records = Record<string, Record<string, unknown>[]>;

const contact = {
  lu: { name: 'Ilze Kalniņa', position: 'Erasmus koordinatore', email: 'erasmus@lu.lv', phone: '+371 67034567' },
  rtu: { name: 'Jānis Liepa', position: 'Erasmus+ coordinator', email: 'erasmus@rtu.lv' },
};

/** lu.lv's reference data: the institution and a faculty, terms, the student's programme and study right, the student. */
const luReference: Records = {
  organisation: [
    {
      sourceId: 'EWP-ORG-LU',
      identifiers: [
        { scheme: 'schac', value: SENDING },
        { scheme: 'erasmus', value: 'LV RIGA01' },
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
      sourceId: 'EWP-ORG-LU-EZTF',
      identifiers: [{ scheme: 'local-code', value: 'EZTF' }],
      name: [
        { lang: 'lv', text: 'Eksakto zinātņu un tehnoloģiju fakultāte' },
        { lang: 'en', text: 'Faculty of Science and Technology' },
      ],
      abbreviation: 'EZTF',
      type: 'faculty',
      parent: { sourceId: 'EWP-ORG-LU' },
      country: 'LV',
    },
  ],
  'academic-term': [
    {
      sourceId: 'EWP-T-2026',
      identifiers: [],
      code: '2026/2027',
      name: [{ lang: 'en', text: 'Academic year 2026/2027' }],
      termType: 'academic-year',
      academicYear: '2026/2027',
      start: '2026-09-01',
      end: '2027-06-30',
    },
    {
      sourceId: 'EWP-T-2026R',
      identifiers: [],
      code: '2026/2027-R',
      name: [{ lang: 'en', text: 'Autumn semester 2026/2027' }],
      termType: 'semester',
      academicYear: '2026/2027',
      start: '2026-09-01',
      end: '2027-01-31',
    },
  ],
  programme: [
    {
      sourceId: 'EWP-PRG-DZ',
      identifiers: [{ scheme: 'lik', value: '43481001' }],
      name: [
        { lang: 'lv', text: 'Datorzinātnes' },
        { lang: 'en', text: 'Computer Science' },
      ],
      likCode: '43481001',
      iscedF: '0613',
      eqfLevel: 6,
      programmeType: 'academic-bachelor',
      credits: { value: 180, scheme: 'ECTS' },
      studyForm: 'full-time',
      validFrom: '2022-10-11',
    },
  ],
  person: [
    {
      sourceId: 'EWP-P-EK21017',
      identifiers: [{ scheme: 'esi', value: ESI }],
      givenNames: 'Elza',
      familyName: 'Krūmiņa',
      birthDate: '2003-04-11',
      gender: 'female',
      citizenship: 'LV',
      email: 'ek21017@edu.lu.lv',
    },
  ],
  'study-right': [
    {
      sourceId: 'EWP-SR-EK21017',
      identifiers: [{ scheme: 'matriculation-order', value: '1-6/2024/517' }],
      person: { sourceId: 'EWP-P-EK21017' },
      programme: { sourceId: 'EWP-PRG-DZ' },
      matriculation: { orderNumber: '1-6/2024/517', date: '2024-08-26' },
      statusPeriods: [{ status: 'active', start: '2024-09-01' }],
      funding: 'state-budget',
      studyForm: 'full-time',
    },
  ],
};

/** lu.lv's inter-institutional agreement with rtu.lv (EWP IIAs 7). */
const iia = {
  sourceId: 'EWP-IIA-LU-RTU',
  identifiers: [{ scheme: 'iia-id', value: IIA_ID }],
  iiaId: IIA_ID,
  iiaCode: 'LU-RTU-2026',
  partners: [
    { heiId: SENDING, iiaId: IIA_ID, contact: contact.lu, signingDate: '2026-03-02' },
    { heiId: RECEIVING, contact: contact.rtu },
  ],
  cooperationConditions: [
    {
      type: 'student-studies',
      sendingHei: SENDING,
      receivingHei: RECEIVING,
      academicYears: { first: '2026/2027', last: '2029/2030' },
      mobilitiesPerYear: 3,
      totalMonthsPerYear: 15,
      subjectAreas: [{ iscedF: '0613', clarification: 'Software and applications development' }],
      eqfLevels: [6, 7],
      blended: false,
      languageSkills: [{ language: 'en', cefrLevel: 'B2' }],
    },
  ],
  startYear: 2026,
  endYear: 2030,
};

/** The nomination: the student's mobility to rtu.lv in the autumn semester. */
const mobility = {
  sourceId: 'EWP-MOB-0101',
  identifiers: [{ scheme: 'omobility-id', value: OMOBILITY_ID }],
  person: { sourceId: 'EWP-P-EK21017' },
  studyRight: { sourceId: 'EWP-SR-EK21017' },
  omobilityId: OMOBILITY_ID,
  sendingInstitution: SENDING,
  sendingOunitId: 'EZTF',
  receivingInstitution: RECEIVING,
  iiaId: IIA_ID,
  start: '2026-09-01',
  end: '2027-01-29',
  status: 'nominated',
  mobilityType: 'student-studies',
  activityAttributes: 'long-term',
  subjectArea: '0613',
  eqfLevel: 6,
  receivingAcademicYear: '2026/2027',
  languageSkill: { language: 'en', cefrLevel: 'B2' },
};

/** Its learning agreement, signed by the student and lu.lv: a proposal rtu.lv has to sign. */
const learningAgreement = {
  sourceId: `EWP-LA-${CHANGES_ID}`,
  identifiers: [{ scheme: 'omobility-id', value: OMOBILITY_ID }],
  mobility: { sourceId: 'EWP-MOB-0101' },
  omobilityId: OMOBILITY_ID,
  changesId: CHANGES_ID,
  status: 'draft',
  components: [
    { type: 'studied', courseCode: 'DIP417', title: 'Distributed Systems', credits: { value: 6, scheme: 'ECTS' }, termId: '2026/2027-1/2' },
    { type: 'recognized', courseCode: 'DatZ3021', title: 'Sadalītās sistēmas', credits: { value: 6, scheme: 'ECTS' } },
  ],
  signatures: {
    student: { name: 'Elza Krūmiņa', position: 'Student', timestamp: '2026-06-01T18:02:00+03:00' },
    sending: { name: contact.lu.name, position: contact.lu.position, email: contact.lu.email, timestamp: '2026-06-02T09:30:00+03:00' },
  },
};

/** What lu.lv's system sends, in order (reference data first, then the IIA, the nomination, its LA). */
export function sendingRecords(): Records {
  return { ...luReference, 'inter-institutional-agreement': [iia], 'mobility-period': [mobility], 'learning-agreement': [learningAgreement] };
}

/** What rtu.lv's system sends: the incoming student (same ESI), the course, the mobility as rtu.lv sees it, two results. */
export function receivingRecords(): Records {
  return {
    person: [
      {
        sourceId: 'EWP-IN-EK21017',
        identifiers: [{ scheme: 'esi', value: ESI }],
        givenNames: 'Elza',
        familyName: 'Krūmiņa',
        birthDate: '2003-04-11',
        gender: 'female',
        citizenship: 'LV',
        email: 'elza.krumina@edu.rtu.lv',
      },
    ],
    course: [
      {
        sourceId: 'EWP-DIP417',
        identifiers: [{ scheme: 'local-code', value: 'DIP417' }],
        code: 'DIP417',
        name: [
          { lang: 'lv', text: 'Sadalītās sistēmas' },
          { lang: 'en', text: 'Distributed Systems' },
        ],
        credits: { value: 6, scheme: 'ECTS' },
        language: 'en',
        iscedF: '0613',
        validFrom: '2020-09-01',
      },
    ],
    'mobility-period': [
      {
        sourceId: `EWP-IN-${OMOBILITY_ID}`,
        identifiers: [{ scheme: 'omobility-id', value: OMOBILITY_ID }],
        person: { sourceId: 'EWP-IN-EK21017' },
        omobilityId: OMOBILITY_ID,
        sendingInstitution: SENDING,
        receivingInstitution: RECEIVING,
        start: '2026-09-01',
        end: '2027-01-29',
        status: 'live',
        mobilityType: 'student-studies',
        receivingAcademicYear: '2026/2027',
      },
    ],
    attainment: [
      {
        sourceId: 'EWP-IN-ATT-1',
        identifiers: [],
        person: { sourceId: 'EWP-IN-EK21017' },
        course: { sourceId: 'EWP-DIP417' },
        grade: { value: 'B', scheme: 'ECTS_AF' },
        credits: { value: 6, scheme: 'ECTS' },
        date: '2026-12-01',
        type: 'exam',
      },
      {
        sourceId: 'EWP-IN-ATT-2',
        identifiers: [],
        person: { sourceId: 'EWP-IN-EK21017' },
        course: { sourceId: 'EWP-DIP417' },
        grade: { value: 'passed', scheme: 'PASS_FAIL' },
        credits: { value: 1, scheme: 'ECTS' },
        date: '2026-11-20',
        type: 'exam',
      },
    ],
  };
}
