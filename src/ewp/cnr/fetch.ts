import type { JsonObject } from '../../core/types.ts';
import { isHubError, MalformedInputError } from '../../core/errors.ts';
import { iiaElement } from '../apis/iia-xml.ts';
import { ownIias } from '../apis/iias.ts';
import { asInput, mobilitiesById, portableRef } from '../apis/mobility.ts';
import { attainmentsFromTor } from '../client/parse-tor.ts';
import { iiaCopyId, iiaFromXml } from '../client/parse-iia.ts';
import { mobilityFromNomination, mobilityFromXml } from '../client/parse-mobility.ts';
import { arr, str } from '../data.ts';
import { iiaHashes } from '../iia-hash.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { NS } from '../xml/ns.ts';
import { childText, children, type XElem } from '../xml/parse.ts';

/**
 * Re-fetching what a partner announced (CNR) and writing it through the HEI's EWP source. Each
 * function is idempotent: the same partner state written twice is an `unchanged` message.
 */

/** Stores a partner's IIA copy, keeping the approvals already recorded on it (and adding one). */
export async function storeIiaCopy(node: EwpServices, hei: EwpHei, partner: string, iia: XElem, hash: string, approval?: JsonObject): Promise<JsonObject | undefined> {
  const copy = iiaFromXml(iia);
  if (!copy) return undefined;
  const owner = String(arr(copy.partners)[0]?.heiId);
  if (owner !== partner) {
    node.logger.warn({ hei: hei.id, partner, owner }, 'a partner served an IIA whose first partner is another HEI; ignored');
    return undefined;
  }
  const sourceId = iiaCopyId(partner, String(copy.iiaId));
  const prev = (await node.copies('inter-institutional-agreement', hei)).find((r) => r.sourceId === sourceId);
  let approvals = arr(prev?.data.approvals);
  if (approval) {
    const same = approvals.find((a) => a.heiId === approval.heiId && a.iiaHash === approval.iiaHash);
    if (!same) approvals = [...approvals.filter((a) => a.heiId !== approval.heiId), approval];
  }
  const record = { ...copy, sourceId, ...(approvals.length ? { approvals } : {}) };
  await node.ingest(hei, 'inter-institutional-agreement', [record]);
  node.logger.debug({ hei: hei.id, partner, iiaId: copy.iiaId, hash }, 'stored a partner IIA');
  return record;
}

/** Fetches a partner's IIAs (IIAs 7 get), checks each served hash against the XSLT's, returns them. */
export async function fetchPartnerIias(node: EwpServices, hei: EwpHei, partner: string, iiaIds: string[]): Promise<{ iia: XElem; hash: string; validForApproval: boolean; hashOk: boolean }[]> {
  const { root } = await node.client.call({ from: hei.id, to: partner, api: 'iias', urlElement: 'get-url', params: iiaIds.map((id) => ['iia_id', id]), expect: ['iias-get-response', NS.iiasGet] });
  const hashes = iiaHashes(root);
  return children(root, 'iia').map((iia, i) => {
    const h = hashes[i]!;
    const served = childText(iia, 'iia-hash');
    if (served !== h.hash) {
      node.logger.warn({ hei: hei.id, partner, iiaId: h.iiaId }, 'the iia-hash a partner serves is not the hash of its IIA (XSLT v7)');
      // A 200 whose data is wrong is a failure the Monitoring API wants to hear of too.
      node.monitoring.report({
        from: hei.id,
        to: partner,
        api: 'iias',
        urlElement: 'get-url',
        httpCode: 200,
        clientMessage: `the iia-hash served for IIA ${h.iiaId ?? '(no id)'} is not the hash of the IIA computed as in transform_version_7.xsl`,
        code: 'IIA_HASH_MISMATCH',
        notInCatalogue: false,
      });
    }
    return { iia, hash: h.hash, validForApproval: h.validForApproval, hashOk: served === h.hash };
  });
}

/**
 * iia CNR: the partner's IIA changed; store its copy. An IIA the partner announced and no longer serves
 * was deleted (IIAs 7: a deleted IIA is not exposed, and its deletion is announced by an iia CNR): our copy
 * is deleted through the pipeline, so the trail and the feeds show it, and our own IIA is served unmapped
 * from it (the partner's iia-id left out, as the get-response XSD requires once the partner deleted it).
 */
