import type { Logger } from 'pino';
import type { InstitutionConfig } from '../../config/types.ts';
import type { JsonObject } from '../../core/types.ts';
import type { Privacy } from '../../privacy/service.ts';
import type { RecordReader } from '../../store/records.ts';
import type { SqlDb } from '../../store/sql.ts';
import type { SealKey } from '../keys.ts';
import type { ContactPointSettings } from '../contact-point/settings.ts';
import type { DiplomaLookup } from '../document.ts';

/** A digital diploma or micro-credential of the learner, as the learner's page lists it. */
export interface LearnerCredential {
  id: string;
  title: { lv?: string; en?: string };
  /** The issuing institution (SCHAC code). */
  institution: string;
  issuedAt: string;
  status: 'active' | 'revoked';
}

/** A credential's file, as the learner downloads it. */
export interface CredentialDownload {
  contentType: string;
  filename: string;
  body: string;
}

/**
 * The extension point for digital diplomas (src/credentials/): given, the learner's page shows a
 * "Digitālie diplomi / Digital diplomas" section. Both calls get the hub ids of the signed-in learner's
 * person records (every institution's, linked by personal code) and answer only what belongs to them:
 * `download` answers undefined for a credential of anyone else.
 */
export interface LearnerCredentials {
  ofPersons(personIds: string[]): Promise<LearnerCredential[]>;
  download(personIds: string[], id: string): Promise<CredentialDownload | undefined>;
  /** The active diplomas of awards (by award record id), attached to the ELMO the contact point sends. */
  forAwards?: DiplomaLookup;
}

/** What the pipeline answered for one record written through a source (src/pipeline/pipeline.ts RecordResult, the part used here). */
export interface IngestResult {
  status: string;
  recordId?: string;
  error?: { code: string; detail: string };
}

/** What the contact point and the learner's pages use of the hub: explicit, no Hub. */
export interface LearnerPagesDeps {
  settings: ContactPointSettings;
  institutions: readonly InstitutionConfig[];
  sql: SqlDb;
  reader: RecordReader;
  privacy: Privacy;
  /** The contact point's seal (src/emrex/seal-key.ts). */
  sealKey(): Promise<SealKey>;
  /** Writes canonical records through a source (the pipeline's ingest). */
  ingest(sourceId: string, entity: string, records: JsonObject[]): Promise<IngestResult[]>;
  logger: Logger;
  /** Digital diplomas (src/credentials/), when that part is wired. */
  credentials?: LearnerCredentials;
  /** The clock (tests move it). */
  now?: () => number;
}
