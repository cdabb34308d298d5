import type { AdapterContext, DeliveryContext, DeliveryReceipt, Sink, SinkType } from '../../src/core/adapter.ts';
import { SinkError } from '../../src/core/errors.ts';
import type { ChangeEvent } from '../../src/core/types.ts';

/** The hub's credentials module side this sink drives (attached when the hub starts; see src/credentials/service.ts). */
export interface CredentialPort {
  handle(change: { entity: string; op: string; recordId: string }): Promise<string>;
}

/**
 * Issues European Digital Credentials: a committed award becomes a sealed degree credential, an attainment
 * flagged as a micro-credential a micro-credential; a corrected one replaces (and revokes) the credential
 * issued before, a deleted one revokes it. The route gives the broker's durability, retries and dead
 * letters, and the disclosure log; the credentials module stores what it issues (docs/credentials.md).
 * An award without the data a credential needs is rejected (not retried) with the missing fields named.
 */
export class EdcSink implements Sink {
  private port: CredentialPort | undefined;

  /** Called by the credentials module when the hub starts (duck-typed, like the `ewp-cnr` sink). */
  attachCredentials(port: CredentialPort): void {
    this.port = port;
  }

  async deliver(event: ChangeEvent, _ctx: DeliveryContext): Promise<DeliveryReceipt> {
    if (!this.port) throw new SinkError('the credentials module is not running in this process');
    return { detail: await this.port.handle({ entity: event.entity, op: event.op, recordId: event.recordId }) };
  }
}

export const edcSink: SinkType<Record<string, never>> = {
  type: 'edc',
  description: 'Digital diplomas: European Digital Credentials issued, sealed and stored by the hub from awards and flagged attainments (adapters/edc/README.md).',
  optionsSchema: { type: 'object', additionalProperties: false, properties: {} },
  create(_o: Record<string, never>, _ctx: AdapterContext): Sink {
    return new EdcSink();
  },
};
