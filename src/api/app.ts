import express, { type Express } from 'express';
import { adminRouter } from '../admin/router.ts';
import { ewpRouter } from '../ewp/router.ts';
import { NotFoundError } from '../core/errors.ts';
import type { AppDeps } from './deps.ts';
import { authenticate } from './context.ts';
import { openapiRouter } from './openapi/router.ts';
import { errorHandler } from './problem.ts';
import { requestLogging } from './request-id.ts';
import { limitJsonDepth, requireJsonBody } from './json-body.ts';
import { feedsRouter } from './routers/feeds.ts';
import { healthRouter } from './routers/health.ts';
import { ingestRouter } from './routers/ingest.ts';
import { messagesRouter } from './routers/messages.ts';
import { auditRouter } from './routers/audit.ts';
import { personsRouter } from './routers/persons.ts';
import { reconcileRouter } from './routers/reconcile.ts';
import { recordsRouter } from './routers/records.ts';
import { sourcesRouter } from './routers/sources.ts';
import { tokensRouter } from './routers/tokens.ts';
import { webhooksRouter } from './routers/webhooks.ts';
import { ewpIncomingRouter } from './routers/ewp-incoming.ts';
import { elmoRouter } from './routers/elmo.ts';
import { credentialsRouter } from './routers/credentials.ts';
import { ooapiRouter } from '../catalogue/ooapi/router.ts';
import { cataloguePagesRouter } from '../catalogue/pages/router.ts';
import { verifyPageRouter } from '../credentials/verify-page.ts';
import { sealKeysDir } from '../emrex/seal-key.ts';
import { trustedElmoCertificates } from '../emrex/trust.ts';
import { verifyElmo } from '../emrex/verify.ts';
import { statusListRouter } from '../credentials/status-router.ts';
import { verifierSettings } from '../credentials/trust.ts';
import { emrexReturnRouter } from '../emrex/client/return-route.ts';
import { emrexClientRouter } from '../emrex/client/api.ts';
import { emrexPages } from './routers/emrex-pages.ts';
import { learnerCredentials } from '../credentials/learner-view.ts';
import { RecordReader } from '../store/records.ts';

/**
 * The hub's HTTP app. No listen() here: the CLI listens, tests use supertest.
 * Body parsers are mounted on the hub's own paths only (Node-RED mounts its own elsewhere).
 */
export function createApp(hub: AppDeps): Express {
  const app = express();
  app.disable('x-powered-by');
  // Client address, https and host from X-Forwarded-* only from the proxies HUB_TRUST_PROXY names (default: none).
  const trust = hub.env.trustProxy;
  app.set('trust proxy', typeof trust === 'object' ? [...trust] : trust);
  app.use(requestLogging(hub.logger));
  app.use(healthRouter(hub));
  // The admin console (server-rendered pages, session cookie + CSRF), before the API routes.
  app.use('/admin', adminRouter(hub));
  // Erasmus Without Paper: per-HEI manifests (public) and HTTP-Signature-protected APIs, XML in and out.
  app.use('/ewp', ewpRouter(hub));
  // The public catalogue: OOAPI 5, anonymous and read-only, rate-limited per address (docs/catalogue.md).
  app.use(
    '/ooapi/v5',
    ooapiRouter({
      store: hub.catalogue.store,
      institutions: hub.config.institutions,
      logger: hub.logger.child({ component: 'ooapi' }),
      requestsPerMinute: hub.config.catalogue?.requestsPerMinute ?? 600,
      maxAgeSeconds: hub.config.catalogue?.maxAgeSeconds ?? 60,
      contactEmail: hub.config.catalogue?.contactEmail ?? 'catalogue@studyhub.example',
    }),
  );
  app.use(
    '/catalogue',
    cataloguePagesRouter({
      store: hub.catalogue.store,
      institutions: hub.config.institutions,
      logger: hub.logger.child({ component: 'catalogue-pages' }),
      requestsPerMinute: hub.config.catalogue?.requestsPerMinute ?? 600,
      maxAgeSeconds: hub.config.catalogue?.maxAgeSeconds ?? 60,
    }),
  );

  // Public: an employer or a university checks a sealed credential or an ELMO transcript (docs/credentials.md, docs/emrex.md).
  app.use(
    '/verify',
    verifyPageRouter({
      verifyOptions: () => ({ ...verifierSettings(hub.config, hub.env.dataDir), isRevoked: hub.credentials.isRevoked }),
      // The same checks and trusted certificates as POST /api/v1/elmo/verify (src/api/routers/elmo.ts).
      verifyElmo: async (xml) => verifyElmo(xml, await trustedElmoCertificates(sealKeysDir(hub.config, hub.env.dataDir), hub.contactPoints)),
      requestsPerMinute: hub.config.catalogue?.requestsPerMinute ?? 600,
    }),
  );
  // Public: each institution's status list of its credentials (W3C Bitstring Status List).
  app.use('/credentials/status', statusListRouter({ credentials: hub.credentials, requestsPerMinute: hub.config.catalogue?.requestsPerMinute ?? 600 }));

  // Public: where a foreign EMREX contact point posts a student's results back (docs/emrex.md, docs/security.md).
  app.use('/emrex/return', emrexReturnRouter({ client: () => hub.emrexClient, logger: hub.logger.child({ component: 'emrex-client' }) }));

  // Public: the EMREX contact point and the learner's own page, signed in with OpenID Connect (docs/emrex.md).
  const emrex = emrexPages(hub, learnerCredentials({ credentials: hub.credentials, reader: new RecordReader(hub.store.sql), privacy: hub.privacy }));
  app.use('/emrex', emrex.contactPoint);
  app.use('/learner', emrex.learner);

  const api = express.Router();
  api.use(authenticate(hub));
  // The ingest router reads raw bytes itself (to keep bad input); the rest take JSON.
  api.use(ingestRouter(hub));
  // A sealed credential is verified on its exact text (a malformed one gets a verdict, not a parse error).
  api.use(credentialsRouter(hub));
  api.use(express.json({ limit: hub.config.limits?.bodyBytes ?? 5 * 1024 * 1024, type: ['application/json', 'application/*+json'] }));
  api.use(limitJsonDepth(hub));
  api.use(['/tokens', '/messages', '/persons', '/sources', '/webhooks', '/ewp'], requireJsonBody());
  api.use(messagesRouter(hub));
  api.use(recordsRouter(hub));
  api.use(tokensRouter(hub));
  api.use(feedsRouter(hub));
  api.use(webhooksRouter(hub));
  api.use(reconcileRouter(hub));
  api.use(ewpIncomingRouter(hub));
  api.use(elmoRouter(hub));
  api.use(emrexClientRouter(hub));
  api.use(sourcesRouter(hub));
  api.use(personsRouter(hub));
  api.use(auditRouter(hub));
  api.use((req, _res, next) => next(new NotFoundError(`no API endpoint ${req.method} ${req.baseUrl}${req.path}`)));
  app.use('/api/v1', api);
  app.use('/api', openapiRouter(hub));
  app.use('/api', (req, _res, next) => next(new NotFoundError(`no API endpoint ${req.method} ${req.originalUrl.split('?')[0]}`)));
  app.use(errorHandler(hub.logger));
  return app;
}
