import type { Rec } from '../data.ts';
import { requireStatsClient, type Endpoint, type EwpContext } from '../endpoint.ts';
import { el, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { laVersions } from './la-xml.ts';
import { laRecords } from './las.ts';

/** Receiving academic year ids as AcademicYearId (`2024/2025`) wants them. */
const ACADEMIC_YEAR = /^[0-9]{4}\/[0-9]{4}$/;

/** The mobilities the HEI receives from partners (its own records and the partners' copies), one per omobility id. */
async function incomingMobilities(ctx: EwpContext): Promise<Rec[]> {
  const all = [...(await ctx.node.own('mobility-period', ctx.hei)), ...(await ctx.node.copies('mobility-period', ctx.hei))];
  const byId = new Map<string, Rec>();
  for (const m of all) {
    if (m.data.receivingInstitution !== ctx.hei.id || m.data.sendingInstitution === ctx.hei.id) continue;
    const id = String(m.data.omobilityId);
    if (!byId.has(id)) byId.set(id, m);
  }
  return [...byId.values()];
}

/**
 * Outgoing Mobility LA CNR 1.1 `stats` (the `stats-url` of the omobility-la-cnr manifest entry; the EC
 * statistics portal only): the LAs the HEI receives, per receiving academic year: all of them, those
 * with some version approved by the HEI, and the state of their latest version (approved, rejected,
 * awaiting the HEI's decision). The LA versions are those the hub holds: fetched from the sending HEI
 * after its LA CNRs, with the HEI's own decisions.
 */
async function stats(ctx: EwpContext): Promise<XmlElement> {
  requireStatsClient(ctx);
  const years = new Map<string, { total: number; someApproved: number; approved: number; rejected: number; awaiting: number }>();
  for (const m of await incomingMobilities(ctx)) {
    const year = String(m.data.receivingAcademicYear ?? '');
    if (!ACADEMIC_YEAR.test(year)) continue;
    const versions = laVersions(await laRecords(ctx, String(m.data.omobilityId)));
    const latest = versions[versions.length - 1];
    if (!latest) continue;
    const y = years.get(year) ?? { total: 0, someApproved: 0, approved: 0, rejected: 0, awaiting: 0 };
    y.total++;
    if (versions.some((v) => v.state === 'approved')) y.someApproved++;
    if (latest.state === 'approved') y.approved++;
    else if (latest.state === 'rejected') y.rejected++;
    else y.awaiting++;
    years.set(year, y);
  }
  return el(
    'las-incoming-stats-response',
    { xmlns: NS.laCnrStats },
    [...years]
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([year, y]) =>
        el(
          'academic-year-la-stats',
          {},
          el('receiving-academic-year-id', {}, year),
          el('la-incoming-total', {}, y.total),
          el('la-incoming-some-version-approved', {}, y.someApproved),
          el('la-incoming-latest-version-approved', {}, y.approved),
          el('la-incoming-latest-version-rejected', {}, y.rejected),
          el('la-incoming-latest-version-awaiting', {}, y.awaiting),
        ),
      ),
  );
}

export const laCnrStatsEndpoints: Endpoint[] = [{ path: 'omobility-la-cnr/stats', methods: ['GET'], handle: stats }];
