import { arr, identifier, obj, str, type Rec } from '../data.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { ectsOf, loiIdOf, losIdOf } from './courses.ts';
import { GENDER_CODE } from './mobility.ts';

/** Grading schemes the canonical model knows, described for the partner (ELMO gradingScheme). */
export const GRADING_SCHEMES: Record<string, string> = {
  LV_10:
    'Latvian 10-point scale: 10 izcili (with distinction), 9 teicami (excellent), 8 ļoti labi (very good), 7 labi (good), 6 gandrīz labi (almost good), 5 viduvēji (satisfactory), 4 gandrīz viduvēji (almost satisfactory, lowest pass); 3, 2, 1 fail.',
  PASS_FAIL: 'Pass/fail: passed (ieskaitīts) or failed (neieskaitīts).',
  ECTS_AF: 'ECTS grading scale: A, B, C, D, E (pass); FX, F (fail).',
};

/** Every grade of a known scheme, best first (the categories of a result distribution). */
export const SCHEME_LABELS: Record<string, readonly string[]> = {
  LV_10: ['10', '9', '8', '7', '6', '5', '4', '3', '2', '1'],
  PASS_FAIL: ['passed', 'failed'],
  ECTS_AF: ['A', 'B', 'C', 'D', 'E', 'FX', 'F'],
};

/** Whether a grade is a pass (undefined for a scheme the hub cannot judge). */
export function passed(grade: { value: string; scheme: string }): boolean | undefined {
  if (grade.scheme === 'LV_10') return Number(grade.value) >= 4;
  if (grade.scheme === 'PASS_FAIL') return grade.value === 'passed';
  if (grade.scheme === 'ECTS_AF') return ['A', 'B', 'C', 'D', 'E'].includes(grade.value);
  return undefined;
}

export interface Grade {
  value: string;
  scheme: string;
}

export const gradeOf = (a: Rec): Grade | undefined => {
  const g = obj(a.data.grade);
  return g && str(g.value) && str(g.scheme) ? { value: String(g.value), scheme: String(g.scheme) } : undefined;
};

/** Counts per grade label: every label of a known scheme (0 included), in its order; other schemes as found. */
export function distribution(scheme: string, grades: readonly Grade[]): { label: string; count: number }[] {
  const counts = new Map<string, number>((SCHEME_LABELS[scheme] ?? []).map((l) => [l, 0]));
  for (const g of grades) if (g.scheme === scheme) counts.set(g.value, (counts.get(g.value) ?? 0) + 1);
  return [...counts].map(([label, count]) => ({ label, count }));
}

export interface TorItem {
  attainment: Rec;
  course: Rec | undefined;
  offering: Rec | undefined;
  /** The academic term of the result (the offering's, else the HEI's term holding its date, else the mobility). */
  term: { title: string; start: string; end: string };
  /** Grades of every result of the same course (the item's included): ELMO resultDistribution. */
  courseGrades: Grade[];
}

/** Egracons grade conversion table of one ISCED code: the percentage of results per grade in the reference group. */
export interface IscedTable {
  iscedCode: string;
  frequencies: { label: string; percentage: number }[];
}

const pct = (n: number, total: number) => Math.round((n / total) * 10_000) / 100;

/** Percentages per label (two decimals) of the grades in one scheme; empty when there are none. */
export function frequencies(scheme: string, grades: readonly Grade[]): { label: string; percentage: number }[] {
  const d = distribution(scheme, grades);
  const total = d.reduce((s, x) => s + x.count, 0);
  return total ? d.map((x) => ({ label: x.label, percentage: pct(x.count, total) })) : [];
}

/**
 * An EMREX ELMO v2 document (the `elmo` of Incoming Mobility ToRs 3) of a student's results at
 * the receiving HEI, with what the ToRs 3 get-response XSD requires on top of ELMO: the learner
 * with the ESI and date of birth (never a national personal code); per result an
 * `ewp-los-id` (Courses API) on the specification and, with an offering, an `ewp-loi-id` on the
 * instance, the academic term, ECTS credits, the grade (gradingSchemeLocalId + resultLabel) and
 * the result distribution of the course; the grading schemes described.
 */
