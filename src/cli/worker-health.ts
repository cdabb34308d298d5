import express from 'express';
import { createServer, type Server } from 'node:http';
import { healthRouter } from '../api/routers/health.ts';
import { errorHandler } from '../api/problem.ts';
import { requestLogging } from '../api/request-id.ts';
import { NotFoundError } from '../core/errors.ts';
import type { Hub } from '../hub.ts';

/**
 * The HTTP side of `hub worker`: the same GET /healthz, /readyz and /metrics as the API process
 * (metrics behind a token with the metrics or admin scope), and nothing else, so that compose
 * and Kubernetes probe a worker as they probe the API. Listens on PORT (and HOST).
 */
export async function startWorkerHealth(hub: Hub, port: number, host: string): Promise<Server> {
  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', false);
  app.use(requestLogging(hub.logger));
  app.use(healthRouter(hub));
  app.use((req, _res, next) => next(new NotFoundError(`a worker answers GET /healthz, /readyz and /metrics only, not ${req.method} ${req.path}`)));
  app.use(errorHandler(hub.logger));
  const server = createServer(app);
  server.requestTimeout = 30_000;
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, host, () => {
      server.off('error', reject);
      resolve();
    });
  });
  return server;
}
