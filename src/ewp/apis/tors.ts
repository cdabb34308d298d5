import { identifier, localized, str, modifiedAfter, type Rec } from '../data.ts';
import { disclose, requireStatsClient, type Endpoint, type EwpContext } from '../endpoint.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { el, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { refersTo } from './courses.ts';
import { elmo, frequencies, gradeConversionTable, gradeOf, type Grade, type IscedTable, type TorItem } from './elmo.ts';
import { mobilitiesById, personOf } from './mobility.ts';
import { torAttachment, torFile } from './tor-file.ts';

/** Results count for a mobility when dated from its start to this many days after its end (late exams). */
export const TOR_GRACE_DAYS = 120;

const sameRecord = (a: Rec | undefined, b: Rec | undefined) => !!a && !!b && a.id === b.id;

/** A result of the incoming student with its course. */
export interface TorResult {
  attainment: Rec;
  course: Rec | undefined;
}

/** The attainments of an incoming mobility: the student's results at the HEI within the mobility period. */
export async function torItems(node: EwpServices, hei: EwpHei, m: Rec): Promise<{ person: Rec | undefined; items: TorResult[] }> {
  const person = await personOf(node, m);
  // A mobility known only from its nomination has no dates yet: no results can be placed in it.
  if (!person || !str(m.data.start) || !str(m.data.end)) return { person, items: [] };
  const start = String(m.data.start);
  const until = new Date(Date.parse(String(m.data.end)) + TOR_GRACE_DAYS * 86_400_000).toISOString().slice(0, 10);
  // Candidates by the person reference (by hub id, or by source id in the person's own system).
  const candidates = [
    ...(await node.own('attainment', hei, ['person.id', person.id])),
    ...(person.sourceSystem === hei.sourceSystem ? [] : await node.reader.list('attainment', hei.id, { system: person.sourceSystem, field: ['person.sourceId', person.sourceId] })),
  ];
  const items: TorResult[] = [];
  const seen = new Set<string>();
  for (const a of candidates) {
    const date = String(a.data.date);
    if (seen.has(a.id) || date < start || date > until) continue;
    seen.add(a.id);
    if (!sameRecord(await node.reader.resolve(a, 'person', a.data.person), person)) continue;
    items.push({ attainment: a, course: await node.reader.resolve(a, 'course', a.data.course) });
  }
  return { person, items };
}

/** Incoming mobilities of the HEI (it receives) whose sending HEI the caller covers. */
async function visible(ctx: EwpContext, id?: string): Promise<Rec[]> {
  const all = id ? await mobilitiesById(ctx.node, ctx.hei, id, 'receiving') : (await ctx.node.own('mobility-period', ctx.hei)).filter((m) => m.data.receivingInstitution === ctx.hei.id);
  return all.filter((m) => ctx.caller.heis.includes(String(m.data.sendingInstitution)));
}

/** Egracons reference group: results of the last this many years before the transcript. */
export const REFERENCE_YEARS = 3;

/** What transcripts need beyond their results, read once per request: the HEI's terms, results per course, courses per ISCED code. */
class TorContext {
  private readonly byCourse = new Map<string, Promise<Rec[]>>();
  private readonly byIsced = new Map<string, Promise<Rec[]>>();

  private constructor(
    private readonly ctx: EwpContext,
    readonly terms: Rec[],
  ) {}

  static async of(ctx: EwpContext): Promise<TorContext> {
    return new TorContext(ctx, await ctx.node.own('academic-term', ctx.hei));
  }

  /** Every result of the course at the HEI (its own data), referring to it by hub id or by source id. */
  ofCourse(course: Rec): Promise<Rec[]> {
    let p = this.byCourse.get(course.id);
    if (!p) {
      const own = (field: [string, string]) => this.ctx.node.own('attainment', this.ctx.hei, field);
      p = Promise.all([own(['course.id', course.id]), own(['course.sourceId', course.sourceId])]).then(([a, b]) => {
        const seen = new Set<string>();
        return [...a, ...b].filter((x) => refersTo(x.data.course, x, course) && !seen.has(x.id) && !!seen.add(x.id));
      });
      this.byCourse.set(course.id, p);
    }
    return p;
  }

