import type { InboxKind } from '../cnr/types.ts';
import type { Endpoint, EwpContext } from '../endpoint.ts';
import { EwpRequestError } from '../../core/errors.ts';
import { el, type XmlElement } from '../xml/build.ts';
import { NS } from '../xml/ns.ts';

/**
 * Change notification receivers. The answer is 200 as soon as the request is understood, even
 * for unknown ids: the re-fetch runs in the background (CnrInbox), never inside the request.
 * A notified id must be an EWP identifier (1 to 64 printable ASCII characters), else 400: nothing
 * a partner invents is queued, stored or logged beyond that length.
 */
function receiver(path: string, api: string, root: string, ns: string, kind: InboxKind, read: (ctx: EwpContext) => { partners: string[]; ids: string[] }): Endpoint {
  return {
    path,
    methods: ['POST'],
    async handle(ctx): Promise<XmlElement> {
      const { partners, ids } = read(ctx);
      ctx.node.metrics.cnrReceived.inc({ api });
      for (const partner of partners) for (const id of ids) await ctx.node.inbox.enqueue(ctx.hei.id, partner, kind, id);
      return el(root, { xmlns: ns });
    },
  };
}

const max = (ctx: EwpContext) => ctx.node.settings.maxIds;

export const cnrEndpoints: Endpoint[] = [
  receiver('iia-cnr', 'iia-cnr', 'iia-cnr-response', NS.iiaCnr, 'iia', (ctx) => ({ partners: ctx.caller.heis, ids: [ctx.params.identifier('iia_id')] })),
  receiver('iia-approval-cnr', 'iia-approval-cnr', 'iia-approval-cnr-response', NS.iiaApprovalCnr, 'iia-approval', (ctx) => ({ partners: ctx.caller.heis, ids: [ctx.params.identifier('iia_id')] })),
  receiver('omobility-cnr', 'omobility-cnr', 'omobility-cnr-response', NS.omobilityCnr, 'omobility', (ctx) => ({ partners: ctx.caller.heis, ids: ctx.params.identifiers('omobility_id', max(ctx)) })),
  receiver('omobility-la-cnr', 'omobility-la-cnr', 'omobility-la-cnr-response', NS.laCnr, 'la', (ctx) => {
    const sending = ctx.params.required('sending_hei_id');
    if (!ctx.caller.heis.includes(sending)) throw new EwpRequestError(`sending_hei_id ${sending} is not covered by the caller's key`);
    return { partners: [sending], ids: ctx.params.identifiers('omobility_id', max(ctx)) };
  }),
  // ToR CNR 2: `omobility_id` only; the receiving HEI is the caller (its key's HEIs).
  receiver('imobility-tor-cnr', 'imobility-tor-cnr', 'imobility-tor-cnr-response', NS.torCnr, 'tor', (ctx) => ({ partners: ctx.caller.heis, ids: ctx.params.identifiers('omobility_id', max(ctx)) })),
  // Incoming Mobility CNR 2: `omobility_id` only; the receiving HEI is the caller (its key's HEIs).
  receiver('imobility-cnr', 'imobility-cnr', 'imobility-cnr-response', NS.imobilityCnr, 'imobility', (ctx) => ({ partners: ctx.caller.heis, ids: ctx.params.identifiers('omobility_id', max(ctx)) })),
];
