import { EwpRequestError } from '../../core/errors.ts';
import { copyIds } from '../client/parse-mobility.ts';
import type { Rec } from '../data.ts';
import { disclose, type Endpoint, type EwpContext } from '../endpoint.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { mobilitiesById } from './mobility.ts';

const day = (v: unknown) => (typeof v === 'string' && /^\d{4}-\d{2}-\d{2}/.test(v) ? v.slice(0, 10) : undefined);

/**
 * The actual arrival and departure of an incoming student, as the receiving HEI's own record states
 * them. The canonical mobility has one `start`/`end` pair, planned until the mobility is under way:
 * the arrival is `start` once the status is `live` or `recognized`, the departure `end` once the
 * student has arrived and that day is past (or the mobility is `recognized`). A partner's nomination
 * kept here (a copy) carries the sending HEI's planned dates only: never actual ones.
 */
export function actualDates(m: Rec, today: string): { arrival: string | undefined; departure: string | undefined } {
  const s = m.data.status;
  if (s !== 'live' && s !== 'recognized') return { arrival: undefined, departure: undefined };
  const arrival = day(m.data.start);
  const end = day(m.data.end);
  return { arrival, departure: arrival && end && (s === 'recognized' || end < today) ? end : undefined };
}

/**
 * The HEI's incoming mobilities with this omobility id whose sending HEI the caller covers, one per
 * sending HEI: the HEI's own record (its study system registered the student) first, else the
 * nomination received from the sending HEI (`omobility/<sending>/<id>`).
 */
export async function incomingById(node: EwpServices, hei: EwpHei, callerHeis: readonly string[], omobilityId: string): Promise<Rec[]> {
  const own = await mobilitiesById(node, hei, omobilityId, 'receiving');
  const copies = (await node.copies('mobility-period', hei, ['omobilityId', omobilityId])).filter(
    (c) => c.data.receivingInstitution === hei.id && c.sourceId === copyIds.mobility(String(c.data.sendingInstitution), omobilityId),
  );
  const bySending = new Map<string, Rec>();
  for (const m of [...own, ...copies]) {
    const sending = String(m.data.sendingInstitution);
    if (sending === hei.id || !callerHeis.includes(sending) || bySending.has(sending)) continue;
    bySending.set(sending, m);
  }
  return [...bySending.values()];
}

/** The fields of the mobility an Incoming Mobilities answer carries (the disclosure log). */
const IMOBILITY_FIELDS = ['omobilityId', 'start', 'end'] as const;

/**
 * Incoming Mobilities 2 get: `omobility_id` (repeatable, required, at most maxIds) is the only v2
 * parameter; the caller must cover the mobility's sending HEI (others are left out, as unknown ids
 * are). A `receiving_hei_id` (the v1 parameter) naming another HEI than this host's is a 400.
 */
async function get(ctx: EwpContext): Promise<XmlElement> {
  const receiving = ctx.params.one('receiving_hei_id');
  if (receiving !== undefined && receiving !== ctx.hei.id) throw new EwpRequestError(`receiving_hei_id ${receiving} is not covered by this host (Incoming Mobilities 2 takes omobility_id only)`);
  const ids = ctx.params.ids('omobility_id', ctx.node.settings.maxIds);
  const today = new Date().toISOString().slice(0, 10);
  const out: XmlElement[] = [];
  for (const id of ids) {
    for (const m of await incomingById(ctx.node, ctx.hei, ctx.caller.heis, id)) {
      const { arrival, departure } = actualDates(m, today);
      if (arrival) disclose(ctx, String(m.data.sendingInstitution), m, IMOBILITY_FIELDS);
      out.push(el('student-mobility', {}, el('omobility-id', {}, id), opt('actual-arrival-date', arrival), opt('actual-departure-date', departure)));
    }
  }
  return el('imobilities-get-response', { xmlns: NS.imobilitiesGet }, out);
}

export const imobilityEndpoints: Endpoint[] = [{ path: 'imobilities/get', methods: ['GET', 'POST'], handle: get }];