  coursesOf(iscedCode: string): Promise<Rec[]> {
    let p = this.byIsced.get(iscedCode);
    if (!p) {
      p = this.ctx.node.own('course', this.ctx.hei, ['iscedF', iscedCode]);
      this.byIsced.set(iscedCode, p);
    }
    return p;
  }

  /** The offering a result names, if the hub holds it. */
  offering(a: Rec): Promise<Rec | undefined> {
    return this.ctx.node.reader.resolve(a, 'offering', a.data.offering);
  }
}

const gradesOf = (rs: Rec[]): Grade[] => rs.map(gradeOf).filter((g): g is Grade => !!g);

/** The academic term of a result: its offering's, else the shortest HEI term holding its date, else the mobility period. */
function termOf(t: TorContext, m: Rec, a: Rec, offering: Rec | undefined): TorItem['term'] {
  const title = (r: Rec) => localizedName(r) ?? str(r.data.code) ?? String(r.data.academicYear ?? r.sourceId);
  const byOffering = offering ? t.terms.find((x) => refersTo(offering.data.term, offering, x)) : undefined;
  if (byOffering && str(byOffering.data.start) && str(byOffering.data.end)) return { title: title(byOffering), start: String(byOffering.data.start), end: String(byOffering.data.end) };
  const date = String(a.data.date);
  const holding = t.terms
    .filter((x) => str(x.data.start) && str(x.data.end) && String(x.data.start) <= date && date <= String(x.data.end))
    .sort((x, y) => Date.parse(String(x.data.end)) - Date.parse(String(x.data.start)) - (Date.parse(String(y.data.end)) - Date.parse(String(y.data.start))))[0];
  if (holding) return { title: title(holding), start: String(holding.data.start), end: String(holding.data.end) };
  return { title: `Mobility period ${String(m.data.receivingAcademicYear)}`, start: String(m.data.start), end: String(m.data.end) };
}

const localizedName = (r: Rec) => localized(r.data.name, 'en');

/** The results with their offering, academic term and course grade distribution. */
async function enrich(t: TorContext, m: Rec, results: TorResult[]): Promise<TorItem[]> {
  const out: TorItem[] = [];
  for (const { attainment: a, course } of results) {
    const offering = await t.offering(a);
    const courseGrades = course ? gradesOf(await t.ofCourse(course)) : [];
    out.push({ attainment: a, course, offering, term: termOf(t, m, a, offering), courseGrades });
  }
  return out;
}

/**
 * Grade conversion tables (Egracons) for the ISCED codes of the transcript: per code, the share of
 * each grade among the HEI's results of the last REFERENCE_YEARS years in courses of that code,
 * in the scheme the transcript uses for it (failing grades included, as the spec recommends).
 */
async function conversionTables(t: TorContext, items: TorItem[], now: Date): Promise<IscedTable[]> {
  const from = new Date(now.getTime() - REFERENCE_YEARS * 365.25 * 86_400_000).toISOString().slice(0, 10);
  const out: IscedTable[] = [];
  const codes = [...new Set(items.map((i) => str(i.course?.data.iscedF)).filter((c): c is string => !!c))];
  for (const iscedCode of codes) {
    const scheme = items.map((i) => (str(i.course?.data.iscedF) === iscedCode ? gradeOf(i.attainment)?.scheme : undefined)).find((s) => s);
    if (!scheme) continue;
    const results: Rec[] = [];
    for (const c of await t.coursesOf(iscedCode)) results.push(...(await t.ofCourse(c)));
    const grades = gradesOf(results.filter((a) => String(a.data.date) >= from));
    out.push({ iscedCode, frequencies: frequencies(scheme, grades) });
  }
  return out;
}

/** The fields of the records a ToR carries (the disclosure log). */
const TOR_STUDENT_FIELDS = ['givenNames', 'familyName', 'identifiers.esi', 'birthDate', 'citizenship', 'gender'] as const;
const TOR_MOBILITY_FIELDS = ['omobilityId', 'receivingAcademicYear', 'start', 'end'] as const;
const TOR_RESULT_FIELDS = ['course', 'offering', 'date', 'grade', 'credits'] as const;

