/**
 * rtu.lv's catalogue as its study system pushes it in the canonical model (the demo sends it once at
 * start, beside the LAIS and ISIS simulators' catalogues of lu.lv and rsu.lv): two terms, a programme,
 * its courses with descriptions in Latvian and English, and their offerings.
 */

/** A localized string in Latvian and English. */
export const lt = (lv: string, en: string) => [
  { lang: 'lv', text: lv },
  { lang: 'en', text: en },
];

export function rtuTerms(year: number) {
  const y = `${year}/${year + 1}`;
  return [
    {
      sourceId: `T-${year}R`,
      identifiers: [{ scheme: 'local-code', value: `${y}-R` }],
      code: `${y}-R`,
      name: lt(`${y}. akadēmiskā gada rudens semestris`, `Autumn semester ${y}`),
      termType: 'semester',
      academicYear: y,
      start: `${year}-09-01`,
      end: `${year + 1}-01-25`,
    },
    {
      sourceId: `T-${year}P`,
      identifiers: [{ scheme: 'local-code', value: `${y}-P` }],
      code: `${y}-P`,
      name: lt(`${y}. akadēmiskā gada pavasara semestris`, `Spring semester ${y}`),
      termType: 'semester',
      academicYear: y,
      start: `${year + 1}-02-02`,
      end: `${year + 1}-06-21`,
    },
  ];
}

interface SeedCourse {
  code: string;
  lv: string;
  en: string;
  ects: number;
  descLv: string;
  descEn: string;
  langs: string[];
  mode: 'in-person' | 'online' | 'blended';
  open: boolean;
  micro?: boolean;
}

const COURSES: SeedCourse[] = [
  {
    code: 'DIP101',
    lv: 'Datoru arhitektūra',
    en: 'Computer Architecture',
    ects: 6,
    descLv: 'Procesoru uzbūve, atmiņas hierarhija, ievade un izvade; praktiski darbi ar mikrokontrolieriem.',
    descEn: 'Processor design, memory hierarchy, input and output; labs with microcontrollers.',
    langs: ['lv'],
    mode: 'in-person',
    open: true,
  },
  {
    code: 'DIP205',
    lv: 'Programmatūras inženierija',
    en: 'Software Engineering',
    ects: 6,
    descLv: 'Prasību analīze, projektēšana, testēšana un komandas darbs programmatūras projektos.',
    descEn: 'Requirements, design, testing and teamwork in software projects.',
    langs: ['lv', 'en'],
    mode: 'blended',
    open: true,
  },
  {
    code: 'DIP310',
    lv: 'Datortīkli',
    en: 'Computer Networks',
    ects: 4,
    descLv: 'Tīklu protokoli, maršrutēšana un tīklu drošība.',
    descEn: 'Network protocols, routing and network security.',
    langs: ['lv'],
    mode: 'in-person',
    open: false,
  },
  {
    code: 'DIP320',
    lv: 'Mašīnmācīšanās pamati',
    en: 'Foundations of Machine Learning',
    ects: 6,
    descLv: 'Uzraudzītā un neuzraudzītā mācīšanās, modeļu novērtēšana un datu sagatavošana.',
    descEn: 'Supervised and unsupervised learning, model evaluation and data preparation.',
    langs: ['en'],
    mode: 'online',
    open: true,
  },
  {
    code: 'DIP330',
    lv: 'Kiberdrošības pamati',
    en: 'Cyber Security Essentials',
    ects: 3,
    descLv: 'Apdraudējumi, riski un aizsardzības pasākumi; mikrokvalifikācija profesionāļiem.',
    descEn: 'Threats, risks and countermeasures; a micro-credential for professionals.',
    langs: ['lv', 'en'],
    mode: 'online',
    open: true,
    micro: true,
  },
  {
    code: 'EKO110',
    lv: 'Inženierekonomika',
    en: 'Engineering Economics',
    ects: 3,
    descLv: 'Investīciju novērtēšana, izmaksas un ekonomiskā efektivitāte inženierprojektos.',
    descEn: 'Investment appraisal, costs and economic efficiency of engineering projects.',
    langs: ['lv'],
    mode: 'in-person',
    open: true,
  },
];

