import express, { type Router } from 'express';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { asyncHandler, param, scope } from '../context.ts';

/** Token administration: the token value is shown once, at creation; only its hash is stored. */
export function tokensRouter(hub: Pick<ApiDeps, 'store' | 'tokens'>): Router {
  const r = express.Router();
  r.use('/tokens', scope('admin'));
  r.get(
    '/tokens',
    asyncHandler(async (_req, res) => {
      res.json({ items: await hub.store.listTokens() });
    }),
  );
  r.post(
    '/tokens',
    asyncHandler(async (req, res) => {
      const body = (req.body ?? {}) as { name?: unknown; scopes?: unknown };
      const scopes = Array.isArray(body.scopes) ? body.scopes.map(String) : [];
      const created = await hub.tokens.create(typeof body.name === 'string' ? body.name : '', scopes);
      res.status(201).json({ ...created, name: body.name, scopes, note: 'store the token now: the hub keeps only its hash' });
    }),
  );
  r.delete(
    '/tokens/:id',
    asyncHandler(async (req, res) => {
      if (!(await hub.store.revokeToken(param(req, 'id')))) throw new NotFoundError(`no active token ${param(req, 'id')}`);
      res.status(204).end();
    }),
  );
  return r;
}
