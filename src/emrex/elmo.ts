import type { InstitutionConfig } from '../config/types.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import { GRADING_SCHEMES, passed } from '../ewp/apis/elmo.ts';
import { el, opt, type XmlElement } from '../ewp/xml/build.ts';
import { texts, type AwardEntry, type LearnerRecord, type ResultEntry } from './learner-record.ts';

/** The ELMO 1.x namespace (ELMO 1.7: https://github.com/emrex-eu/elmo-schemas, tag v1.7.0). */
export const ELMO_NS = 'https://github.com/emrex-eu/elmo-schemas/tree/v1';

const str = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

/** Titles in every language the record has, lv first (ELMO: title with xml:lang). */
function titles(v: unknown, fallback: string): XmlElement[] {
  const t = texts(v).sort((a, b) => (a.lang === 'lv' ? -1 : b.lang === 'lv' ? 1 : 0));
  return t.length ? t.map((x) => el('title', { 'xml:lang': x.lang }, x.text)) : [el('title', {}, fallback)];
}

function credit(v: unknown): XmlElement | undefined {
  const c = obj(v);
  if (!c || typeof c.value !== 'number') return undefined;
  return el('credit', {}, el('scheme', {}, String(c.scheme ?? 'ECTS').toLowerCase() === 'ects' ? 'ects' : String(c.scheme)), el('value', {}, c.value));
}

/** One result as a course LOS with its instance: date, status, grade, credits. */
function resultLos(r: ResultEntry): XmlElement {
  const a = r.attainment.data;
  const course = r.course?.data;
  const grade = obj(a.grade);
  const g = grade && str(grade.value) && str(grade.scheme) ? { value: String(grade.value), scheme: String(grade.scheme) } : undefined;
  const ok = g ? passed(g) : undefined;
  return el(
    'learningOpportunitySpecification',
    {},
    opt('identifier', str(course?.code) ?? r.course?.sourceId, { type: 'local' }),
    titles(course?.name, str(course?.code) ?? 'Course'),
    el('type', {}, 'Course'),
    opt('iscedCode', str(course?.iscedF)),
    el(
      'specifies',
      {},
      el(
        'learningOpportunityInstance',
        {},
        opt('date', str(a.date)),
        ok === undefined ? undefined : el('status', {}, ok ? 'passed' : 'failed'),
        g && GRADING_SCHEMES[g.scheme] ? el('gradingSchemeLocalId', {}, g.scheme) : undefined,
        opt('resultLabel', g?.value),
        credit(a.credits),
        opt('languageOfInstruction', str(course?.language)),
      ),
    ),
  );
}

/** The internal identifier of a digital diploma's attachment (referred to from its award's LOI). */
const diplomaRef = (credentialId: string) => `edc-${credentialId}`;

/** One award as a degree programme LOS, dated by the award; its digital diploma, when issued, referred to. */
function awardLos(w: AwardEntry, diploma?: Diploma): XmlElement {
  const a = w.award.data;
  const p = w.programme?.data;
  const summary = obj(a.gradesSummary);
  return el(
    'learningOpportunitySpecification',
    {},
    opt('identifier', str(p?.likCode) ?? str(a.likCode), { type: 'lik' }),
    titles(a.title, 'Degree'),
    el('type', {}, 'Degree Programme'),
    opt('iscedCode', str(p?.iscedF)),
    el(
      'specifies',
      {},
      el(
        'learningOpportunityInstance',
        {},
        opt('date', str(a.awardedAt)),
        el('status', {}, 'passed'),
        credit(summary?.totalCredits ?? p?.credits),
        diploma ? el('attachments', {}, el('ref', {}, diplomaRef(diploma.id))) : undefined,
      ),
    ),
  );
}

/** An award's digital diploma as a report attachment: the sealed European Digital Credential (JWS JSON), verifiable at /verify. */
function diplomaAttachment(d: Diploma): XmlElement {
  return el(
    'attachment',
    {},
    el('identifier', { type: 'internal' }, diplomaRef(d.id)),
    el('title', { 'xml:lang': 'lv' }, 'Digitālais diploms (Eiropas digitālais apliecinājums)'),
    el('title', { 'xml:lang': 'en' }, 'Digital diploma (European Digital Credential)'),
    el('type', {}, 'Diploma'),
    el('content', {}, `data:application/jose+json;base64,${Buffer.from(d.sealed, 'utf8').toString('base64')}`),
  );
}