export function elmo(o: {
  heiId: string;
  heiName: string;
  erasmus: string | undefined;
  country: string | undefined;
  url: string;
  person: Rec;
  items: TorItem[];
  now: Date;
  /** Report attachments (the transcript PDF named by its File API id). */
  attachments?: readonly XmlElement[];
}): XmlElement {
  const p = o.person.data;
  const esi = identifier(p, 'esi');
  const schemes = new Set<string>();
  const los = o.items.map(({ attainment: a, course, offering, term, courseGrades }) => {
    const grade = gradeOf(a);
    if (grade) schemes.add(grade.scheme);
    const ok = grade ? passed(grade) : undefined;
    const code = str(course?.data.code) ?? a.sourceId;
    const ects = ectsOf(a.data.credits) ?? ectsOf(course?.data.credits);
    const titles = course ? arr<{ lang: string; text: string }>(course.data.name) : [];
    const dist = grade ? distribution(grade.scheme, courseGrades) : [];
    return el(
      'emrex:learningOpportunitySpecification',
      {},
      el('emrex:identifier', { type: 'local' }, code),
      course ? el('emrex:identifier', { type: 'ewp-los-id' }, losIdOf(course)) : undefined,
      titles.length ? titles.map((t) => el('emrex:title', { 'xml:lang': t.lang }, t.text)) : el('emrex:title', {}, code),
      el('emrex:type', {}, 'Course'),
      opt('emrex:iscedCode', str(course?.data.iscedF)),
      el(
        'emrex:specifies',
        {},
        el(
          'emrex:learningOpportunityInstance',
          {},
          el('emrex:identifier', { type: 'local' }, a.sourceId),
          offering ? el('emrex:identifier', { type: 'ewp-loi-id' }, loiIdOf(offering)) : undefined,
          el('emrex:date', {}, String(a.data.date)),
          el('emrex:academicTerm', {}, el('emrex:title', { 'xml:lang': 'en' }, term.title), el('emrex:start', {}, term.start), el('emrex:end', {}, term.end)),
          ok === undefined ? undefined : el('emrex:status', {}, ok ? 'passed' : 'failed'),
          grade ? el('emrex:gradingSchemeLocalId', {}, grade.scheme) : undefined,
          grade ? el('emrex:resultLabel', {}, grade.value) : undefined,
          dist.length
            ? el(
                'emrex:resultDistribution',
                {},
                dist.map((c) => el('emrex:category', { label: c.label, count: c.count })),
              )
            : undefined,
          ects !== undefined ? el('emrex:credit', {}, el('emrex:scheme', {}, 'ects'), el('emrex:value', {}, ects)) : undefined,
          opt('emrex:languageOfInstruction', str(course?.data.language)),
        ),
      ),
    );
  });
  const issuer = el(
    'emrex:issuer',
    {},
    o.country ? el('emrex:country', { type: 'ISO 3166-1' }, o.country) : undefined,
    el('emrex:identifier', { type: 'schac' }, o.heiId),
    o.erasmus ? el('emrex:identifier', { type: 'erasmus' }, o.erasmus) : undefined,
    el('emrex:title', {}, o.heiName),
    el('emrex:url', {}, o.url),
  );
  return el(
    'emrex:elmo',
    {},
    el('emrex:generatedDate', {}, o.now.toISOString()),
    el(
      'emrex:learner',
      {},
      str(p.citizenship) ? el('emrex:citizenship', { type: 'ISO 3166-1' }, String(p.citizenship)) : undefined,
      esi ? el('emrex:identifier', { type: 'esi' }, esi) : undefined,
      el('emrex:givenNames', {}, String(p.givenNames)),
      el('emrex:familyName', {}, String(p.familyName)),
      // Required by ELMO 2.1.1: the name in a non-Latin script; Latin-script names leave it empty.
      el('emrex:alternativeName', {}),
      opt('emrex:dateOfBirth', str(p.birthDate)),
      str(p.gender) ? el('emrex:gender', {}, GENDER_CODE[String(p.gender)] ?? '0') : undefined,
    ),
    el(
      'emrex:report',
      {},
      issuer,
      los,
      el('emrex:issueDate', {}, o.now.toISOString()),
      [...schemes].map((s) => el('emrex:gradingScheme', { localId: s }, el('emrex:description', { 'xml:lang': 'en' }, GRADING_SCHEMES[s] ?? `Grading scheme ${s} of the issuing institution.`))),
      [...(o.attachments ?? [])],
    ),
  );
}

/** The ToR's `gradeConversionTable` (Egracons: percentages per grade, failing grades included), one table per ISCED code. */
export function gradeConversionTable(tables: readonly IscedTable[]): XmlElement | undefined {
  const used = tables.filter((t) => t.frequencies.length);
  if (!used.length) return undefined;
  return el(
    'gradeConversionTable',
    {},
    used.map((t) =>
      el(
        'iscedTable',
        { iscedCode: t.iscedCode },
        t.frequencies.map((f) => el('gradeFrequency', { label: f.label, percentage: f.percentage })),
      ),
    ),
  );
}
