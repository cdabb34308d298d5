import express, { type Request, type Router } from 'express';
import type { Principal } from '../../auth/tokens.ts';
import { BadRequestError, UnauthorizedError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { publicDelivery, publicView } from '../../webhooks/service.ts';
import type { WebhookDeliveryStatus } from '../../webhooks/store.ts';
import { asyncHandler, param } from '../context.ts';

const STATUSES = ['pending', 'retrying', 'sending', 'delivered', 'dead', 'withheld'] as const;

function principal(req: Request): Principal {
  if (!req.principal) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
  return req.principal;
}

/**
 * Webhook subscriptions, the push alternative to the feeds: POST /webhooks registers a URL and a
 * filter (as a consumer, with feed:<consumer>; or the full view, as admin); GET lists them, GET /{id}
 * shows one with its delivery counts, GET /{id}/deliveries the deliveries, DELETE /{id} ends it.
 */
export function webhooksRouter(hub: Pick<ApiDeps, 'webhooks'>): Router {
  const r = express.Router();

  r.post(
    '/webhooks',
    asyncHandler(async (req, res) => {
      const s = await hub.webhooks.create(principal(req), req.body);
      res
        .status(201)
        .location(`${req.baseUrl}/webhooks/${s.id}`)
        .json({ ...publicView(s), secret: s.secret, note: 'store the secret now: it is not shown again. Deliveries carry x-hub-signature-256 = sha256=HMAC(secret, "<x-hub-timestamp>.<body>")' });
    }),
  );

  r.get(
    '/webhooks',
    asyncHandler(async (req, res) => {
      res.json({ items: (await hub.webhooks.list(principal(req))).map(publicView) });
    }),
  );

  r.get(
    '/webhooks/:id',
    asyncHandler(async (req, res) => {
      const s = await hub.webhooks.get(principal(req), param(req, 'id'));
      res.json({ ...publicView(s), deliveries: await hub.webhooks.counts(s.id) });
    }),
  );

  r.get(
    '/webhooks/:id/deliveries',
    asyncHandler(async (req, res) => {
      const status = req.query.status;
      if (status !== undefined && (typeof status !== 'string' || !(STATUSES as readonly string[]).includes(status))) {
        throw new BadRequestError(`status must be one of ${STATUSES.join(', ')}`, { violations: [{ path: '/query/status', message: `one of ${STATUSES.join(', ')}` }] });
      }
      const limitText = req.query.limit ?? '100';
      const limit = typeof limitText === 'string' && /^\d+$/.test(limitText) ? Number(limitText) : NaN;
      if (!(limit >= 1 && limit <= 1000)) throw new BadRequestError('limit must be an integer from 1 to 1000', { violations: [{ path: '/query/limit', message: 'must be 1..1000' }] });
      const stored = status === 'retrying' ? 'pending' : (status as WebhookDeliveryStatus | undefined);
      let items = await hub.webhooks.deliveries(principal(req), param(req, 'id'), stored, limit);
      if (status === 'retrying') items = items.filter((d) => d.attempts > 0);
      else if (status === 'pending') items = items.filter((d) => d.attempts === 0);
      res.json({ items: items.map(publicDelivery) });
    }),
  );

  r.delete(
    '/webhooks/:id',
    asyncHandler(async (req, res) => {
      await hub.webhooks.remove(principal(req), param(req, 'id'));
      res.status(204).end();
    }),
  );
  return r;
}
