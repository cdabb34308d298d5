/** The words of the contact point's and the learner's pages, in Latvian and English. */
export type Lang = 'lv' | 'en';

const WORDS = {
  cpTitle: { lv: 'EMREX kontaktpunkts', en: 'EMREX contact point' },
  learnerTitle: { lv: 'Mani studiju rezultāti', en: 'My study results' },
  skip: { lv: 'Pāriet uz saturu', en: 'Skip to content' },
  switchTo: { lv: 'English', en: 'Latviski' },
  languageSwitch: { lv: 'Valoda', en: 'Language' },
  about: {
    lv: 'Šeit izglītojamais nodod savus Latvijas augstskolās iegūtos studiju rezultātus citai iestādei (EMREX). Sesiju sāk uzņemošās iestādes sistēma; tieši šī adrese nav jāatver.',
    en: 'Here a learner passes the study results they gained at Latvian institutions to another institution (EMREX). The receiving institution’s system starts the session; this address is not opened directly.',
  },
  refused: { lv: 'Pieprasījums noraidīts', en: 'Request refused' },
  unknownClient: {
    lv: 'Šī iestāde nav reģistrēta kā EMREX klients šajā kontaktpunktā, tāpēc rezultāti tai netiek nosūtīti. Atgriezieties savas iestādes sistēmā un sazinieties ar tās atbalstu.',
    en: 'This institution is not registered as an EMREX client of this contact point, so no results are sent to it. Go back to your institution’s system and contact its support.',
  },
  badRequest: { lv: 'Pieprasījums nav derīgs', en: 'The request is not valid' },
  replayed: {
    lv: 'Šī sesija jau ir izmantota. Sāciet no jauna savas iestādes sistēmā.',
    en: 'This session has been used already. Start again in your institution’s system.',
  },
  expired: {
    lv: 'Sesijas laiks ir beidzies. Sāciet no jauna savas iestādes sistēmā.',
    en: 'The session has expired. Start again in your institution’s system.',
  },
  noSession: {
    lv: 'Nav aktīvas sesijas (iespējams, pārlūks neglabā sīkdatnes vai sesija jau ir beigusies). Sāciet no jauna savas iestādes sistēmā.',
    en: 'There is no active session (the browser may not keep cookies, or the session has ended). Start again in your institution’s system.',
  },
  csrf: {
    lv: 'Veidlapa netika nosūtīta no šīs sesijas lapas. Atveriet lapu no jauna un mēģiniet vēlreiz.',
    en: 'The form was not sent from this session’s page. Open the page again and try once more.',
  },
  tooMany: { lv: 'Pārāk daudz pieprasījumu. Mēģiniet vēlreiz pēc brīža.', en: 'Too many requests. Try again in a moment.' },
  notConfigured: { lv: 'Šis pakalpojums šajā serverī nav ieslēgts.', en: 'This service is not switched on on this server.' },
  signInFailed: { lv: 'Pierakstīties neizdevās. Mēģiniet vēlreiz.', en: 'Signing in did not succeed. Try again.' },
  chooseTitle: { lv: 'Izvēlieties nosūtāmos rezultātus', en: 'Choose the results to send' },
  chooseIntro: {
    lv: 'Iestāde {client} lūdz jūsu studiju rezultātus. Atzīmējiet, ko nosūtīt; dokuments tiks apzīmogots elektroniski, un nosūtīšana tiks reģistrēta kā jūsu piekrišana.',
    en: 'The institution {client} asks for your study results. Tick what to send; the document is sealed electronically, and sending it is recorded as your consent.',
  },
  chooseNone: { lv: 'Atzīmējiet vismaz vienu rezultātu vai atceliet.', en: 'Tick at least one result, or cancel.' },
  awards: { lv: 'Grādi un kvalifikācijas', en: 'Degrees and qualifications' },
  results: { lv: 'Studiju rezultāti', en: 'Study results' },
  send: { lv: 'Sūtīt', en: 'Send' },
  course: { lv: 'Kurss', en: 'Course' },
  title: { lv: 'Nosaukums', en: 'Title' },
  date: { lv: 'Datums', en: 'Date' },
  grade: { lv: 'Vērtējums', en: 'Grade' },
  credits: { lv: 'ECTS', en: 'ECTS' },
  confirm: { lv: 'Apstiprināt un nosūtīt', en: 'Confirm and send' },
  cancel: { lv: 'Atcelt', en: 'Cancel' },
  consentText: { lv: 'Nosūtot jūs piekrītat:', en: 'By sending you agree:' },
  returning: { lv: 'Atgriešanās iestādes sistēmā', en: 'Returning to the institution’s system' },
  returningText: {
    lv: 'Jūs tiekat novirzīts atpakaļ uz {client}. Ja tas nenotiek, nospiediet pogu.',
    en: 'You are being sent back to {client}. If nothing happens, press the button.',
  },
  continue: { lv: 'Turpināt', en: 'Continue' },
  signInTitle: { lv: 'Pierakstīties', en: 'Sign in' },
  signInText: {
    lv: 'Pierakstieties, lai redzētu, kuras iestādes un kad ir saņēmušas jūsu studiju rezultātus no EMREX kontaktpunkta.',
    en: 'Sign in to see which institutions received your study results from the EMREX contact point, and when.',
  },
  signIn: { lv: 'Pierakstīties', en: 'Sign in' },
  signOut: { lv: 'Izrakstīties', en: 'Sign out' },
  signedInAs: { lv: 'Pierakstījies', en: 'Signed in' },
  transfers: { lv: 'Nosūtītie rezultāti', en: 'Results sent' },
  noTransfers: { lv: 'No šī kontaktpunkta vēl nekas nav nosūtīts.', en: 'Nothing has been sent from this contact point yet.' },
  when: { lv: 'Kad', en: 'When' },
  recipient: { lv: 'Kam', en: 'To' },
  what: { lv: 'Kas', en: 'What' },
  credentials: { lv: 'Digitālie diplomi', en: 'Digital diplomas' },
  noCredentials: { lv: 'Digitālo diplomu nav.', en: 'There are no digital diplomas.' },
  institution: { lv: 'Iestāde', en: 'Institution' },
  issued: { lv: 'Izsniegts', en: 'Issued' },
  status: { lv: 'Statuss', en: 'Status' },
  active: { lv: 'derīgs', en: 'valid' },
  revoked: { lv: 'atsaukts', en: 'revoked' },
  download: { lv: 'Lejupielādēt', en: 'Download' },
  noRecord: { lv: 'Hub nav ziņu par jums Latvijas augstskolās.', en: 'The hub holds nothing about you from Latvian institutions.' },
  notFound: { lv: 'Nav atrasts', en: 'Not found' },
} as const;

export type Word = keyof typeof WORDS;

export function t(lang: Lang, w: Word, vars: Record<string, string> = {}): string {
  return WORDS[w][lang].replace(/\{(\w+)\}/g, (m, k: string) => vars[k] ?? m);
}
