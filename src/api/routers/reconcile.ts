import express, { type Router } from 'express';
import { BadRequestError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { reconcile } from '../../reconcile/reconcile.ts';
import { asyncHandler, param, scope } from '../context.ts';

/** GET /api/v1/reconcile/{sink}?institution=: what the hub holds against what a register holds (admin). */
export function reconcileRouter(hub: Pick<ApiDeps, 'config' | 'store' | 'sink'>): Router {
  const r = express.Router();
  r.get(
    '/reconcile/:sink',
    scope('admin'),
    asyncHandler(async (req, res) => {
      const institution = req.query.institution;
      if (typeof institution !== 'string' || institution === '') {
        throw new BadRequestError('name the institution: ?institution=<SCHAC code>', { violations: [{ path: '/query/institution', message: 'required, once' }] });
      }
      res.json(await reconcile({ config: hub.config, sql: hub.store.sql, sink: (id) => hub.sink(id) }, param(req, 'sink'), institution));
    }),
  );
  return r;
}
