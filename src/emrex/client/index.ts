import type { Logger } from 'pino';
import type { HubConfig } from '../../config/types.ts';
import type { JsonObject } from '../../core/types.ts';
import type { Catalogue } from '../../ewp/registry/catalogue.ts';
import type { RecordResult } from '../../pipeline/pipeline.ts';
import type { PersonalDataHolder } from '../../privacy/holders.ts';
import type { SqlDb } from '../../store/sql.ts';
import { ContactPointDirectory } from './directory.ts';
import { DEFAULT_EMREX_DOCUMENTS_DAYS, emrexClientPersonalData } from './personal-data.ts';
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
  /** Where the client registers its tables as personal data (the privacy service: subject access, erasure, retention). */
  personalData: { register(holder: PersonalDataHolder): void };
  logger: Logger;
}

/**
 * The contact points the hub knows (the EWP registry's, an EMREG list's: for the client and for
 * `POST /api/v1/elmo/verify`) and, with `emrex.client`, the client itself (its tables migrated and registered
 * with the privacy service as personal data, kept `privacy.retention.emrexDocumentsDays`).
 */
export async function startEmrexIncoming(d: EmrexIncomingDeps): Promise<{ directory: ContactPointDirectory; client: EmrexClient | undefined }> {
  const settings = resolveEmrexClient(d.config, d.dataDir);
  const logger = d.logger.child({ component: 'emrex-client' });
  const directory = new ContactPointDirectory({ ...(d.registry ? { registry: d.registry } : {}), ...(settings?.emreg ? { emreg: settings.emreg } : {}), logger });
  const client = settings ? await EmrexClient.start({ settings, sql: d.sql, directory, ingest: d.ingest, logger }) : undefined;
  if (client) d.personalData.register(emrexClientPersonalData(d.sql, d.config.privacy?.retention?.emrexDocumentsDays ?? DEFAULT_EMREX_DOCUMENTS_DAYS));
  return { directory, client };
}
