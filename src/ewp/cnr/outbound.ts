import { SinkError, SinkRejectedError } from '../../core/errors.ts';
import type { ChangeEvent, JsonObject } from '../../core/types.ts';
import { approvalState, partnersOf } from '../apis/iias.ts';
import { torItems } from '../apis/tors.ts';
import { arr, obj, str, type Rec } from '../data.ts';
import type { EwpServices } from '../services.ts';
import type { EwpHei } from '../settings.ts';
import { el, toXml, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';
import { childText, children } from '../xml/parse.ts';
import { fetchPartnerIias, storeIiaCopy } from './fetch.ts';
import type { CnrTarget } from './types.ts';

/** What a local change means for partners: CNRs to queue, and calls to make now. */
export type OutboundAction =
  | { kind: 'cnr'; target: CnrTarget }
  | { kind: 'iia-approve'; from: string; to: string; ownIiaId: string; partnerIiaId: string; approvedAt: string; expectedHash: string | undefined }
  | { kind: 'la-update'; from: string; to: string; omobilityId: string; changesId: string; approve: boolean; signature: JsonObject; comment: string | undefined };

/** The Outgoing Mobility LAs 1 update request the receiving HEI sends for its decision on a changes proposal. */
export function laUpdateRequest(a: Extract<OutboundAction, { kind: 'la-update' }>): XmlElement {
  const sig = a.signature;
  const signature = el(
    'signature',
    {},
    el('la:signer-name', {}, String(sig.name)),
    sig.position ? el('la:signer-position', {}, String(sig.position)) : undefined,
    sig.email ? el('la:signer-email', {}, String(sig.email)) : undefined,
    el('la:timestamp', {}, String(sig.timestamp)),
  );
  return el(
    'omobility-las-update-request',
    { xmlns: NS.lasUpdateReq, 'xmlns:la': NS.lasGet },
    el('sending-hei-id', {}, a.to),
    a.approve
      ? el('approve-proposal-v1', {}, el('omobility-id', {}, a.omobilityId), el('changes-proposal-id', {}, a.changesId), signature)
      : el('comment-proposal-v1', {}, el('omobility-id', {}, a.omobilityId), el('changes-proposal-id', {}, a.changesId), el('comment', {}, a.comment ?? 'rejected'), signature),
  );
}

/**
 * The EWP consequences of a committed change of a represented HEI, for the `ewp-cnr` sink:
 *
 * - an own IIA: an iia CNR to the partner; with the HEI's own entry in approvals, the approval of
 *   the partner's (mapped) copy, checked by hash, and an iia-approval CNR;
 * - a learning agreement of a mobility the HEI sends: an LA CNR to the receiving HEI; one the HEI
 *   receives, approved or rejected by its own system: the LA update call to the sending HEI;
 * - a mobility the HEI sends: an omobility CNR; its own record of a mobility it receives: an
 *   IMobility CNR to the sending HEI; a result of an incoming student: a ToR CNR.
 */
export class Outbound {
  constructor(private readonly node: EwpServices) {}

  private hei(event: ChangeEvent): EwpHei | undefined {
    return this.node.settings.heis.get(event.institution);
  }

  private isCopy(hei: EwpHei, event: ChangeEvent): boolean {
    const src = this.node.deps.config.sources.find((s) => s.id === event.source);
    return (src?.system ?? src?.id) === hei.sourceSystem;
  }

  async plan(event: ChangeEvent): Promise<OutboundAction[]> {
    const hei = this.hei(event);
    if (hei && event.op === 'delete') return this.planDeletion(hei, event);
    const d = event.record;
    if (!hei || !d || event.op !== 'upsert') return [];
    const cnr = (api: CnrTarget['api'], to: string, objectId: string, extra?: [string, string][]): OutboundAction => ({
      kind: 'cnr',
      target: { api, from: hei.id, to, objectId, ...(extra ? { extra } : {}) },
    });
    const copy = this.isCopy(hei, event);
    switch (event.entity) {
      case 'inter-institutional-agreement': {
        if (copy) return [];
        const out: OutboundAction[] = [];
        for (const p of arr(d.partners).filter((x) => x.heiId !== hei.id)) {
          out.push(cnr('iiaCnr', String(p.heiId), String(d.iiaId)));
          const mine = arr(d.approvals).find((a) => a.heiId === hei.id);
          if (mine && str(p.iiaId)) {
            out.push({
              kind: 'iia-approve',
              from: hei.id,
              to: String(p.heiId),
              ownIiaId: String(d.iiaId),
              partnerIiaId: String(p.iiaId),
              approvedAt: String(mine.approvedAt),
              expectedHash: str(mine.iiaHash),
            });
          }
        }
        return out;
      }
      case 'learning-agreement': {
        const id = String(d.omobilityId);
        const sent = (await this.node.own('mobility-period', hei, ['omobilityId', id])).find((m) => m.data.sendingInstitution === hei.id);
        if (sent) return [cnr('omobilityLaCnr', String(sent.data.receivingInstitution), id, [['sending_hei_id', hei.id]])];
        if (copy || (d.status !== 'approved' && d.status !== 'rejected')) return [];
        const sending = await this.sendingHeiOf(hei, id);
        if (!sending) throw new SinkRejectedError(`no mobility ${id} received by ${hei.id} is known: cannot tell which HEI to send the LA decision to`);
        const sig = obj(obj(d.signatures)?.receiving);
        if (!sig) throw new SinkRejectedError(`the ${String(d.status)} learning agreement of mobility ${id} has no receiving signature`);
        return [{ kind: 'la-update', from: hei.id, to: sending, omobilityId: id, changesId: String(d.changesId), approve: d.status === 'approved', signature: sig, comment: str(d.rejectionComment) }];
      }
      case 'mobility-period':
        // A partner's view of our mobility (imobility/…) is its news, not ours: nothing to announce.
        if (copy && String(d.sourceId ?? '').startsWith('imobility/')) return [];
        if (d.sendingInstitution === hei.id && d.receivingInstitution !== hei.id) return [cnr('omobilityCnr', String(d.receivingInstitution), String(d.omobilityId))];
        // The HEI's own record of an incoming student (arrival, departure): the sending HEI's IMobility changed.
        if (!copy && d.receivingInstitution === hei.id && d.sendingInstitution !== hei.id) return [cnr('imobilityCnr', String(d.sendingInstitution), String(d.omobilityId))];
        return [];
      case 'attainment':
        return copy ? [] : (await this.torMobilities(hei, event)).map((m) => cnr('imobilityTorCnr', String(m.data.sendingInstitution), String(m.data.omobilityId)));
      default:
        return [];
    }
  }

  /**
   * A deleted own IIA (IIAs 7: "MUST NOT be exposed … and an IIA CNR MUST be sent"): the store no longer
   * serves it, and each partner gets an iia CNR, after which its fetch finds the IIA gone. The delete
   * event carries no record: the IIA's id and partners come from the deleted record, whose last data
   * the store keeps. The spec lets only an IIA that is not mutually approved be deleted (an approved
   * one is terminated by a modification): deleting one is announced all the same, with a warning.
   * Other deletions (a mobility is cancelled by its status, not deleted) tell partners nothing.
   */
  private async planDeletion(hei: EwpHei, event: ChangeEvent): Promise<OutboundAction[]> {
    if (event.entity !== 'inter-institutional-agreement' || this.isCopy(hei, event)) return [];
    const rec = await this.node.reader.byId(event.recordId, { withDeleted: true });
    // Written again since: the upsert's own event announces it.
    if (!rec?.deleted) return [];
    const iiaId = str(rec.data.iiaId);
    if (!iiaId) return [];
    const state = await approvalState(this.node, hei, rec);
    if (state.local && state.partner)
      this.node.logger.warn(
        { hei: hei.id, iiaId },
        'a mutually approved IIA was deleted; IIAs 7 lets only unapproved IIAs be deleted (terminate an approved one by a modification). Partners are told.',
      );
    return partnersOf(rec, hei.id).map((p): OutboundAction => ({ kind: 'cnr', target: { api: 'iiaCnr', from: hei.id, to: p, objectId: iiaId } }));
  }

  private async sendingHeiOf(hei: EwpHei, omobilityId: string): Promise<string | undefined> {
    const all = [...(await this.node.copies('mobility-period', hei, ['omobilityId', omobilityId])), ...(await this.node.own('mobility-period', hei, ['omobilityId', omobilityId]))];
    return str(all.find((m) => m.data.receivingInstitution === hei.id)?.data.sendingInstitution);
  }

  /** Incoming mobilities whose ToR includes this attainment (looked up by the attainment's person). */
  private async torMobilities(hei: EwpHei, event: ChangeEvent): Promise<Rec[]> {
    const attainment = await this.node.reader.byId(event.recordId);
    if (!attainment) return [];
    const person = await this.node.reader.resolve(attainment, 'person', attainment.data.person);
    if (!person) return [];
    const incoming = (await this.node.own('mobility-period', hei, ['receivingInstitution', hei.id])).filter((m) => m.data.sendingInstitution !== hei.id);
    const out: Rec[] = [];
    for (const m of incoming) {
      if ((await this.node.reader.resolve(m, 'person', m.data.person))?.id !== person.id) continue;
      if ((await torItems(this.node, hei, m)).items.some((i) => i.attainment.id === attainment.id)) out.push(m);
    }
    return out;
  }

  /** Runs a non-CNR action (approval, LA update); errors are the sink's (retry or dead-letter). */
  async execute(a: Exclude<OutboundAction, { kind: 'cnr' }>, windowMs: number): Promise<string> {
    const hei = this.node.settings.heis.get(a.from)!;
    if (a.kind === 'iia-approve') {
      const got = (await fetchPartnerIias(this.node, hei, a.to, [a.partnerIiaId]))[0];
      if (!got) throw new SinkError(`${a.to} does not serve IIA ${a.partnerIiaId} (yet)`);
      if (!got.hashOk) throw new SinkRejectedError(`${a.to}'s IIA ${a.partnerIiaId} carries an iia-hash that is not its hash; not approved`);
      if (!got.validForApproval) throw new SinkRejectedError(`${a.to}'s IIA ${a.partnerIiaId} is not valid for approval (not-yet-defined or v6 values)`);
      const mapped = children(got.iia, 'partner').some((p) => childText(p, 'hei-id') === a.from && childText(p, 'iia-id') === a.ownIiaId);
      if (!mapped) throw new SinkError(`${a.to}'s IIA ${a.partnerIiaId} does not name our IIA ${a.ownIiaId} yet (not mapped); approval waits`);
      if (a.expectedHash && a.expectedHash !== got.hash) throw new SinkRejectedError(`${a.to}'s IIA ${a.partnerIiaId} changed since it was approved (hash ${got.hash}); approve the current version`);
      await storeIiaCopy(this.node, hei, a.to, got.iia, got.hash, { heiId: a.from, approvedAt: a.approvedAt, iiaHash: got.hash });
      await this.node.sender.enqueue({ api: 'iiaApprovalCnr', from: a.from, to: a.to, objectId: a.partnerIiaId }, windowMs);
      return `approved ${a.to} IIA ${a.partnerIiaId} (hash ${got.hash})`;
    }
    await this.node.client.call({ from: a.from, to: a.to, api: 'omobilityLas', urlElement: 'update-url', xmlBody: toXml(laUpdateRequest(a)) });
    return `${a.approve ? 'approved' : 'commented'} LA proposal ${a.changesId} of mobility ${a.omobilityId} at ${a.to}`;
  }

  /** Everything a change means for partners: CNRs queued (batched by the sender), other calls made now. */
  async handle(event: ChangeEvent, windowMs: number): Promise<string> {
    const done: string[] = [];
    for (const a of await this.plan(event)) {
      if (a.kind === 'cnr') {
        await this.node.sender.enqueue(a.target, windowMs);
        done.push(`${a.target.api} to ${a.target.to} queued`);
      } else done.push(await this.execute(a, windowMs));
    }
    return done.length ? done.join('; ') : 'nothing for EWP partners';
  }
}
