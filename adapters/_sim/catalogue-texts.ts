import type { CourseDef, ProgrammeDef } from './simulator-data.ts';

/**
 * Catalogue texts the simulators send with programmes and courses: descriptions, learning outcomes,
 * prerequisites and assessment in Latvian and English, languages, delivery, and the flags a student
 * choosing across institutions looks for. Derived from the course or programme alone, so every
 * simulator renders the same catalogue in its own format.
 */

export interface Bilingual {
  lv: string;
  en: string;
}

export interface CatalogueTexts {
  description: Bilingual;
  outcomes: Bilingual[];
  prerequisites: Bilingual | undefined;
  assessment: Bilingual;
  languages: string[];
  delivery: 'in-person' | 'online' | 'blended';
  openToOthers: boolean;
  microCredential: boolean;
  escoSkills: string[];
  office: Bilingual;
  email: string;
}

/** ESCO concepts the simulators attach (only concepts whose URI is known, by course subject). */
const ESCO_PROGRAMMING = 'http://data.europa.eu/esco/skill/ccd0a1d9-afda-43d9-b901-96344886e14d';

function hash(s: string): number {
  let h = 2166136261;
  for (const ch of s) h = Math.imul(h ^ ch.codePointAt(0)!, 16777619) >>> 0;
  return h;
}

const ASSESSMENT: Bilingual[] = [
  { lv: 'Rakstisks eksāmens (60 %), praktiskie darbi (40 %).', en: 'Written examination (60%), practical assignments (40%).' },
  { lv: 'Projekts un tā aizstāvēšana (70 %), semināri (30 %).', en: 'Project and its defence (70%), seminars (30%).' },
  { lv: 'Kontroldarbi (50 %), mutisks eksāmens (50 %).', en: 'Tests (50%), oral examination (50%).' },
  { lv: 'Portfolio un referāts; ieskaite.', en: 'Portfolio and essay; pass/fail.' },
];

export function courseTexts(d: CourseDef): CatalogueTexts {
  const h = hash(d.code);
  const level = d.eqf >= 7 ? { lv: 'maģistra', en: "master's" } : d.eqf === 5 ? { lv: 'koledžas', en: 'college' } : { lv: 'bakalaura', en: "bachelor's" };
  const english = h % 3 === 0 || d.eqf >= 7;
  return {
    description: {
      lv: `Kurss "${d.name}" ievada ${level.lv} līmeņa studentus jomā un tās galvenajās metodēs: lekcijas, semināri un patstāvīgais darbs, ${d.kp} kredītpunkti.`,
      en: `The course "${d.nameEn}" introduces ${level.en} students to the field and its main methods: lectures, seminars and independent work, ${d.kp} credit points.`,
    },
    outcomes: [
      { lv: `Zina kursa "${d.name}" pamatjēdzienus un teorijas.`, en: `Knows the core concepts and theories of ${d.nameEn}.` },
      { lv: 'Prot patstāvīgi lietot apgūtās metodes praktisku uzdevumu risināšanā.', en: 'Can apply the methods learnt to practical problems independently.' },
      { lv: 'Spēj argumentēti izklāstīt un aizstāvēt savus secinājumus.', en: 'Can present and defend conclusions with arguments.' },
    ],
    prerequisites: d.code.endsWith('1') || d.eqf >= 7 ? { lv: 'Bakalaura līmeņa zināšanas studiju jomā.', en: "Bachelor's level knowledge of the field." } : undefined,
    assessment: ASSESSMENT[h % ASSESSMENT.length]!,
    languages: english ? ['lv', 'en'] : ['lv'],
    delivery: h % 5 === 0 ? 'online' : h % 5 === 1 ? 'blended' : 'in-person',
    openToOthers: h % 4 !== 3,
    microCredential: d.kp <= 2,
    escoSkills: d.code.startsWith('DatZ') ? [ESCO_PROGRAMMING] : [],
    office: { lv: 'Studiju programmas sekretariāts', en: 'Programme office' },
    email: `studijas@${d.code
      .slice(0, 4)
      .toLowerCase()
      .normalize('NFD')
      .replace(/[\u0300-\u036f]/g, '')}.example.lv`,
  };
}

export interface ProgrammeTexts extends CatalogueTexts {
  admission: Bilingual;
  seats: number;
  feeEur: number;
}

export function programmeTexts(d: ProgrammeDef): ProgrammeTexts {
  const h = hash(d.code);
  const base = courseTexts({ code: d.code, name: d.name, nameEn: d.nameEn, kp: d.kp, eqf: d.eqf, validFrom: d.validFrom });
  return {
    ...base,
    description: {
      lv: `Studiju programma "${d.name}" (${d.years} gadi, ${d.kp} KP) sagatavo speciālistus, kas pārzina jomas teoriju un praksi. Iegūstamais grāds: ${d.degree}.`,
      en: `The programme "${d.nameEn}" (${d.years} years, ${d.kp} credits) prepares graduates who master the theory and practice of the field. Degree: ${d.degree}.`,
    },
    admission:
      d.eqf >= 7
        ? { lv: 'Bakalaura grāds vai tam pielīdzināma izglītība.', en: "A bachelor's degree or equivalent." }
        : {
            lv: 'Vispārējā vidējā izglītība; centralizētie eksāmeni latviešu valodā, matemātikā un svešvalodā.',
            en: 'Secondary education; centralised examinations in Latvian, mathematics and a foreign language.',
          },
    outcomes: [
      { lv: `Pārzina jomas "${d.name}" teoriju un pētniecības metodes.`, en: `Masters the theory and research methods of ${d.nameEn}.` },
      { lv: 'Spēj patstāvīgi risināt profesionālas problēmas un vadīt projektus.', en: 'Can solve professional problems and lead projects independently.' },
    ],
    seats: 20 + (h % 9) * 10,
    feeEur: 2000 + (h % 8) * 250,
    microCredential: false,
    openToOthers: false,
  };
}