export async function refreshIia(node: EwpServices, hei: EwpHei, partner: string, partnerIiaId: string): Promise<void> {
  const got = await fetchPartnerIias(node, hei, partner, [partnerIiaId]);
  if (!got.length) {
    const sourceId = iiaCopyId(partner, partnerIiaId);
    const held = (await node.reader.list('inter-institutional-agreement', hei.id, { system: hei.sourceSystem, sourceId })).length > 0;
    if (held && (await node.removeCopies(hei, 'inter-institutional-agreement', [sourceId])))
      node.logger.info({ hei: hei.id, partner, iiaId: partnerIiaId }, 'the partner deleted its IIA; our copy is deleted');
    else node.logger.info({ hei: hei.id, partner, iiaId: partnerIiaId }, 'the partner does not serve the IIA it announced, and no copy of it is held here');
    return;
  }
  for (const g of got) await storeIiaCopy(node, hei, partner, g.iia, g.hash);
}

/**
 * iia-approval CNR: the partner approved our IIA. Asks its Approval API for the hash it
 * approved and records it on our copy of the partner's (mapped) IIA, as approvals[{heiId: partner}].
 */
export async function refreshIiaApproval(node: EwpServices, hei: EwpHei, partner: string, ownIiaId: string): Promise<void> {
  const own = (await ownIias(node, hei, ['iiaId', ownIiaId]))[0];
  const partnerIiaId = own ? str(arr(own.data.partners).find((p) => p.heiId === partner)?.iiaId) : undefined;
  if (!own || !partnerIiaId) {
    node.logger.info({ hei: hei.id, partner, iiaId: ownIiaId }, 'an approval CNR for an IIA we do not hold mapped to the partner; ignored');
    return;
  }
  const { root } = await node.client.call({ from: hei.id, to: partner, api: 'iiasApproval', urlElement: 'url', params: [['iia_id', ownIiaId]], expect: ['iias-approval-response', NS.iiasApproval] });
  const approval = children(root, 'approval').find((a) => childText(a, 'iia-id') === ownIiaId);
  const approvedHash = approval ? childText(approval, 'iia-hash') : undefined;
  if (!approvedHash) return;
  const current = iiaElement(hei.id, own.data)?.hash;
  if (approvedHash !== current) node.logger.warn({ hei: hei.id, partner, iiaId: ownIiaId }, 'the partner approved another version of our IIA than the current one');
  const got = await fetchPartnerIias(node, hei, partner, [partnerIiaId]);
  for (const g of got) await storeIiaCopy(node, hei, partner, g.iia, g.hash, { heiId: partner, approvedAt: new Date().toISOString(), iiaHash: approvedHash });
}

/** omobility or LA CNR: the sending partner's mobility or its LA changed; store person, mobility and LA versions. */
export async function refreshMobility(node: EwpServices, hei: EwpHei, partner: string, omobilityId: string): Promise<void> {
  const las = await node.client.call({
    from: hei.id,
    to: partner,
    api: 'omobilityLas',
    urlElement: 'get-url',
    params: [
      ['sending_hei_id', partner],
      ['omobility_id', omobilityId],
    ],
    expect: ['omobility-las-get-response', NS.lasGet],
  });
  const la = children(las.root, 'la').find((x) => childText(x, 'omobility-id') === omobilityId);
  let nomination: XElem | undefined;
  try {
    const om = await node.client.call({
      from: hei.id,
      to: partner,
      api: 'omobilities',
      urlElement: 'get-url',
      params: [['omobility_id', omobilityId]],
      expect: ['omobilities-get-response', NS.omobilitiesGet],
    });
    nomination = children(om.root, 'student-mobility').find((x) => childText(x, 'omobility-id') === omobilityId);
  } catch (e) {
    if (!isHubError(e) || e.retryable) throw e;
    // A partner without Outgoing Mobilities 3 still has the LA; go on with it.
  }
  if (!la && !nomination) {
    node.logger.info({ hei: hei.id, partner, omobilityId }, 'the partner serves neither a nomination nor a learning agreement for the mobility it announced; nothing stored');
    return;
  }
  // A nomination comes before its learning agreement: kept as an incoming mobility with its status.
  const copy = la ? mobilityFromXml(la, nomination) : mobilityFromNomination(nomination!);
  if (!copy) return;
  if (copy.person) await node.ingest(hei, 'person', [copy.person]);
  await node.ingest(hei, 'mobility-period', [copy.mobility]);
  await node.ingest(hei, 'learning-agreement', copy.las);
}

