import type { Logger } from 'pino';
import type { HubConfig } from '../../config/types.ts';
import type { JsonObject } from '../../core/types.ts';
import type { Catalogue } from '../../ewp/registry/catalogue.ts';
import type { RecordResult } from '../../pipeline/pipeline.ts';
import type { SqlDb } from '../../store/sql.ts';
import { ContactPointDirectory } from './directory.ts';
import { EmrexClient } from './service.ts';
import { resolveEmrexClient } from './settings.ts';

/** What the EMREX client and the contact-point directory use of the hub, handed in by the composition root. */
export interface EmrexIncomingDeps {
  config: HubConfig;
  dataDir: string;
  sql: SqlDb;
  /** The EWP node's registry client (its cached catalogue); absent without an `ewp` section. */
  registry: { catalogue(): Promise<Catalogue> } | undefined;
  ingest(sourceId: string, entity: string, records: JsonObject[]): Promise<RecordResult[]>;
  logger: Logger;
}

/**
 * The contact points the hub knows (the EWP registry's, an EMREG list's: for the client and for
 * `POST /api/v1/elmo/verify`) and, with `emrex.client`, the client itself (its tables migrated).
 */
export async function startEmrexIncoming(d: EmrexIncomingDeps): Promise<{ directory: ContactPointDirectory; client: EmrexClient | undefined }> {
  const settings = resolveEmrexClient(d.config, d.dataDir);
  const logger = d.logger.child({ component: 'emrex-client' });
  const directory = new ContactPointDirectory({ ...(d.registry ? { registry: d.registry } : {}), ...(settings?.emreg ? { emreg: settings.emreg } : {}), logger });
  const client = settings ? await EmrexClient.start({ settings, sql: d.sql, directory, ingest: d.ingest, logger }) : undefined;
  return { directory, client };
}
