import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type PDFDocumentClass from 'pdfkit';
import type { InstitutionConfig } from '../config/types.ts';
import type { JsonObject } from '../core/types.ts';
import { texts, type LearnerRecord } from './learner-record.ts';

export type TranscriptLanguage = 'lv' | 'en';

/** pdfkit reads its fonts' metrics when imported (~150 ms of CPU at every start of a hub or command): loaded at the first transcript. */
let pdfkit: Promise<typeof PDFDocumentClass> | undefined;
const loadPdfkit = () => (pdfkit ??= import('pdfkit').then((m) => m.default));

/** DejaVu Sans (from the dejavu-fonts-ttf package): every Latvian letter, unlike the PDF standard fonts. */
const FONT_DIR = join(dirname(createRequire(import.meta.url).resolve('dejavu-fonts-ttf/package.json')), 'ttf');

type Words = Record<'title' | 'learner' | 'born' | 'awards' | 'results' | 'course' | 'date' | 'grade' | 'credits' | 'generated' | 'sealed', string>;

const WORDS: Record<TranscriptLanguage, Words> = {
  lv: {
    title: 'Sekmju izraksts',
    learner: 'Izglītojamais',
    born: 'dzimis',
    awards: 'Piešķirtie grādi un kvalifikācijas',
    results: 'Studiju rezultāti',
    course: 'Kurss',
    date: 'Datums',
    grade: 'Vērtējums',
    credits: 'KP (ECTS)',
    generated: 'Sagatavots',
    sealed: 'Dokuments ir elektroniski apzīmogots (XML-DSig ELMO datnē).',
  },
  en: {
    title: 'Transcript of records',
    learner: 'Learner',
    born: 'born',
    awards: 'Degrees and qualifications awarded',
    results: 'Study results',
    course: 'Course',
    date: 'Date',
    grade: 'Grade',
    credits: 'ECTS',
    generated: 'Generated',
    sealed: 'The document is sealed electronically (XML-DSig in the ELMO file).',
  },
};

function pick(v: unknown, lang: TranscriptLanguage, fallback: string): string {
  const t = texts(v);
  return (t.find((x) => x.lang === lang) ?? t.find((x) => x.lang === 'en') ?? t[0])?.text ?? fallback;
}

const str = (v: unknown) => (typeof v === 'string' ? v : '');
const creditsOf = (v: unknown) => (v && typeof v === 'object' && typeof (v as JsonObject).value === 'number' ? String((v as JsonObject).value) : '');

/**
 * The learner's record as a PDF transcript in Latvian or English: the learner, then per institution the
 * awards and the results (course, date, grade, credits), and when it was made. The PDF's dates are the
 * document's own, so the same record at the same time gives the same file. `sealed: false` leaves out
 * the sentence saying the ELMO file seals it (a PDF handed out on its own, e.g. by the EWP File API).
 */
export async function transcriptPdf(record: LearnerRecord, o: { institutions: readonly InstitutionConfig[]; lang: TranscriptLanguage; now: Date; sealed?: boolean }): Promise<Buffer> {
  const PDFDocument = await loadPdfkit();
  const w = WORDS[o.lang];
  const doc = new PDFDocument({ size: 'A4', margin: 50, info: { Title: w.title, Producer: 'study-data-hub', Creator: 'study-data-hub', CreationDate: o.now, ModDate: o.now } });
  const chunks: Buffer[] = [];
  doc.on('data', (c: Buffer) => chunks.push(c));
  const done = new Promise<Buffer>((resolve, reject) => {
    doc.on('end', () => resolve(Buffer.concat(chunks)));
    doc.on('error', reject);
  });
  doc.registerFont('regular', join(FONT_DIR, 'DejaVuSans.ttf'));
  doc.registerFont('bold', join(FONT_DIR, 'DejaVuSans-Bold.ttf'));
  const p = record.person.data;
  doc.font('bold').fontSize(18).text(w.title);
  doc
    .moveDown(0.5)
    .font('regular')
    .fontSize(11)
    .text(`${w.learner}: ${str(p.givenNames)} ${str(p.familyName)}${p.birthDate ? `, ${w.born} ${str(p.birthDate)}` : ''}`);
  for (const i of record.institutions) {
    const name = o.institutions.find((x) => x.id === i.institution)?.name ?? i.institution;
    doc.moveDown(1).font('bold').fontSize(13).text(`${name} (${i.institution})`);
    if (i.awards.length) {
      doc.moveDown(0.3).font('bold').fontSize(10).text(w.awards);
      for (const a of i.awards) doc.font('regular').text(`${pick(a.award.data.title, o.lang, str(a.award.data.likCode))} — ${str(a.award.data.awardedAt)}`);
    }
    if (i.results.length) {
      doc.moveDown(0.3).font('bold').fontSize(10).text(`${w.results}: ${w.course} | ${w.date} | ${w.grade} | ${w.credits}`);
      for (const r of i.results) {
        const a = r.attainment.data;
        const grade = a.grade && typeof a.grade === 'object' ? str((a.grade as JsonObject).value) : '';
        doc.font('regular').text(`${pick(r.course?.data.name, o.lang, str(r.course?.data.code) || r.attainment.sourceId)} | ${str(a.date)} | ${grade} | ${creditsOf(a.credits)}`);
      }
    }
  }
  doc
    .moveDown(1.5)
    .font('regular')
    .fontSize(8)
    .text(`${w.generated} ${o.now.toISOString().slice(0, 10)}.${o.sealed === false ? '' : ` ${w.sealed}`}`);
  doc.end();
  return done;
}