export function rtuProgramme() {
  return {
    sourceId: 'RDB0',
    identifiers: [
      { scheme: 'lik', value: '43481002' },
      { scheme: 'local-code', value: 'RDB0' },
    ],
    name: lt('Datorsistēmas', 'Computer Systems'),
    likCode: '43481002',
    iscedF: '0612',
    eqfLevel: 6,
    programmeType: 'academic-bachelor',
    credits: { value: 180, scheme: 'ECTS' },
    durationYears: 3,
    studyForm: 'full-time',
    language: 'lv',
    description: lt('Bakalaura programma datorsistēmu projektēšanā, programmēšanā un tīklos.', "A bachelor's programme in the design, programming and networking of computer systems."),
    learningOutcomes: [lt('Projektē un izstrādā datorsistēmas.', 'Designs and builds computer systems.'), lt('Analizē un aizsargā datortīklus.', 'Analyses and secures computer networks.')],
    teachingLanguages: ['lv', 'en'],
    modesOfDelivery: ['in-person'],
    levelOfStudy: 'bachelor',
    lkiLevel: 6,
    admission: lt(
      'Vispārējā vidējā izglītība; centralizētie eksāmeni matemātikā, latviešu valodā un svešvalodā.',
      'Secondary education; centralised examinations in mathematics, Latvian and a foreign language.',
    ),
    seats: 120,
    fees: [{ amount: 3500, currency: 'EUR', per: 'year', category: 'all' }],
    contact: { office: lt('Datorzinātnes un informācijas tehnoloģijas fakultātes dekanāts', 'Faculty of Computer Science and IT, Dean’s office'), email: 'ditf@rtu.example.lv' },
    links: [{ url: 'https://www.rtu.lv/', title: lt('Programmas lapa', 'Programme page') }],
    courses: COURSES.filter((c) => c.code.startsWith('DIP')).map((c) => ({ sourceId: c.code })),
    validFrom: '2023-09-01',
  };
}

export function rtuCourses() {
  return COURSES.map((c) => ({
    sourceId: c.code,
    identifiers: [{ scheme: 'local-code', value: c.code }],
    code: c.code,
    name: lt(c.lv, c.en),
    credits: { value: c.ects, scheme: 'ECTS' },
    eqfLevel: 6,
    language: c.langs[0],
    iscedF: c.code.startsWith('EKO') ? '0311' : '0612',
    description: lt(c.descLv, c.descEn),
    learningOutcomes: [lt(`Izprot kursa "${c.lv}" pamatus.`, `Understands the foundations of ${c.en}.`)],
    assessment: lt('Eksāmens un laboratorijas darbi.', 'Examination and lab work.'),
    teachingLanguages: c.langs,
    modesOfDelivery: [c.mode],
    levelOfStudy: 'bachelor',
    lkiLevel: 6,
    microCredential: c.micro ?? false,
    openToOtherInstitutions: c.open,
    contact: { office: lt('Studiju programmas birojs', 'Programme office'), email: 'studijas@rtu.example.lv' },
    validFrom: '2023-09-01',
  }));
}

export function rtuOfferings(year: number) {
  return COURSES.map((c, i) => {
    const term = i % 2 === 0 ? `T-${year}R` : `T-${year}P`;
    return {
      sourceId: `OF-${c.code}-${term}`,
      identifiers: [{ scheme: 'local-code', value: `${c.code}-${term.slice(2)}` }],
      course: { sourceId: c.code },
      term: { sourceId: term },
      code: `${c.code}-${term.slice(2)}`,
      capacity: 40 + i * 10,
      language: c.langs[0],
      modeOfDelivery: c.mode,
      openToOtherInstitutions: c.open,
    };
  });
}