/** ToR CNR: the receiving partner's transcript for our outgoing mobility changed; store the results. */
export async function refreshTor(node: EwpServices, hei: EwpHei, partner: string, omobilityId: string): Promise<void> {
  const m = (await mobilitiesById(node, hei, omobilityId, 'sending')).find((x) => x.data.receivingInstitution === partner);
  if (!m) {
    node.logger.info({ hei: hei.id, partner, omobilityId }, 'a ToR CNR for a mobility we do not send to that partner; ignored');
    return;
  }
  const { root } = await node.client.call({
    from: hei.id,
    to: partner,
    api: 'imobilityTors',
    urlElement: 'get-url',
    params: [['omobility_id', omobilityId]],
    expect: ['imobility-tors-get-response', NS.torsGet],
  });
  const person = await portableRef(node, m, 'person', m.data.person);
  for (const tor of children(root, 'tor').filter((t) => childText(t, 'omobility-id') === omobilityId)) {
    await node.ingest(hei, 'attainment', attainmentsFromTor(tor, { partner, omobilityId, person, mobility: { id: m.id } }));
  }
}

/** Source id of a receiving partner's view of our outgoing mobility (Incoming Mobilities 2), kept at the sending HEI. */
export const imobilityCopyId = (receiving: string, omobilityId: string) => `imobility/${receiving}/${omobilityId}`;

const XS_DATE = /^\d{4}-\d{2}-\d{2}(Z|[+-]\d{2}:\d{2})?$/;

/**
 * IMobility CNR: the receiving partner's part of our outgoing mobility changed. Incoming Mobilities 2
 * states only the student's actual arrival and departure; they are kept as the partner's view, a
 * mobility-period record `imobility/<receiving>/<id>` written through the HEI's EWP source: the mobility
 * as the HEI sends it, with `start`/`end` the partner's actual dates (left out while it states none) and
 * status `live` once the student arrived. The HEI's own record is never changed by a partner.
 */
export async function refreshImobility(node: EwpServices, hei: EwpHei, partner: string, omobilityId: string): Promise<void> {
  const m = (await mobilitiesById(node, hei, omobilityId, 'sending')).find((x) => x.data.receivingInstitution === partner);
  if (!m) {
    node.logger.info({ hei: hei.id, partner, omobilityId }, 'an IMobility CNR for a mobility we do not send to that partner; ignored');
    return;
  }
  const { root } = await node.client.call({
    from: hei.id,
    to: partner,
    api: 'imobilities',
    urlElement: 'get-url',
    params: [['omobility_id', omobilityId]],
    expect: ['imobilities-get-response', NS.imobilitiesGet],
  });
  const sm = children(root, 'student-mobility', NS.imobilitiesGet).find((x) => childText(x, 'omobility-id', NS.imobilitiesGet) === omobilityId);
  if (!sm) {
    node.logger.info({ hei: hei.id, partner, omobilityId }, 'the partner does not serve the incoming mobility it announced; nothing stored');
    return;
  }
  const date = (name: string) => {
    const v = childText(sm, name, NS.imobilitiesGet);
    if (v !== undefined && !XS_DATE.test(v)) throw new MalformedInputError(`${partner} imobilities get: ${name} is not an xs:date`);
    return v?.slice(0, 10);
  };
  const arrival = date('actual-arrival-date');
  const departure = date('actual-departure-date');
  const { start: _start, end: _end, ...rest } = asInput(m.data, imobilityCopyId(partner, omobilityId));
  const record: JsonObject = {
    ...rest,
    ...(arrival ? { start: arrival } : {}),
    ...(departure ? { end: departure } : {}),
    ...(arrival && m.data.status !== 'live' && m.data.status !== 'recognized' ? { status: 'live' } : {}),
    person: await portableRef(node, m, 'person', m.data.person),
  };
  if (record.studyRight) record.studyRight = await portableRef(node, m, 'study-right', m.data.studyRight);
  const { rejected } = await node.ingest(hei, 'mobility-period', [record]);
  if (rejected.length) throw new MalformedInputError(`${partner}'s view of mobility ${omobilityId} could not be stored: ${rejected.join('; ')}`);
}
