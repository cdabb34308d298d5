import { arr, num, obj, str, modifiedAfter, type Rec } from '../data.ts';
import type { Endpoint, EwpContext } from '../endpoint.ts';
import { EwpRequestError } from '../../core/errors.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { ounitId } from './institutions.ts';

/** EWP los-id of a course record: `CR/<hub id>` (stable, printable, within the 40-character limit). */
export const losIdOf = (course: Rec) => `CR/${course.id}`;
export const loiIdOf = (offering: Rec) => `CRI/${offering.id}`;
const DATE = /^\d{4}-\d{2}-\d{2}$/;

/** ECTS credits of a credits value (Latvian credit points before 11.10.2022 count 1.5 ECTS). */
export function ectsOf(credits: unknown): number | undefined {
  const c = obj(credits);
  const v = num(c?.value);
  if (v === undefined) return undefined;
  return c?.scheme === 'LV_KP_LEGACY' ? Math.round(v * 1.5 * 100) / 100 : v;
}

function dateParam(ctx: EwpContext, name: string): string | undefined {
  const v = ctx.params.one(name);
  if (v !== undefined && !DATE.test(v)) throw new EwpRequestError(`${name} must be an xs:date (YYYY-MM-DD)`);
  return v;
}

export function refersTo(ref: unknown, from: Rec, target: Rec): boolean {
  const r = obj(ref);
  return !!r && (r.id === target.id || (r.sourceId === target.sourceId && from.sourceSystem === target.sourceSystem));
}

async function instances(ctx: EwpContext, course: Rec, before: string | undefined, after: string | undefined): Promise<XmlElement[]> {
  const offerings = (await ctx.node.own('offering', ctx.hei)).filter((o) => refersTo(o.data.course, o, course));
  const out: XmlElement[] = [];
  for (const o of offerings) {
    const term = await ctx.node.reader.resolve(o, 'academic-term', o.data.term);
    const period = obj(o.data.period);
    const start = str(period?.start) ?? str(term?.data.start);
    const end = str(period?.end) ?? str(term?.data.end);
    if (!start || !end) continue;
    if (before && !(start < before)) continue;
    if (after && !(start > after)) continue;
    const year = str(term?.data.academicYear);
    const ects = ectsOf(course.data.credits);
    out.push(
      el(
        'learningOpportunityInstance',
        {},
        el('loi-id', {}, loiIdOf(o)),
        el('start', {}, start),
        el('end', {}, end),
        term && year
          ? el(
              'trm:academic-term',
              {},
              el('trm:academic-year-id', {}, year),
              arr<{ lang: string; text: string }>(term.data.name).map((n) => el('trm:display-name', { 'xml:lang': n.lang }, n.text)),
              el('trm:start-date', {}, String(term.data.start)),
              el('trm:end-date', {}, String(term.data.end)),
            )
          : undefined,
        ects !== undefined ? el('credit', {}, el('scheme', {}, 'ects'), el('value', {}, ects)) : undefined,
        opt('languageOfInstruction', str(o.data.language) ?? str(course.data.language)),
      ),
    );
  }
  return out;
}

/** Courses API 0.7: course records by los_id (`CR/<id>`) xor los_code, with their offerings as instances. */
async function courses(ctx: EwpContext): Promise<XmlElement> {
  const hei = ctx.params.required('hei_id');
  if (hei !== ctx.hei.id) throw new EwpRequestError(`hei_id ${hei} is not covered by this host`);
  const byId = ctx.params.list('los_id');
  const byCode = ctx.params.list('los_code');
  if (byId.length > 0 === byCode.length > 0) throw new EwpRequestError('give either los_id or los_code (not both, not neither)');
  const wanted = byId.length ? ctx.params.ids('los_id', ctx.node.settings.maxIds) : ctx.params.ids('los_code', ctx.node.settings.maxIds);
  const before = dateParam(ctx, 'lois_before');
  const after = dateParam(ctx, 'lois_after');
  const atDate = dateParam(ctx, 'los_at_date') ?? new Date().toISOString().slice(0, 10);
  const all = await ctx.node.own('course', ctx.hei);
  const hits = all.filter((c) => (byId.length ? wanted.includes(losIdOf(c)) : wanted.includes(String(c.data.code))));
  const out: XmlElement[] = [];
  for (const c of hits) {
    // A course version not valid at los_at_date is left out.
    if (String(c.data.validFrom) > atDate || (str(c.data.validTo) && String(c.data.validTo) < atDate)) continue;
    const unit = await ctx.node.reader.resolve(c, 'organisation', c.data.organisation);
    out.push(
      el(
        'learningOpportunitySpecification',
        {},
        el('los-id', {}, losIdOf(c)),
        el('los-code', {}, String(c.data.code)),
        opt('ounit-id', unit ? ounitId(unit) : undefined),
        arr<{ lang: string; text: string }>(c.data.name).map((n) => el('title', { 'xml:lang': n.lang }, n.text)),
        el('type', {}, 'Course'),
        opt('iscedCode', str(c.data.iscedF)),
        opt('eqfLevelProvided', num(c.data.eqfLevel)),
        el('specifies', {}, await instances(ctx, c, before, after)),
      ),
    );
  }
  return el('courses-response', { xmlns: NS.courses, 'xmlns:trm': NS.termV1 }, out);
}

/** Simple Course Replication 1: every los-id of the HEI (changed since modified_since). */
async function replication(ctx: EwpContext): Promise<XmlElement> {
  const hei = ctx.params.required('hei_id');
  if (hei !== ctx.hei.id) throw new EwpRequestError(`hei_id ${hei} is not covered by this host`);
  const since = ctx.params.modifiedSince();
  const all = await ctx.node.own('course', ctx.hei);
  return el(
    'course-replication-response',
    { xmlns: NS.courseReplication },
    all.filter((c) => since === undefined || modifiedAfter(c, since)).map((c) => el('los-id', {}, losIdOf(c))),
  );
}

export const courseEndpoints: Endpoint[] = [
  { path: 'courses', methods: ['GET', 'POST'], handle: courses },
  { path: 'course-replication', methods: ['GET', 'POST'], handle: replication },
];
