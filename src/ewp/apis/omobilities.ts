import { sha256Hex } from '../../core/ids.ts';
import type { JsonObject } from '../../core/types.ts';
import { num, str, modifiedAfter, type Rec } from '../data.ts';
import { disclose, requireStatsClient, type Endpoint, type EwpContext } from '../endpoint.ts';
import { EwpRequestError } from '../../core/errors.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { el, fragment, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { childText, parseXml } from '../xml/parse.ts';
import { asInput, esiOf, GENDER_CODE, mobilitiesById, personOf, portableRef } from './mobility.ts';

const STATUS: Record<string, string> = { nominated: 'pending', approved: 'approved', rejected: 'rejected', cancelled: 'cancelled', live: 'approved', recognized: 'approved' };

/** What a nomination states beyond the mobility record: its academic term, the nominee's field of education. */
export interface NominationFacts {
  /** The EWP id of the sending HEI's academic term the mobility lies inside (e.g. 2025/2026-1/2), if any. */
  termId: string | undefined;
  /** ISCED-F of the student's programme (through the mobility's study right), if known. */
  nomineeIsced: string | undefined;
}

const NO_FACTS: NominationFacts = { termId: undefined, nomineeIsced: undefined };

/** How many terms of a kind make an academic year: the NumberOfTerms of an EWP academic term id. */
const TERMS_PER_YEAR: Record<string, number> = { 'academic-year': 1, semester: 2, trimester: 3, quarter: 4 };
const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);

/**
 * The EWP id of the narrowest standard term (academic year, semester, trimester, quarter) of the sending
 * HEI that holds the whole mobility: `<year>-<number>/<terms a year>`, the number counted among the
 * year's terms of that kind by start date. Undefined when no standard term holds it.
 */
export function termIdFor(m: Rec, terms: readonly Rec[]): string | undefined {
  const start = day(m.data.start);
  const end = day(m.data.end);
  if (!start || !end) return undefined;
  const standard = terms.filter((t) => TERMS_PER_YEAR[String(t.data.termType)] !== undefined && str(t.data.academicYear) && day(t.data.start) && day(t.data.end));
  const holding = standard.filter((t) => day(t.data.start)! <= start && end <= day(t.data.end)!).sort((a, b) => TERMS_PER_YEAR[String(b.data.termType)]! - TERMS_PER_YEAR[String(a.data.termType)]!);
  for (const t of holding) {
    const total = TERMS_PER_YEAR[String(t.data.termType)]!;
    const siblings = standard.filter((x) => x.data.termType === t.data.termType && x.data.academicYear === t.data.academicYear).sort((a, b) => day(a.data.start)!.localeCompare(day(b.data.start)!));
    const n = siblings.findIndex((x) => x.id === t.id) + 1;
    if (n >= 1 && n <= total && siblings.length <= total) return `${String(t.data.academicYear)}-${n}/${total}`;
  }
  return undefined;
}

/** Looks up what the nomination states beyond the mobility record (the sending HEI's terms, the study right's programme). */
export async function nominationFacts(node: EwpServices, m: Rec): Promise<NominationFacts> {
  const sending = str(m.data.sendingInstitution);
  const terms = sending ? await node.reader.list('academic-term', sending) : [];
  const right = m.data.studyRight ? await node.reader.resolve(m, 'study-right', m.data.studyRight) : undefined;
  const programme = right?.data.programme ? await node.reader.resolve(right, 'programme', right.data.programme) : undefined;
  const isced = str(programme?.data.iscedF);
  return { termId: termIdFor(m, terms), nomineeIsced: isced && /^[0-9]{4}$/.test(isced) ? isced : undefined };
}

/**
 * The nomination of a mobility (what the receiving HEI approves); undefined when a required field is
 * missing. The term is the sending HEI's academic term that holds the mobility, or
 * `non-standard-mobility-period` when none does; the nominee's ISCED-F is their programme's, and only
 * when that is unknown the agreement's (the XSD requires one).
 */
export function nomination(m: Rec, facts: NominationFacts): XmlElement | undefined {
  const d = m.data;
  if (d.mobilityType !== 'student-studies' || !str(d.activityAttributes) || !str(d.subjectArea) || num(d.eqfLevel) === undefined) return undefined;
  const hei = (name: string, id: unknown, ounit: unknown, iia: unknown) => el(name, {}, el('hei-id', {}, String(id)), opt('ounit-id', str(ounit)), opt('iia-id', str(iia)));
  const body = [
    hei('sending-hei', d.sendingInstitution, d.sendingOunitId, d.iiaId),
    hei('receiving-hei', d.receivingInstitution, d.receivingOunitId, undefined),
    facts.termId ? el('sending-academic-term-ewp-id', {}, facts.termId) : el('non-standard-mobility-period', {}),
    el('receiving-academic-year-id', {}, String(d.receivingAcademicYear)),
    el('activity-type', {}, 'student-studies'),
    el('activity-attributes', {}, String(d.activityAttributes)),
    el('agreement-isced-f-code', {}, String(d.subjectArea)),
    el('eqf-level-studied-at-departure', {}, num(d.eqfLevel)!),
    el('nominee-isced-f-code', {}, facts.nomineeIsced ?? String(d.subjectArea)),
    opt('comment', str(d.iscedClarification)),
  ];
  const proposalId = sha256Hex(fragment(el('nomination', {}, body)));
  return el('nomination', { 'proposal-id': proposalId }, body);
}

