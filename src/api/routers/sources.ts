import express, { type Request, type Router } from 'express';
import { BadRequestError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { SourceAdmin } from '../../sources/admin.ts';
import { asyncHandler, param, scope } from '../context.ts';

/**
 * Sources for admins: GET /sources (each with its health: last successful read, cursor, lag, error
 * count), GET /sources/{id} (?probe=true asks the system too), POST /sources/{id}/sync (body
 * {"full": true} reads everything again), POST /sources/{id}/pause and /resume.
 */
export function sourcesRouter(hub: Pick<ApiDeps, 'config' | 'store' | 'sources'>): Router {
  const r = express.Router();
  r.use('/sources', scope('admin'));
  const admin = () => new SourceAdmin(hub.config, hub.store.sql, hub.sources);

  const full = (req: Request): boolean => {
    const body: unknown = req.body;
    if (body === undefined || body === null || (typeof body === 'object' && Object.keys(body).length === 0)) return false;
    if (typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the body must be a JSON object', { violations: [{ path: '', message: 'must be an object' }] });
    const extra = Object.keys(body).filter((k) => k !== 'full');
    if (extra.length) throw new BadRequestError(`unknown field '${extra[0]}'`, { violations: extra.map((k) => ({ path: `/${k}`, message: 'unknown field (only "full" is read)' })) });
    const f = (body as { full?: unknown }).full;
    if (typeof f !== 'boolean') throw new BadRequestError('full must be true or false', { violations: [{ path: '/full', message: 'must be a boolean' }] });
    return f;
  };

  r.get(
    '/sources',
    asyncHandler(async (_req, res) => {
      res.json({ items: await admin().list() });
    }),
  );

  r.get(
    '/sources/:id',
    asyncHandler(async (req, res) => {
      const probe = req.query.probe;
      if (probe !== undefined && probe !== 'true' && probe !== 'false') {
        throw new BadRequestError('probe must be true or false', { violations: [{ path: '/query/probe', message: 'must be true or false' }] });
      }
      const a = admin();
      const view = await a.get(param(req, 'id'));
      res.json(probe === 'true' ? { ...view, probe: await a.probe(view.id) } : view);
    }),
  );

  r.post(
    '/sources/:id/sync',
    asyncHandler(async (req, res) => {
      res.status(202).json(await admin().sync(param(req, 'id'), full(req)));
    }),
  );

  r.post(
    '/sources/:id/pause',
    asyncHandler(async (req, res) => {
      res.json(await admin().pause(param(req, 'id')));
    }),
  );

  r.post(
    '/sources/:id/resume',
    asyncHandler(async (req, res) => {
      res.json(await admin().resume(param(req, 'id')));
    }),
  );
  return r;
}
