import express, { type Router } from 'express';
import { NotFoundError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import { asyncHandler, param, scope } from '../context.ts';

/** GET /api/v1/records/{entity}/{id}: the current canonical record and its version. */
export function recordsRouter(hub: Pick<ApiDeps, 'schemas' | 'store'>): Router {
  const r = express.Router();
  r.get(
    '/records/:entity/:id',
    scope((req) => `read:${param(req, 'entity')}`),
    asyncHandler(async (req, res) => {
      const entity = param(req, 'entity');
      const id = param(req, 'id');
      if (!hub.schemas.entities().includes(entity)) throw new NotFoundError(`unknown entity '${entity}'`);
      const rec = await hub.store.getRecord(entity, id);
      if (!rec) throw new NotFoundError(`no ${entity} record ${id}`);
      const etag = `"${rec.id}.${rec.version}"`;
      res.setHeader('ETag', etag);
      if (req.headers['if-none-match'] === etag) {
        res.status(304).end();
        return;
      }
      res.json({
        id: rec.id,
        entity: rec.entity,
        institution: rec.institution,
        version: rec.version,
        seq: rec.seq,
        deleted: rec.deleted,
        updatedAt: rec.updatedAt,
        record: rec.data,
      });
    }),
  );
  return r;
}
