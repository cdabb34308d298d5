import { num, obj, str, modifiedAfter, type Rec } from '../data.ts';
import { disclose, requireStatsClient, type Endpoint, type EwpContext } from '../endpoint.ts';
import { EwpRequestError } from '../../core/errors.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { child, childText, elements, type XElem } from '../xml/parse.ts';
import { laLists, laVersions, type LaVersion } from './la-xml.ts';
import { asInput, contactFor, esiOf, GENDER_CODE, mobilitiesById, personOf, portableRef } from './mobility.ts';
import { STUDENT_FIELDS, xmlBody } from './omobilities.ts';

const LA = 'learning-agreement';
/** What an `<la>` carries of the mobility and of each LA version (the disclosure log). */
const LA_MOBILITY_FIELDS = [
  'omobilityId',
  'sendingInstitution',
  'sendingOunitId',
  'receivingInstitution',
  'receivingOunitId',
  'receivingAcademicYear',
  'start',
  'end',
  'eqfLevel',
  'subjectArea',
  'iscedClarification',
  'languageSkill',
] as const;
const LA_FIELDS = ['changesId', 'status', 'components', 'signatures', 'rejectionComment'] as const;

/** Outgoing mobilities of the HEI that the caller receives, optionally one id. */
async function visible(ctx: EwpContext, id?: string): Promise<Rec[]> {
  const all = id ? await mobilitiesById(ctx.node, ctx.hei, id, 'sending') : (await ctx.node.own('mobility-period', ctx.hei)).filter((m) => m.data.sendingInstitution === ctx.hei.id);
  return all.filter((m) => ctx.caller.heis.includes(String(m.data.receivingInstitution)));
}

/** Every LA record of a mobility: the source's own versions and the decisions the node stored. */
export async function laRecords(ctx: EwpContext, omobilityId: string): Promise<Rec[]> {
  return [...(await ctx.node.own(LA, ctx.hei, ['omobilityId', omobilityId])), ...(await ctx.node.copies(LA, ctx.hei, ['omobilityId', omobilityId]))];
}

function sendingHei(ctx: EwpContext): void {
  const s = ctx.params.required('sending_hei_id');
  if (s !== ctx.hei.id) throw new EwpRequestError(`sending_hei_id ${s} is not covered by this host`);
}

/** One `<la>`, or undefined when the data the XSD requires is missing (logged without personal data). */
async function la(ctx: EwpContext, m: Rec): Promise<XmlElement | undefined> {
  const id = String(m.data.omobilityId);
  const versions = laVersions(await laRecords(ctx, id));
  const { elements: lists } = laLists(versions);
  const lang = obj(m.data.languageSkill);
  const p = await personOf(ctx.node, m);
  const lastSig = obj(versions[versions.length - 1]?.record.data.signatures);
  const sendingContact = await contactFor(ctx.node, ctx.hei, m, ctx.hei.id, obj(lastSig?.sending));
  const receivingContact = await contactFor(ctx.node, ctx.hei, m, String(m.data.receivingInstitution), obj(lastSig?.receiving));
  if (
    !lists.length ||
    !lang ||
    !str(lang.cefrLevel) ||
    num(m.data.eqfLevel) === undefined ||
    !str(m.data.subjectArea) ||
    !str(m.data.start) ||
    !str(m.data.end) ||
    !sendingContact ||
    !receivingContact
  ) {
    if (versions.length)
      ctx.node.logger.warn(
        { hei: ctx.hei.id, omobilityId: id },
        "a learning agreement lacks data Outgoing Mobility LAs 1 requires (a signed version, the mobility's dates, language skill with CEFR level, EQF level, subject area, contacts of both HEIs); not served",
      );
    return undefined;
  }
  const inst = (name: string, hei: unknown, ounit: unknown, c: { given: string; family: string; email: string }) =>
    el(name, {}, el('hei-id', {}, String(hei)), opt('ounit-id', str(ounit)), el('contact-person', {}, el('given-names', {}, c.given), el('family-name', {}, c.family), el('email', {}, c.email)));
  const pd = p?.data;
  const partner = String(m.data.receivingInstitution);
  disclose(ctx, partner, p, STUDENT_FIELDS);
  disclose(ctx, partner, m, LA_MOBILITY_FIELDS);
  for (const v of versions) disclose(ctx, partner, v.record, LA_FIELDS);
  return el(
    'la',
    {},
    el('omobility-id', {}, id),
    inst('sending-hei', m.data.sendingInstitution, m.data.sendingOunitId, sendingContact),
    inst('receiving-hei', m.data.receivingInstitution, m.data.receivingOunitId, receivingContact),
    el('receiving-academic-year-id', {}, String(m.data.receivingAcademicYear)),
    el(
      'student',
      {},
      opt('given-names', str(pd?.givenNames)),
      opt('family-name', str(pd?.familyName)),
      opt('global-id', esiOf(p)),
      opt('birth-date', str(pd?.birthDate)),
      opt('citizenship', str(pd?.citizenship)),
      opt('gender', pd?.gender ? GENDER_CODE[String(pd.gender)] : undefined),
      opt('email', str(pd?.email)),
    ),
    el('start-date', {}, String(m.data.start)),
    el('end-date', {}, String(m.data.end)),
    el('eqf-level-studied-at-departure', {}, num(m.data.eqfLevel)!),
    el('isced-f-code', {}, String(m.data.subjectArea)),
    opt('isced-clarification', str(m.data.iscedClarification)),
    el('student-language-skill', {}, el('language', {}, String(lang.language)), el('cefr-level', {}, String(lang.cefrLevel))),
    lists,
  );
}

