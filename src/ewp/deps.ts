import type { Ajv2020 } from 'ajv/dist/2020.js';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { HubConfig } from '../config/types.ts';
import type { Sink } from '../core/adapter.ts';
import type { JsonObject } from '../core/types.ts';
import type { RecordResult } from '../pipeline/pipeline.ts';
import type { Privacy } from '../privacy/service.ts';
import type { SqlDb } from '../store/sql.ts';

/**
 * What the EWP node uses of the rest of the hub, handed in by the composition root (src/hub.ts).
 * The node never sees the `Hub`: src/ewp depends on these few parts, and nothing in them on src/ewp.
 */
export interface EwpDeps {
  /** The validated configuration: the `ewp` section, the sources (partner data is written through the HEI's EWP source), the sinks (`ewp-cnr`). */
  readonly config: HubConfig;
  /** HUB_DATA_DIR: the node keeps its keys and the registry cache below it unless the config says otherwise. */
  readonly dataDir: string;
  readonly logger: Logger;
  /** The store's SQL access: the node's own tables (replay cache, CNR inbox and outbox) and the canonical records it serves. */
  readonly sql: SqlDb;
  /** The JSON Schema compiler of the canonical schemas (factsheet files are checked with it at start). */
  readonly ajv: Ajv2020;
  /** Where the node registers its counters. */
  readonly metrics: Registry;
  /** The disclosure log: what an EWP response hands to a partner is logged before it leaves. */
  readonly privacy: Privacy;
  /** Writes canonical records through a source (the pipeline's ingest, as JSON): stored, validated, committed or rejected. */
  ingest(sourceId: string, entity: string, records: JsonObject[]): Promise<RecordResult[]>;
  /** Deletes records of a source by their source ids through the pipeline (Pipeline.remove): each a message, a commit with op delete, a delete change event. */
  remove(sourceId: string, entity: string, sourceIds: string[]): Promise<RecordResult[]>;
  /** A configured sink by id (the node attaches itself to the `ewp-cnr` sinks). */
  sink(id: string): Sink | undefined;
  /** Whether this process runs background workers (the CNR inbox and sender): false in an API-only process. */
  readonly workers: boolean;
}
