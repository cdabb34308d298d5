import express, { type Router } from 'express';
import { errorMessage } from '../../core/errors.ts';
import type { Hub } from '../../hub.ts';
import { asyncHandler, authenticate, scope } from '../context.ts';
import { PROBLEM_CONTENT_TYPE, RETRY_AFTER_SECONDS } from '../problem.ts';

/** /healthz (process alive), /readyz (store and broker reachable), /metrics (Prometheus; token with admin or metrics scope). */
export function healthRouter(hub: Hub): Router {
  const r = express.Router();
  r.get('/healthz', (_req, res) => {
    res.json({ status: 'ok' });
  });
  r.get(
    '/readyz',
    asyncHandler(async (_req, res) => {
      const checks: Record<string, string> = {};
      for (const [name, ping] of [
        ['store', () => hub.store.ping()],
        ['broker', () => hub.broker.ping()],
      ] as const) {
        try {
          await ping();
          checks[name] = 'ok';
        } catch (e) {
          checks[name] = errorMessage(e);
        }
      }
      const ok = Object.values(checks).every((v) => v === 'ok');
      if (ok) res.json({ status: 'ready', checks, store: hub.store.kind, broker: hub.broker.kind });
      else res.status(503).set('Retry-After', String(RETRY_AFTER_SECONDS)).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify({ type: 'about:blank', title: 'Not ready', status: 503, code: 'HUB_ERR_NOT_READY', detail: 'a dependency is unreachable', checks }));
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