/** The current proposal id of a mobility's nomination. */
export async function proposalIdOf(node: EwpServices, m: Rec): Promise<string | undefined> {
  return (nomination(m, await nominationFacts(node, m))?.attrs['proposal-id'] as string | undefined) ?? undefined;
}

/** Status of a mobility: a receiving HEI's decision on the current proposal wins over the source's status. */
async function statusOf(node: EwpServices, hei: EwpHei, m: Rec): Promise<string> {
  const pid = await proposalIdOf(node, m);
  const decisions = (await node.copies('mobility-period', hei, ['omobilityId', String(m.data.omobilityId)])).filter((x) => x.sourceId === `omobility-decision/${String(m.data.omobilityId)}`);
  let d: Rec | undefined;
  for (const x of decisions) if ((await proposalIdOf(node, x)) === pid) d = x;
  if (d && (m.data.status === 'nominated' || m.data.status === d.data.status)) return STATUS[String(d.data.status)] ?? 'pending';
  return STATUS[String(m.data.status)] ?? 'pending';
}

/** What a student-mobility carries of the person and of the mobility (the disclosure log). */
export const STUDENT_FIELDS = ['givenNames', 'familyName', 'identifiers.esi', 'birthDate', 'citizenship', 'gender', 'email'] as const;
const MOBILITY_FIELDS = [
  'omobilityId',
  'sendingInstitution',
  'sendingOunitId',
  'receivingInstitution',
  'receivingOunitId',
  'iiaId',
  'receivingAcademicYear',
  'mobilityType',
  'activityAttributes',
  'subjectArea',
  'eqfLevel',
  'iscedClarification',
  'status',
] as const;

/** One student-mobility (Outgoing Mobilities 3), or undefined when the record lacks what the XSD requires. */
async function studentMobility(ctx: EwpContext, m: Rec): Promise<XmlElement | undefined> {
  const nom = nomination(m, await nominationFacts(ctx.node, m));
  const p = await personOf(ctx.node, m);
  const pd = p?.data;
  const esi = esiOf(p);
  if (!nom || !pd || !esi || !str(pd.birthDate) || !str(pd.citizenship) || !str(pd.email)) {
    ctx.node.logger.warn(
      { hei: ctx.hei.id, omobilityId: m.data.omobilityId },
      "a mobility lacks data Outgoing Mobilities 3 requires (nomination fields or the student's esi, birth date, citizenship, e-mail); not served",
    );
    return undefined;
  }
  const partner = String(m.data.receivingInstitution);
  disclose(ctx, partner, p, STUDENT_FIELDS);
  disclose(ctx, partner, m, MOBILITY_FIELDS);
  return el(
    'student-mobility',
    {},
    el('omobility-id', {}, String(m.data.omobilityId)),
    el(
      'student',
      {},
      el('given-names', {}, String(pd.givenNames)),
      el('family-name', {}, String(pd.familyName)),
      el('global-id', {}, esi),
      el('birth-date', {}, String(pd.birthDate)),
      el('nationality', {}, String(pd.citizenship)),
      el('gender', {}, GENDER_CODE[String(pd.gender)] ?? '0'),
      el('email', {}, String(pd.email)),
    ),
    nom,
    el('status', {}, await statusOf(ctx.node, ctx.hei, m)),
  );
}

/** Outgoing mobilities the caller may see: those whose receiving HEI it covers. */
async function visible(ctx: EwpContext, id?: string): Promise<Rec[]> {
  const all = id ? await mobilitiesById(ctx.node, ctx.hei, id, 'sending') : (await ctx.node.own('mobility-period', ctx.hei)).filter((m) => m.data.sendingInstitution === ctx.hei.id);
  return all.filter((m) => ctx.caller.heis.includes(String(m.data.receivingInstitution)));
}

async function get(ctx: EwpContext): Promise<XmlElement> {
  const out: XmlElement[] = [];
  for (const id of ctx.params.ids('omobility_id', ctx.node.settings.maxIds)) {
    for (const m of await visible(ctx, id)) {
      const x = await studentMobility(ctx, m);
      if (x) out.push(x);
    }
  }
  return el('omobilities-get-response', { xmlns: NS.omobilitiesGet }, out);
}