const LA_NS = { xmlns: NS.lasGet, 'xmlns:trm': NS.termV2 };

async function get(ctx: EwpContext): Promise<XmlElement> {
  sendingHei(ctx);
  const out: XmlElement[] = [];
  for (const id of ctx.params.ids('omobility_id', ctx.node.settings.maxIds)) {
    for (const m of await visible(ctx, id)) {
      const x = await la(ctx, m);
      if (x) out.push(x);
    }
  }
  return el('omobility-las-get-response', LA_NS, out);
}

async function index(ctx: EwpContext): Promise<XmlElement> {
  sendingHei(ctx);
  const receiving = ctx.params.list('receiving_hei_id');
  const year = ctx.params.academicYears('receiving_academic_year_id');
  if (year.length > 1) throw new EwpRequestError('parameter receiving_academic_year_id must not be repeated');
  const since = ctx.params.modifiedSince();
  const out = new Set<string>();
  for (const m of await visible(ctx)) {
    if (receiving.length && !receiving.includes(String(m.data.receivingInstitution))) continue;
    if (year.length && m.data.receivingAcademicYear !== year[0]) continue;
    const recs = await laRecords(ctx, String(m.data.omobilityId));
    if (!recs.length) continue;
    if (since !== undefined && !recs.some((r) => modifiedAfter(r, since)) && !modifiedAfter(m, since)) continue;
    out.add(String(m.data.omobilityId));
  }
  return el(
    'omobility-las-index-response',
    { xmlns: NS.lasIndex },
    [...out].map((id) => el('omobility-id', {}, id)),
  );
}

/**
 * Outgoing Mobility LAs `stats` (the EC statistics portal only): per receiving academic year, the
 * outgoing LAs (mobilities the HEI sends that have one), those approved once and never changed since,
 * those changed after an approval, and the state of their latest version.
 */
async function stats(ctx: EwpContext): Promise<XmlElement> {
  requireStatsClient(ctx);
  const years = new Map<string, { total: number; notModified: number; modified: number; approved: number; rejected: number; awaiting: number }>();
  for (const m of (await ctx.node.own('mobility-period', ctx.hei)).filter((x) => x.data.sendingInstitution === ctx.hei.id)) {
    const versions = laVersions(await laRecords(ctx, String(m.data.omobilityId)));
    const latest = versions[versions.length - 1];
    if (!latest) continue;
    const year = String(m.data.receivingAcademicYear);
    const y = years.get(year) ?? { total: 0, notModified: 0, modified: 0, approved: 0, rejected: 0, awaiting: 0 };
    y.total++;
    const firstApproved = versions.findIndex((v) => v.state === 'approved');
    if (firstApproved >= 0 && versions.length === 1) y.notModified++;
    if (firstApproved >= 0 && versions.length > firstApproved + 1) y.modified++;
    if (latest.state === 'approved') y.approved++;
    else if (latest.state === 'rejected') y.rejected++;
    else y.awaiting++;
    years.set(year, y);
  }
  return el(
    'las-outgoing-stats-response',
    { xmlns: NS.lasStats },
    [...years]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([year, y]) =>
        el(
          'academic-year-la-stats',
          {},
          el('receiving-academic-year-id', {}, year),
          el('la-outgoing-total', {}, y.total),
          el('la-outgoing-not-modified-after-approval', {}, y.notModified),
          el('la-outgoing-modified-after-approval', {}, y.modified),
          el('la-outgoing-latest-version-approved', {}, y.approved),
          el('la-outgoing-latest-version-rejected', {}, y.rejected),
          el('la-outgoing-latest-version-awaiting', {}, y.awaiting),
        ),
      ),
  );
}

