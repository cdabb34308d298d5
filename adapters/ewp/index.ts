import type { AdapterContext, DeliveryContext, DeliveryReceipt, Sink, SinkType } from '../../src/core/adapter.ts';
import { SinkError } from '../../src/core/errors.ts';
import type { ChangeEvent } from '../../src/core/types.ts';

/** The hub's EWP node side this sink drives (attached by the node at start; see src/ewp/node.ts). */
export interface EwpOutboundPort {
  handle(event: ChangeEvent, batchWindowMs: number): Promise<string>;
}

export const DEFAULT_BATCH_WINDOW_MS = 60_000;

/**
 * Tells EWP partners about committed changes of the represented HEIs: queues change
 * notifications (CNRs) in the EWP node's persistent sender, which batches them for at most
 * `batchWindowMs`, and makes the calls a local decision implies (an IIA approval, an LA
 * approval or comment). The route gives the broker's durability and the retry with backoff of
 * those calls; the sender retries the CNRs themselves.
 */
export class EwpCnrSink implements Sink {
  private outbound: EwpOutboundPort | undefined;

  constructor(private readonly batchWindowMs: number) {}

  /** Called by the EWP node when the hub starts (duck-typed, like a register's reconcile view). */
  attachEwp(outbound: EwpOutboundPort): void {
    this.outbound = outbound;
  }

  async deliver(event: ChangeEvent, _ctx: DeliveryContext): Promise<DeliveryReceipt> {
    if (!this.outbound) throw new SinkError('the EWP node is not running in this process (is the ewp section configured?)');
    return { detail: await this.outbound.handle(event, this.batchWindowMs) };
  }
}

/** The sink's options, default filled in. */
export type EwpCnrOptions = { batchWindowMs: number };

export const ewpCnrSink: SinkType<EwpCnrOptions> = {
  type: 'ewp-cnr',
  description: 'EWP partners: change notifications (CNRs, batched and retried by the EWP node) and the IIA / LA approvals a local change implies (adapters/ewp/README.md).',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    properties: {
      batchWindowMs: {
        type: 'integer',
        minimum: 0,
        maximum: 300_000,
        default: DEFAULT_BATCH_WINDOW_MS,
        description: 'How long a CNR waits for more changes to the same partner before it is sent (the spec allows at most 5 minutes).',
      },
    },
  },
  create(o: EwpCnrOptions, _ctx: AdapterContext): Sink {
    return new EwpCnrSink(o.batchWindowMs);
  },
};