async function index(ctx: EwpContext): Promise<XmlElement> {
  const years = ctx.params.academicYears('receiving_academic_year_id');
  const since = ctx.params.modifiedSince();
  // Whether a mobility has a nomination does not depend on the looked-up facts (term, nominee's field).
  const hits = (await visible(ctx)).filter(
    (m) => (since === undefined || modifiedAfter(m, since)) && (years.length === 0 || years.includes(String(m.data.receivingAcademicYear))) && nomination(m, NO_FACTS),
  );
  return el(
    'omobilities-index-response',
    { xmlns: NS.omobilitiesIndex },
    [...new Set(hits.map((m) => String(m.data.omobilityId)))].map((id) => el('omobility-id', {}, id)),
  );
}

/** Reads an XML request body of an update endpoint (415 for another content type, 400 for bad XML). */
export function xmlBody(ctx: EwpContext) {
  const type = (ctx.contentType ?? '').split(';')[0]!.trim().toLowerCase();
  if (type !== 'application/xml' && type !== 'text/xml') throw new EwpRequestError(`the update request must be XML (application/xml), not '${type || 'no content type'}'`, { status: 415 });
  try {
    return parseXml(ctx.body.toString('utf8'));
  } catch (e) {
    throw new EwpRequestError(`the update request is not well-formed XML: ${(e as Error).message}`);
  }
}

/**
 * Outgoing Mobilities 3 update: the receiving HEI approves or rejects the current nomination
 * (409 when the proposal id is not the current one). The decision is written through the HEI's
 * EWP source as a mobility-period record `omobility-decision/<id>`.
 */
async function update(ctx: EwpContext): Promise<XmlElement> {
  const root = xmlBody(ctx);
  if (root.local !== 'omobilities-update-request' || root.ns !== NS.omobilitiesUpdateReq) throw new EwpRequestError('expected <omobilities-update-request> of Outgoing Mobilities 3');
  const action = root.children.find((c) => typeof c !== 'string' && (c.local === 'approve-proposal-v1' || c.local === 'reject-proposal-v1'));
  if (!action || typeof action === 'string') throw new EwpRequestError('the request holds neither approve-proposal-v1 nor reject-proposal-v1');
  const id = childText(action, 'omobility-id');
  const proposal = childText(action, 'proposal-id');
  if (!id || !proposal) throw new EwpRequestError('omobility-id and proposal-id are required');
  const m = (await visible(ctx, id))[0];
  if (!m) throw new EwpRequestError(`no outgoing mobility ${id} that the caller receives`);
  if ((await proposalIdOf(ctx.node, m)) !== proposal)
    throw new EwpRequestError(`proposal ${proposal} is not the current proposal of mobility ${id}`, {
      status: 409,
      userMessage: 'The nomination was changed in the meantime. Reload it and review the latest version.',
    });
  const status = action.local === 'approve-proposal-v1' ? 'approved' : 'rejected';
  const record: JsonObject = { ...asInput(m.data, `omobility-decision/${id}`), status, person: await portableRef(ctx.node, m, 'person', m.data.person) };
  if (record.studyRight) record.studyRight = await portableRef(ctx.node, m, 'study-right', m.data.studyRight);
  const { rejected } = await ctx.node.ingest(ctx.hei, 'mobility-period', [record]);
  if (rejected.length) throw new EwpRequestError('the decision could not be stored; the hub kept it as a rejected message', { status: 500 });
  return el('omobilities-update-response', { xmlns: NS.omobilitiesUpdateRes });
}

/** Outgoing Mobility Stats 1 (the statistics portal only): per receiving academic year, the HEI's nominations pending and approved. */
async function stats(ctx: EwpContext): Promise<XmlElement> {
  requireStatsClient(ctx);
  const years = new Map<string, { pending: number; approved: number }>();
  for (const m of (await ctx.node.own('mobility-period', ctx.hei)).filter((x) => x.data.sendingInstitution === ctx.hei.id && nomination(x, NO_FACTS))) {
    const status = await statusOf(ctx.node, ctx.hei, m);
    const y = years.get(String(m.data.receivingAcademicYear)) ?? { pending: 0, approved: 0 };
    if (status === 'pending') y.pending++;
    else if (status === 'approved') y.approved++;
    years.set(String(m.data.receivingAcademicYear), y);
  }
  return el(
    'omobility-stats-response',
    { xmlns: NS.omobilityStats },
    [...years]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([year, y]) => el('academic-year-stats', {}, el('receiving-academic-year-id', {}, year), el('omobility-pending', {}, y.pending), el('omobility-approved', {}, y.approved))),
  );
}

export const omobilityEndpoints: Endpoint[] = [
  { path: 'omobility-stats', methods: ['GET'], handle: stats },
  { path: 'omobilities/get', methods: ['GET', 'POST'], handle: get },
  { path: 'omobilities/index', methods: ['GET', 'POST'], handle: index },
  { path: 'omobilities/update', methods: ['POST'], xmlBody: true, handle: update },
];
