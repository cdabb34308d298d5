import { arr, identifier, isEwpId, str, type Rec } from '../data.ts';
import type { Endpoint, EwpContext } from '../endpoint.ts';
import { EwpRequestError } from '../../core/errors.ts';
import { heiIdentity } from '../manifest.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';

/** EWP ounit_id of a unit: its local-code identifier (units without a printable one are not published). */
export function ounitId(unit: Rec): string | undefined {
  const v = identifier(unit.data, 'local-code');
  return isEwpId(v) ? v : undefined;
}

function names(v: unknown): XmlElement[] {
  return arr<{ lang: string; text: string }>(v).map((n) => el('name', { 'xml:lang': n.lang }, n.text));
}

/** The HEI's organisational units (organisation records other than the institution itself). */
export async function units(ctx: EwpContext): Promise<Rec[]> {
  return (await ctx.node.own('organisation', ctx.hei)).filter((o) => o.data.type !== 'institution' && ounitId(o) !== undefined);
}

/** Parent ounit id of a unit, when its parent is another unit (not the institution). */
async function parentOunitId(ctx: EwpContext, unit: Rec): Promise<string | undefined> {
  const parent = await ctx.node.reader.resolve(unit, 'organisation', unit.data.parent);
  return parent && parent.data.type !== 'institution' ? ounitId(parent) : undefined;
}

/** Institutions API 2: the served HEI when asked for (other hei_id values are ignored). */
async function institutions(ctx: EwpContext): Promise<XmlElement> {
  const asked = ctx.params.ids('hei_id', ctx.node.settings.maxIds);
  const out: XmlElement[] = [];
  if (asked.includes(ctx.hei.id)) {
    const org = await ctx.node.institutionRecord(ctx.hei);
    const { names: n, otherIds } = heiIdentity(ctx.hei, org);
    const us = await units(ctx);
    out.push(
      el(
        'hei',
        {},
        el('hei-id', {}, ctx.hei.id),
        otherIds.map((o) => el('other-id', { type: o.type }, o.value)),
        n.map((x) => el('name', x.lang ? { 'xml:lang': x.lang } : {}, x.text)),
        opt('abbreviation', str(org?.data.abbreviation)),
        opt('website-url', str(org?.data.website)),
        us.map((u) => el('ounit-id', {}, ounitId(u)!)),
      ),
    );
  }
  return el('institutions-response', { xmlns: NS.institutions }, out);
}

/** Organizational Units API 2: by ounit_id xor ounit_code, for the served HEI only (another hei_id is a 400). */
async function ounits(ctx: EwpContext): Promise<XmlElement> {
  const hei = ctx.params.required('hei_id');
  if (hei !== ctx.hei.id) throw new EwpRequestError(`hei_id ${hei} is not covered by this host`);
  const byId = ctx.params.list('ounit_id');
  const byCode = ctx.params.list('ounit_code');
  if (byId.length > 0 === byCode.length > 0) throw new EwpRequestError('give either ounit_id or ounit_code (not both, not neither)');
  const wanted = byId.length ? ctx.params.ids('ounit_id', ctx.node.settings.maxIds) : ctx.params.ids('ounit_code', ctx.node.settings.maxIds);
  const all = await units(ctx);
  const code = (u: Rec) => str(u.data.abbreviation) ?? ounitId(u)!;
  const hits = all.filter((u) => (byId.length ? wanted.includes(ounitId(u)!) : wanted.includes(code(u))));
  const out: XmlElement[] = [];
  for (const u of hits) {
    out.push(
      el(
        'ounit',
        {},
        el('ounit-id', {}, ounitId(u)!),
        el('ounit-code', {}, code(u)),
        names(u.data.name),
        opt('abbreviation', str(u.data.abbreviation)),
        opt('parent-ounit-id', await parentOunitId(ctx, u)),
        opt('website-url', str(u.data.website)),
      ),
    );
  }
  return el('ounits-response', { xmlns: NS.ounits }, out);
}

export const institutionEndpoints: Endpoint[] = [
  { path: 'institutions', methods: ['GET', 'POST'], handle: institutions },
  { path: 'ounits', methods: ['GET', 'POST'], handle: ounits },
];
