import { BadRequestError, ConflictError, NotFoundError, SinkRejectedError } from '../core/errors.ts';
import { asInput } from './apis/mobility.ts';
import { copyIds, mobilityFromNomination } from './client/parse-mobility.ts';
import type { Rec } from './data.ts';
import type { EwpServices } from './services.ts';
import type { EwpHei } from './settings.ts';
import { el, opt, toXml, type XmlElement } from './xml/build.ts';
import { NS } from './xml/ns.ts';
import { attr, child, childText, children } from './xml/parse.ts';

export type NominationDecision = 'approve' | 'reject';

/** The Outgoing Mobilities 3 update request of a receiving HEI's decision on a nomination. */
export function nominationUpdateRequest(omobilityId: string, proposalId: string, decision: NominationDecision, comment: string | undefined): XmlElement {
  const action =
    decision === 'approve'
      ? el('approve-proposal-v1', {}, el('omobility-id', {}, omobilityId), el('proposal-id', {}, proposalId), opt('comment', comment))
      : el('reject-proposal-v1', {}, el('omobility-id', {}, omobilityId), el('proposal-id', {}, proposalId), el('comment', {}, comment ?? ''));
  return el('omobilities-update-request', { xmlns: NS.omobilitiesUpdateReq }, action);
}

/** The incoming mobility (a partner's nomination kept at the receiving HEI) with this omobility id. */
export async function incomingMobility(node: EwpServices, hei: EwpHei, omobilityId: string): Promise<Rec> {
  const copies = await node.copies('mobility-period', hei, ['omobilityId', omobilityId]);
  const m = copies.find((c) => c.data.receivingInstitution === hei.id && c.sourceId === copyIds.mobility(String(c.data.sendingInstitution), omobilityId));
  if (!m) throw new NotFoundError(`no incoming mobility ${omobilityId} at ${hei.id}`);
  return m;
}

/**
 * The receiving HEI approves or rejects a partner's nomination (Outgoing Mobilities 3 `update`, as a
 * client): the current nomination is read from the sending HEI (its proposal id, so a decision is never
 * about a version the admin did not see: 409 when the partner changed it meanwhile), the decision sent,
 * and the nomination read again and kept with the status the partner now shows.
 */
export async function decideNomination(node: EwpServices, hei: EwpHei, omobilityId: string, decision: NominationDecision, comment: string | undefined): Promise<Rec> {
  if (decision === 'reject' && !comment?.trim()) throw new BadRequestError('a rejection needs a comment for the sending HEI', { violations: [{ path: '/comment', message: 'required to reject' }] });
  const m = await incomingMobility(node, hei, omobilityId);
  const partner = String(m.data.sendingInstitution);
  const current = async () => {
    const { root } = await node.client.call({ from: hei.id, to: partner, api: 'omobilities', urlElement: 'get-url', params: [['omobility_id', omobilityId]] });
    const sm = children(root, 'student-mobility', NS.omobilitiesGet).find((x) => childText(x, 'omobility-id', NS.omobilitiesGet) === omobilityId);
    if (!sm) throw new NotFoundError(`${partner} no longer serves the nomination ${omobilityId}`);
    return sm;
  };
  const before = await current();
  const nomination = child(before, 'nomination', NS.omobilitiesGet);
  const proposalId = nomination ? attr(nomination, 'proposal-id') : undefined;
  if (!proposalId) throw new ConflictError(`${partner} serves the nomination ${omobilityId} without a proposal id: it cannot be decided on`);
  try {
    await node.client.call({
      from: hei.id,
      to: partner,
      api: 'omobilities',
      urlElement: 'update-url',
      xmlBody: toXml(nominationUpdateRequest(omobilityId, proposalId, decision, comment?.trim() || undefined)),
    });
  } catch (e) {
    if (e instanceof SinkRejectedError && e.extra.status === 409) throw new ConflictError(`the nomination changed at ${partner} meanwhile: reload it and decide again (${e.message})`);
    throw e;
  }
  const copy = mobilityFromNomination(await current());
  if (copy) {
    if (copy.person) await node.ingest(hei, 'person', [copy.person]);
    // What the learning agreement brought (dates, language skill) is kept: the nomination names none of it.
    await node.ingest(hei, 'mobility-period', [{ ...asInput(m.data, m.sourceId), ...copy.mobility }]);
  }
  return incomingMobility(node, hei, omobilityId);
}