function signatureOf(x: XElem | undefined): Record<string, string> | undefined {
  if (!x) return undefined;
  const t = (n: string) => childText(x, n, NS.lasGet);
  const timestamp = t('timestamp');
  if (!timestamp || !Number.isFinite(Date.parse(timestamp))) throw new EwpRequestError('the signature needs a timestamp (xs:dateTime)');
  const name = t('signer-name');
  if (!name) throw new EwpRequestError('the signature needs a signer-name');
  return { name, timestamp, ...(t('signer-position') ? { position: t('signer-position')! } : {}), ...(t('signer-email') ? { email: t('signer-email')! } : {}) };
}

/**
 * Outgoing Mobility LAs 1 update: the receiving HEI approves or comments (rejects) the current
 * changes proposal; a stale changes-proposal-id is a 409. The decision is written through the
 * HEI's EWP source as a learning-agreement record (status approved or rejected, with the
 * receiving HEI's signature), which the pipeline commits and the ewp-cnr sink announces.
 */
async function update(ctx: EwpContext): Promise<XmlElement> {
  const root = xmlBody(ctx);
  if (root.local !== 'omobility-las-update-request' || root.ns !== NS.lasUpdateReq) throw new EwpRequestError('expected <omobility-las-update-request> of Outgoing Mobility LAs 1');
  const sending = childText(root, 'sending-hei-id');
  if (sending !== ctx.hei.id) throw new EwpRequestError(`sending-hei-id ${sending ?? '(none)'} is not covered by this host`);
  const action = elements(root).find((c) => c.local === 'approve-proposal-v1' || c.local === 'comment-proposal-v1');
  if (!action) throw new EwpRequestError('the request holds neither approve-proposal-v1 nor comment-proposal-v1');
  const id = childText(action, 'omobility-id');
  const proposalId = childText(action, 'changes-proposal-id');
  const receivingSig = signatureOf(child(action, 'signature'));
  if (!id || !proposalId || !receivingSig) throw new EwpRequestError('omobility-id, changes-proposal-id and signature are required');
  const m = (await visible(ctx, id))[0];
  if (!m) throw new EwpRequestError(`no outgoing mobility ${id} that the caller receives`);
  const { proposal } = laLists(laVersions(await laRecords(ctx, id)));
  if (!proposal || proposal.changesId !== proposalId)
    throw new EwpRequestError(`changes proposal ${proposalId} is not the current proposal of mobility ${id}`, {
      status: 409,
      userMessage: 'The learning agreement was changed in the meantime. Reload it and review the latest proposal.',
    });
  const approve = action.local === 'approve-proposal-v1';
  const comment = childText(action, 'comment');
  if (!approve && !comment) throw new EwpRequestError('comment-proposal-v1 needs a comment');
  await storeDecision(ctx, m, proposal, approve ? 'approved' : 'rejected', receivingSig, comment);
  return el(
    'omobility-las-update-response',
    { xmlns: NS.lasUpdateRes, 'xmlns:ewp': NS.ewp },
    el('ewp:success-user-message', {}, approve ? 'The learning agreement is approved.' : 'Your comment is recorded; the sending institution will propose again.'),
  );
}

async function storeDecision(ctx: EwpContext, m: Rec, v: LaVersion, status: string, receiving: Record<string, string>, comment: string | undefined): Promise<void> {
  const sig = obj(v.record.data.signatures) ?? {};
  const record = {
    ...asInput(v.record.data, `la-decision/${String(m.data.omobilityId)}/${v.changesId}`),
    mobility: await portableRef(ctx.node, v.record, 'mobility-period', v.record.data.mobility),
    status,
    signatures: { ...sig, receiving },
    ...(comment ? { rejectionComment: comment } : {}),
  };
  const { rejected } = await ctx.node.ingest(ctx.hei, LA, [record]);
  if (rejected.length) throw new EwpRequestError('the decision could not be stored; the hub kept it as a rejected message', { status: 500 });
}

export const laEndpoints: Endpoint[] = [
  { path: 'omobility-las/get', methods: ['GET', 'POST'], handle: get },
  { path: 'omobility-las/index', methods: ['GET', 'POST'], handle: index },
  { path: 'omobility-las/update', methods: ['POST'], xmlBody: true, handle: update },
  { path: 'omobility-las/stats', methods: ['GET'], handle: stats },
];
