import type { Router } from 'express';
import { contactPointRouter } from '../../emrex/contact-point/router.ts';
import { contactPointSettings } from '../../emrex/contact-point/settings.ts';
import { learnerRouter } from '../../emrex/learner/router.ts';
import type { LearnerCredentials, LearnerPagesDeps } from '../../emrex/learner/types.ts';
import { sealKey } from '../../emrex/seal-key.ts';
import type { ApiDeps } from '../deps.ts';
import { RecordReader } from '../../store/records.ts';

/**
 * The EMREX contact point (/emrex) and the learner's page (/learner) with what they use of the hub
 * (docs/emrex.md); `credentials` is the digital-diploma part's view for the learner's page, when wired.
 */
export function emrexPages(hub: Pick<ApiDeps, 'config' | 'env' | 'logger' | 'store' | 'privacy' | 'pipeline'>, credentials?: LearnerCredentials): { contactPoint: Router; learner: Router } {
  const deps: LearnerPagesDeps = {
    settings: contactPointSettings(hub.config, hub.env.env),
    institutions: hub.config.institutions,
    sql: hub.store.sql,
    reader: new RecordReader(hub.store.sql),
    privacy: hub.privacy,
    sealKey: () => sealKey(hub),
    ingest: (source, entity, records) => hub.pipeline.ingest(source, entity, records, 'application/json'),
    logger: hub.logger,
    ...(credentials ? { credentials } : {}),
  };
  return { contactPoint: contactPointRouter(deps), learner: learnerRouter(deps) };
}
