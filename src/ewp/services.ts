import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import type { PartnerFailures } from './cnr/partner-failures.ts';
import type { JsonObject } from '../core/types.ts';
import type { EwpClient, FailedCall } from './client/http.ts';
import type { CnrTarget, InboxKind } from './cnr/types.ts';
import type { Rec, EwpRecords } from './data.ts';
import type { EwpDeps } from './deps.ts';
import type { Factsheet } from './factsheet-file.ts';
import type { RegistryClient } from './registry/client.ts';
import type { EwpKey } from './security/keys.ts';
import type { ReplayCache } from './security/replay.ts';
import type { EwpHei, EwpSettings } from './settings.ts';

/**
 * What the parts of the EWP node (endpoints, manifest, CNR inbox, sender and outbound side) use of
 * the node. `EwpNode` (node.ts) implements it; the parts depend on this interface, not on the node,
 * so node.ts, which builds the parts, is imported by none of them.
 */
export interface EwpServices {
  readonly deps: EwpDeps;
  readonly logger: Logger;
  readonly settings: EwpSettings;
  readonly reader: EwpRecords;
  readonly registry: RegistryClient;
  readonly client: EwpClient;
  readonly replay: ReplayCache;
  readonly serverKey: EwpKey;
  readonly metrics: { readonly authFailures: Counter; readonly cnrSent: Counter; readonly cnrReceived: Counter; readonly partnerFailures: Counter; readonly monitoringReports: Counter };
  /** Failed partner calls reported to the EWP Stats Portal (Monitoring API 0.2, client/monitoring.ts). */
  readonly monitoring: { report(f: FailedCall): void };
  /** Failed calls to partners: counted, logged once per partner and reason (cnr/partner-failures.ts). */
  readonly partnerFailures: PartnerFailures;
  readonly factsheets: ReadonlyMap<string, Factsheet>;
  /** Received CNRs: the object is fetched again from the partner in the background. */
  readonly inbox: { enqueue(heiId: string, partner: string, kind: InboxKind, objectId: string): Promise<void> };
  /** CNRs to send, batched within the window. */
  readonly sender: { enqueue(target: CnrTarget, windowMs: number): Promise<void> };
  /** The client key of a represented HEI. */
  clientKey(heiId: string): EwpKey;
  /** Records of the HEI's own data (partner copies written by the EWP source left out). */
  own(entity: string, hei: EwpHei, field?: [string, string]): Promise<Rec[]>;
  /** Partner copies and EWP decisions that the node wrote through the HEI's EWP source. */
  copies(entity: string, hei: EwpHei, field?: [string, string]): Promise<Rec[]>;
  /** The HEI's organisation record (type institution, schac identifier = the HEI id), if any. */
  institutionRecord(hei: EwpHei): Promise<Rec | undefined>;
  /** Deletes partner copies (by source id) through the HEI's EWP source; returns how many were deleted. */
  removeCopies(hei: EwpHei, entity: string, sourceIds: string[]): Promise<number>;
  /** Writes canonical records through the HEI's EWP source; returns how many were committed and the ids of the rejected ones. */
  ingest(hei: EwpHei, entity: string, records: JsonObject[]): Promise<{ committed: number; rejected: string[] }>;
}
