import { arr, obj, str, modifiedAfter, type Rec } from '../data.ts';
import { disclose, requireStatsClient, type Endpoint, type EwpContext } from '../endpoint.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { el, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { iiaCopyId } from '../client/parse-iia.ts';
import { IIA_NAMESPACES, iiaElement } from './iia-xml.ts';

/** The partner HEIs of an IIA record other than the serving one. */
export function partnersOf(rec: Rec, heiId: string): string[] {
  return arr(rec.data.partners)
    .map((p) => String(p.heiId))
    .filter((h) => h !== heiId);
}

/**
 * An own IIA as served: a partner's iia-id is left out once the partner deleted that IIA (our copy of it
 * is deleted; the get-response XSD: the id "MUST NOT be present if the partner has deleted the IIA").
 */
export async function unmapDeleted(node: EwpServices, hei: EwpHei, rec: Rec): Promise<Rec> {
  const partners = arr(rec.data.partners);
  let changed = false;
  const out = [];
  for (const p of partners) {
    const id = p.heiId !== hei.id ? str(p.iiaId) : undefined;
    if (id && (await node.reader.deletedCopy('inter-institutional-agreement', hei.id, hei.sourceSystem, iiaCopyId(String(p.heiId), id)))) {
      const { iiaId: _gone, ...rest } = p;
      out.push(rest);
      changed = true;
    } else out.push(p);
  }
  return changed ? { ...rec, data: { ...rec.data, partners: out } } : rec;
}

/** The HEI's own IIAs as served (unmapped from deleted partner copies). */
export async function ownIias(node: EwpServices, hei: EwpHei, field?: [string, string]): Promise<Rec[]> {
  const all = await node.own('inter-institutional-agreement', hei, field);
  return Promise.all(all.map((r) => unmapDeleted(node, hei, r)));
}

/** Own IIAs the caller may see: those where one of its HEIs is a partner (the spec's minimum, and ours). */
async function visibleIias(ctx: EwpContext, field?: [string, string]): Promise<Rec[]> {
  const all = await ownIias(ctx.node, ctx.hei, field);
  return all.filter((r) => partnersOf(r, ctx.hei.id).some((p) => ctx.caller.heis.includes(p)));
}

/** What an IIA carries that names persons: the contacts of both HEIs (the disclosure log). */
const IIA_FIELDS = ['iiaId', 'partners', 'cooperationConditions', 'startDate', 'endDate', 'terminated'] as const;

/** IIAs 7 get: by the serving HEI's iia_id; unknown, invisible or not representable ids are left out. */
async function get(ctx: EwpContext): Promise<XmlElement> {
  const ids = ctx.params.ids('iia_id', ctx.node.settings.maxIds);
  const out: XmlElement[] = [];
  for (const id of ids) {
    for (const r of await visibleIias(ctx, ['iiaId', id])) {
      const x = iiaElement(ctx.hei.id, r.data);
      if (!x) continue;
      out.push(x.element);
      // The agreement names contact persons of both HEIs.
      for (const p of partnersOf(r, ctx.hei.id).filter((h) => ctx.caller.heis.includes(h))) disclose(ctx, p, r, IIA_FIELDS);
    }
  }
  return el('iias-get-response', IIA_NAMESPACES, out);
}

function coversYear(r: Rec, year: string): boolean {
  return arr(r.data.cooperationConditions).some((c) => {
    const y = obj(c.academicYears);
    return !!y && String(y.first) <= year && year <= String(y.last);
  });
}

/** IIAs 7 index: iia ids visible to the caller, by receiving academic year and modification time. */
async function index(ctx: EwpContext): Promise<XmlElement> {
  const years = ctx.params.academicYears('receiving_academic_year_id');
  const since = ctx.params.modifiedSince();
  const hits = (await visibleIias(ctx)).filter(
    (r) => (since === undefined || modifiedAfter(r, since)) && (years.length === 0 || years.some((y) => coversYear(r, y))) && iiaElement(ctx.hei.id, r.data) !== undefined,
  );
  return el(
    'iias-index-response',
    { xmlns: NS.iiasIndex },
    [...new Set(hits.map((r) => String(r.data.iiaId)))].map((id) => el('iia-id', {}, id)),
  );
}

/** Approval state of an own IIA: our approval of the partner's copy, and the partner's of ours (current hash). */
export async function approvalState(node: EwpServices, hei: EwpHei, own: Rec): Promise<{ local: boolean; partner: boolean }> {
  const partner = partnersOf(own, hei.id)[0];
  const partnerIiaId = str(arr(own.data.partners).find((p) => p.heiId === partner)?.iiaId);
  const current = iiaElement(hei.id, own.data)?.hash;
  const copies = partnerIiaId ? await node.copies('inter-institutional-agreement', hei, ['iiaId', partnerIiaId]) : [];
  const approvals = copies.flatMap((c) => arr(c.data.approvals));
  return {
    local: approvals.some((a) => a.heiId === hei.id),
    partner: approvals.some((a) => a.heiId === partner && a.iiaHash === current),
  };
}

/** IIAs 7 stats: counts over the IIAs the HEI exposes (pre-computed per call; the numbers are small). */
async function stats(ctx: EwpContext): Promise<XmlElement> {
  requireStatsClient(ctx);
  const own = (await ownIias(ctx.node, ctx.hei)).filter((r) => iiaElement(ctx.hei.id, r.data));
  let lu = 0;
  let lp = 0;
  let both = 0;
  for (const r of own) {
    const s = await approvalState(ctx.node, ctx.hei, r);
    if (s.local && s.partner) both++;
    else if (s.local) lp++;
    else if (s.partner) lu++;
  }
  return el(
    'iias-stats-response',
    { xmlns: NS.iiasStats },
    el('iia-fetchable', {}, own.length),
    el('iia-local-unapproved-partner-approved', {}, lu),
    el('iia-local-approved-partner-unapproved', {}, lp),
    el('iia-both-approved', {}, both),
  );
}

/**
 * IIAs Approval 2: for the caller's own iia_ids, the serving HEI's approval of that copy (the
 * hash it approved), kept on the stored copy of the caller's IIA.
 */
async function approval(ctx: EwpContext): Promise<XmlElement> {
  const ids = ctx.params.ids('iia_id', ctx.node.settings.maxIds);
  const out: XmlElement[] = [];
  for (const id of ids) {
    const copies = await ctx.node.copies('inter-institutional-agreement', ctx.hei, ['iiaId', id]);
    for (const c of copies) {
      const owner = String(arr(c.data.partners)[0]?.heiId ?? '');
      if (!ctx.caller.heis.includes(owner)) continue;
      const mine = arr(c.data.approvals).filter((a) => a.heiId === ctx.hei.id && str(a.iiaHash));
      const latest = mine.sort((a, b) => String(b.approvedAt).localeCompare(String(a.approvedAt)))[0];
      if (latest) out.push(el('approval', {}, el('iia-id', {}, id), el('iia-hash', {}, String(latest.iiaHash))));
    }
  }
  return el('iias-approval-response', { xmlns: NS.iiasApproval }, out);
}

export const iiaEndpoints: Endpoint[] = [
  { path: 'iias/get', methods: ['GET', 'POST'], handle: get },
  { path: 'iias/index', methods: ['GET', 'POST'], handle: index },
  { path: 'iias/stats', methods: ['GET'], handle: stats },
  { path: 'iias-approval', methods: ['GET', 'POST'], handle: approval },
];
