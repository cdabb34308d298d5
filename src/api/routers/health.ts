import express, { type Router } from 'express';
import type { ApiDeps } from '../deps.ts';
import { asyncHandler, authenticate, scope } from '../context.ts';
import { NotReadyError } from '../../core/errors.ts';
import { problemOf, sendProblem } from '../problem.ts';

/** /healthz (process alive), /readyz (every part of the process ready: store, broker, sources, EWP node, editor), /metrics (Prometheus; token with admin or metrics scope). */
export function healthRouter(hub: Pick<ApiDeps, 'readiness' | 'store' | 'broker' | 'metrics' | 'tokens' | 'refreshGauges'>): Router {
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get(
    '/readyz',
    asyncHandler(async (_req, res) => {
      const { ready, checks } = await hub.readiness.report();
      if (ready) res.json({ status: 'ready', checks, store: hub.store.kind, broker: hub.broker.kind });
      else
        sendProblem(
          res,
          problemOf(
            new NotReadyError(
              `not ready: ${Object.keys(checks)
                .filter((k) => checks[k] !== 'ok')
                .join(', ')}`,
              { extra: { checks } },
            ),
            '/readyz',
          ),
        );
    }),
  );
  r.get(
    '/metrics',
    authenticate(hub),
    scope('metrics'),
    asyncHandler(async (_req, res) => {
      await hub.refreshGauges().catch(() => undefined);
      res.type(hub.metrics.registry.contentType).send(await hub.metrics.registry.metrics());
    }),
  );
  return r;
}