async function tor(ctx: EwpContext, t: TorContext, m: Rec): Promise<XmlElement | undefined> {
  const { person, items: results } = await torItems(ctx.node, ctx.hei, m);
  if (!person || !results.length) return undefined;
  if (!identifier(person.data, 'esi') || !str(person.data.birthDate)) {
    ctx.node.logger.warn({ hei: ctx.hei.id, omobilityId: m.data.omobilityId }, "a transcript lacks what Incoming Mobility ToRs 3 requires (the student's esi and birth date); not served");
    return undefined;
  }
  const items = await enrich(t, m, results);
  const org = await ctx.node.institutionRecord(ctx.hei);
  const now = new Date();
  const partner = String(m.data.sendingInstitution);
  disclose(ctx, partner, person, TOR_STUDENT_FIELDS);
  disclose(ctx, partner, m, TOR_MOBILITY_FIELDS);
  for (const i of items) disclose(ctx, partner, i.attainment, TOR_RESULT_FIELDS);
  const { fileId } = torFile(ctx.hei, m, person, results);
  return el(
    'tor',
    {},
    el('omobility-id', {}, String(m.data.omobilityId)),
    el('receiving-academic-year-id', {}, String(m.data.receivingAcademicYear)),
    elmo({
      heiId: ctx.hei.id,
      heiName: localized(org?.data.name, 'en') ?? ctx.hei.institution.name,
      erasmus: ctx.hei.institution.erasmusCode ?? (org ? identifier(org.data, 'erasmus') : undefined),
      country: str(org?.data.country),
      url: str(org?.data.website) ?? ctx.hei.baseUrl,
      person,
      items,
      now,
      attachments: [torAttachment(fileId)],
    }),
    gradeConversionTable(await conversionTables(t, items, now)),
  );
}

/**
 * Incoming Mobility ToRs 3 get: `omobility_id` (repeatable, required) is the only parameter; the
 * caller must cover the sending HEI of each mobility (others are left out).
 */
async function get(ctx: EwpContext): Promise<XmlElement> {
  const ids = ctx.params.ids('omobility_id', ctx.node.settings.maxIds);
  const t = await TorContext.of(ctx);
  const out: XmlElement[] = [];
  for (const id of ids) {
    for (const m of await visible(ctx, id)) {
      const x = await tor(ctx, t, m);
      if (x) out.push(x);
    }
  }
  return el('imobility-tors-get-response', { xmlns: NS.torsGet, 'xmlns:emrex': NS.elmo }, out);
}

/** Incoming Mobility ToRs 3 index: `modified_since` (optional) is the only parameter; mobilities with a ToR the caller may get. */
async function index(ctx: EwpContext): Promise<XmlElement> {
  const since = ctx.params.modifiedSince();
  const out = new Set<string>();
  for (const m of await visible(ctx)) {
    const { person, items } = await torItems(ctx.node, ctx.hei, m);
    if (!items.length || !person || !identifier(person.data, 'esi') || !str(person.data.birthDate)) continue;
    if (since !== undefined && !items.some((i) => modifiedAfter(i.attainment, since)) && !modifiedAfter(m, since)) continue;
    out.add(String(m.data.omobilityId));
  }
  return el(
    'imobility-tors-index-response',
    { xmlns: NS.torsIndex },
    [...out].map((id) => el('omobility-id', {}, id)),
  );
}

/** Incoming Mobility ToR Stats 1 (the statistics portal only): per receiving academic year, the incoming mobilities with a transcript. */
async function stats(ctx: EwpContext): Promise<XmlElement> {
  requireStatsClient(ctx);
  const years = new Map<string, number>();
  for (const m of (await ctx.node.own('mobility-period', ctx.hei)).filter((x) => x.data.receivingInstitution === ctx.hei.id)) {
    if (!(await torItems(ctx.node, ctx.hei, m)).items.length) continue;
    years.set(String(m.data.receivingAcademicYear), (years.get(String(m.data.receivingAcademicYear)) ?? 0) + 1);
  }
  return el(
    'imobility-tor-stats-response',
    { xmlns: NS.torStats },
    [...years].sort(([a], [b]) => a.localeCompare(b)).map(([year, n]) => el('academic-year-stats', {}, el('receiving-academic-year-id', {}, year), el('imobility-tor-total', {}, n))),
  );
}

export const torEndpoints: Endpoint[] = [
  { path: 'imobility-tor-stats', methods: ['GET'], handle: stats },
  { path: 'imobility-tors/get', methods: ['GET', 'POST'], handle: get },
  { path: 'imobility-tors/index', methods: ['GET', 'POST'], handle: index },
];
