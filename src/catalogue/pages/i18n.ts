/** The catalogue pages' words in Latvian and English. */
export type Lang = 'lv' | 'en';

const WORDS = {
  title: { lv: 'Studiju katalogs', en: 'Study catalogue' },
  tagline: { lv: 'Latvijas augstskolu un koledžu studiju programmas un kursi vienuviet', en: 'Programmes and courses of Latvian universities and colleges in one place' },
  skip: { lv: 'Pāriet uz saturu', en: 'Skip to content' },
  search: { lv: 'Meklēt', en: 'Search' },
  query: { lv: 'Meklēt kursus un programmas', en: 'Search courses and programmes' },
  courses: { lv: 'Kursi', en: 'Courses' },
  programmes: { lv: 'Studiju programmas', en: 'Programmes' },
  what: { lv: 'Ko meklēt', en: 'What to find' },
  filters: { lv: 'Atlase', en: 'Filters' },
  institution: { lv: 'Augstskola', en: 'Institution' },
  any: { lv: 'jebkura', en: 'any' },
  level: { lv: 'Studiju līmenis', en: 'Level of study' },
  language: { lv: 'Mācību valoda', en: 'Language of instruction' },
  mode: { lv: 'Norises veids', en: 'Mode of delivery' },
  term: { lv: 'Semestris', en: 'Term' },
  field: { lv: 'Izglītības joma (ISCED-F)', en: 'Field of education (ISCED-F)' },
  minCredits: { lv: 'Vismaz ECTS', en: 'At least ECTS' },
  maxCredits: { lv: 'Ne vairāk kā ECTS', en: 'At most ECTS' },
  open: { lv: 'Pieejams citu augstskolu studentiem', en: 'Open to students of other institutions' },
  micro: { lv: 'Mikrokvalifikācija', en: 'Micro-credential' },
  apply: { lv: 'Atlasīt', en: 'Apply' },
  results: { lv: 'Rezultāti', en: 'Results' },
  found: { lv: 'Atrasti', en: 'Found' },
  none: { lv: 'Nekas netika atrasts. Pamēģiniet citus vārdus vai mazāk atlases nosacījumu.', en: 'Nothing found. Try other words or fewer filters.' },
  previous: { lv: 'Iepriekšējā lapa', en: 'Previous page' },
  next: { lv: 'Nākamā lapa', en: 'Next page' },
  page: { lv: 'Lapa', en: 'Page' },
  pages: { lv: 'Lapas', en: 'Pages' },
  code: { lv: 'Kods', en: 'Code' },
  credits: { lv: 'Apjoms', en: 'Credits' },
  eqf: { lv: 'EKI / LKI līmenis', en: 'EQF / LQF level' },
  description: { lv: 'Apraksts', en: 'Description' },
  outcomes: { lv: 'Studiju rezultāti', en: 'Learning outcomes' },
  prerequisites: { lv: 'Priekšzināšanas', en: 'Prerequisites' },
  assessment: { lv: 'Vērtēšana', en: 'Assessment' },
  offerings: { lv: 'Norise', en: 'Offerings' },
  capacity: { lv: 'vietas', en: 'places' },
  contact: { lv: 'Kontakti', en: 'Contact' },
  links: { lv: 'Saites', en: 'Links' },
  skills: { lv: 'ESCO prasmes', en: 'ESCO skills' },
  inProgrammes: { lv: 'Ietilpst programmās', en: 'Part of programmes' },
  programmeCourses: { lv: 'Programmas kursi', en: 'Courses of the programme' },
  admission: { lv: 'Uzņemšanas prasības', en: 'Admission requirements' },
  seats: { lv: 'Studiju vietas', en: 'Study places' },
  fees: { lv: 'Studiju maksa', en: 'Tuition fee' },
  duration: { lv: 'Ilgums', en: 'Duration' },
  years: { lv: 'gadi', en: 'years' },
  perYear: { lv: 'gadā', en: 'a year' },
  yes: { lv: 'jā', en: 'yes' },
  no: { lv: 'nē', en: 'no' },
  back: { lv: 'Atpakaļ uz meklēšanu', en: 'Back to search' },
  machine: { lv: 'Datiem', en: 'As data' },
  notFound: { lv: 'Nav atrasts', en: 'Not found' },
  notFoundText: { lv: 'Šāda kursa vai programmas katalogā nav.', en: 'The catalogue has no such course or programme.' },
  about: { lv: 'Par katalogu', en: 'About the catalogue' },
  badInput: { lv: 'Nederīgs pieprasījums', en: 'Bad request' },
  switchTo: { lv: 'English', en: 'Latviski' },
  languageSwitch: { lv: 'Valoda', en: 'Language' },
} as const;

export type Word = keyof typeof WORDS;

export function t(lang: Lang, w: Word): string {
  return WORDS[w][lang];
}

export const LEVEL_NAMES: Record<string, Record<Lang, string>> = {
  'short-cycle': { lv: 'Īsā cikla (koledžas) studijas', en: 'Short-cycle (college)' },
  bachelor: { lv: 'Bakalaura studijas', en: "Bachelor's" },
  master: { lv: 'Maģistra studijas', en: "Master's" },
  doctoral: { lv: 'Doktora studijas', en: 'Doctoral' },
};

export const MODE_NAMES: Record<string, Record<Lang, string>> = {
  'in-person': { lv: 'klātienē', en: 'in person' },
  online: { lv: 'tiešsaistē', en: 'online' },
  blended: { lv: 'jaukti', en: 'blended' },
};

export const LANGUAGE_NAMES: Record<string, Record<Lang, string>> = {
  lv: { lv: 'latviešu', en: 'Latvian' },
  en: { lv: 'angļu', en: 'English' },
  ru: { lv: 'krievu', en: 'Russian' },
  de: { lv: 'vācu', en: 'German' },
  fr: { lv: 'franču', en: 'French' },
};

export const nameOf = (table: Record<string, Record<Lang, string>>, key: string, lang: Lang): string => table[key]?.[lang] ?? key;
