import type { JsonObject } from '../../core/types.ts';
import { arr, identifier, obj, str, type Rec } from '../data.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';

/** ISO/IEC 5218 codes EWP uses for the canonical gender. */
export const GENDER_CODE: Record<string, string> = { 'not-known': '0', male: '1', female: '2', 'not-applicable': '9' };
export const GENDER_OF_CODE: Record<string, string> = { '0': 'not-known', '1': 'male', '2': 'female', '9': 'not-applicable' };

/** The mobility's person record (the student), resolved from its reference. */
export function personOf(node: EwpServices, mobility: Rec): Promise<Rec | undefined> {
  return node.reader.resolve(mobility, 'person', mobility.data.person);
}

/** The European Student Identifier of a person (EWP global-id). */
export function esiOf(person: Rec | undefined): string | undefined {
  return person ? identifier(person.data, 'esi') : undefined;
}

/**
 * A reference that stays valid when copied into another source system: the hub id of the
 * target when the hub holds it, the original reference otherwise.
 */
export async function portableRef(node: EwpServices, from: Rec, entity: string, ref: unknown): Promise<JsonObject> {
  const target = await node.reader.resolve(from, entity, ref);
  return target ? { id: target.id } : { ...(obj(ref) ?? {}) };
}

/** Canonical record data without the hub's fields, ready to be written again through another source. */
export function asInput(data: JsonObject, sourceId: string): JsonObject {
  const { id: _id, version: _v, institution: _i, sourceUpdatedAt: _s, ...rest } = data;
  return { ...rest, sourceId };
}

/** Own mobility records of a HEI with this omobility id (outgoing: the HEI sends; incoming: it receives). */
export async function mobilitiesById(node: EwpServices, hei: EwpHei, omobilityId: string, role: 'sending' | 'receiving'): Promise<Rec[]> {
  const all = await node.own('mobility-period', hei, ['omobilityId', omobilityId]);
  return all.filter((m) => (role === 'sending' ? m.data.sendingInstitution === hei.id : m.data.receivingInstitution === hei.id));
}

/** Contact (name split into given and family names) of a HEI for a mobility: the IIA partner contact, else a signer. */
export async function contactFor(
  node: EwpServices,
  hei: EwpHei,
  mobility: Rec,
  partnerHei: string,
  fallback: JsonObject | undefined,
): Promise<{ given: string; family: string; email: string } | undefined> {
  let c: JsonObject | undefined;
  const iiaId = str(mobility.data.iiaId);
  if (iiaId) {
    const iias = [...(await node.own('inter-institutional-agreement', hei, ['iiaId', iiaId])), ...(await node.copies('inter-institutional-agreement', hei))];
    for (const i of iias) {
      const p = arr(i.data.partners).find((x) => x.heiId === partnerHei && obj(x.contact) && str(obj(x.contact)!.email));
      if (p) {
        c = obj(p.contact);
        break;
      }
    }
  }
  if (!c && fallback && str(fallback.email)) c = fallback;
  if (!c || !str(c.name) || !str(c.email)) return undefined;
  const parts = String(c.name).trim().split(/\s+/);
  const family = parts.length > 1 ? parts.pop()! : parts[0]!;
  return { given: parts.join(' ') || family, family, email: String(c.email) };
}