/** The grading schemes a report uses, described (ELMO gradingScheme, referred to by gradingSchemeLocalId). */
function gradingSchemes(results: readonly ResultEntry[]): XmlElement[] {
  const used = new Set(results.map((r) => String(obj(r.attainment.data.grade)?.scheme ?? '')).filter((s) => GRADING_SCHEMES[s]));
  return [...used].sort().map((s) => el('gradingScheme', { localId: s }, el('description', { 'xml:lang': 'en' }, GRADING_SCHEMES[s]!)));
}

function issuer(inst: string, config: InstitutionConfig | undefined, organisation: CanonicalRecord | undefined): XmlElement {
  const o = organisation?.data;
  return el(
    'issuer',
    {},
    el('country', {}, 'LV'),
    el('identifier', { type: 'schac' }, inst),
    opt('identifier', config?.erasmusCode, { type: 'erasmus' }),
    titles(o?.name, config?.name ?? inst),
    el('url', {}, str(o?.website) ?? `https://${inst}`),
  );
}

export interface ElmoOptions {
  institutions: readonly InstitutionConfig[];
  /** The organisation record of each institution (name in lv and en, website), when the hub holds it. */
  organisations?: ReadonlyMap<string, CanonicalRecord>;
  /** The PDF transcript in each language (src/emrex/pdf.ts), attached as the EMREX transcript. */
  transcripts?: readonly { lang: string; pdf: Buffer }[];
  /** The digital diploma issued for an award (by award record id): attached to the institution's report, referred to from the award. */
  diplomas?: ReadonlyMap<string, Diploma>;
  now?: Date;
}

/** A digital diploma the hub issued (src/credentials/): its id and the sealed credential's text. */
export interface Diploma {
  id: string;
  sealed: string;
}

/**
 * A learner's record as ELMO 1.7 (the EMREX transcript format): the learner (names, birth date,
 * citizenship, national identifier and ESI), and one report per issuing institution with its results
 * as courses (date, passed or failed, grade with its scheme, credits) and its awards as degree
 * programmes; the PDF transcripts, when given, as the EMREX transcript attachment. The document is not
 * signed here (src/emrex/sign.ts seals it).
 */
export function buildElmo(record: LearnerRecord, o: ElmoOptions): XmlElement {
  const p = record.person.data;
  const now = (o.now ?? new Date()).toISOString().replace(/\.\d{3}Z$/, 'Z');
  const ids = Array.isArray(p.identifiers) ? (p.identifiers as { scheme: string; value: string }[]) : [];
  const id = (scheme: string) => ids.find((i) => i.scheme === scheme)?.value;
  const learner = el(
    'learner',
    {},
    opt('citizenship', str(p.citizenship)),
    opt('identifier', id('lv-personas-kods'), { type: 'nationalIdentifier' }),
    opt('identifier', id('esi'), { type: 'esi' }),
    el('givenNames', {}, String(p.givenNames ?? '')),
    el('familyName', {}, String(p.familyName ?? '')),
    opt('bday', str(p.birthDate)),
  );
  const reports = record.institutions
    .filter((i) => i.results.length || i.awards.length)
    .map((i) =>
      el(
        'report',
        {},
        issuer(
          i.institution,
          o.institutions.find((x) => x.id === i.institution),
          o.organisations?.get(i.institution),
        ),
        i.awards.map((w) => awardLos(w, o.diplomas?.get(w.award.id))),
        i.results.map(resultLos),
        el('issueDate', {}, now),
        gradingSchemes(i.results),
        i.awards.flatMap((w) => {
          const d = o.diplomas?.get(w.award.id);
          return d ? [diplomaAttachment(d)] : [];
        }),
      ),
    );
  // The EMREX transcript spans every institution: it sits outside the reports.
  const attachment = o.transcripts?.length
    ? el(
        'attachment',
        {},
        el('title', { 'xml:lang': 'lv' }, 'Sekmju izraksts'),
        el('title', { 'xml:lang': 'en' }, 'Transcript of records'),
        el('type', {}, 'EMREX transcript'),
        o.transcripts.map((t) => el('content', { 'xml:lang': t.lang }, `data:application/pdf;base64,${t.pdf.toString('base64')}`)),
      )
    : undefined;
  return el('elmo', { xmlns: ELMO_NS }, el('generatedDate', {}, now), learner, reports, attachment);
}
