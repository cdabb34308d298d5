import express, { type Router } from 'express';
import { BadRequestError } from '../../core/errors.ts';
import type { ApiDeps } from '../deps.ts';
import type { WithheldStatus } from '../../privacy/withheld.ts';
import { asyncHandler, scope } from '../context.ts';
import { intParam } from './persons.ts';

const WITHHELD: readonly WithheldStatus[] = ['held', 'released', 'delivered', 'closed'];

/**
 * The disclosure log and what the privacy module keeps (admin scope): verify the hash chain, export
 * it as JSON lines for offline verification, list withheld deliveries and erasures.
 */
export function auditRouter(hub: Pick<ApiDeps, 'privacy'>): Router {
  const r = express.Router();
  r.use('/audit', scope('admin'));

  r.get(
    '/audit/disclosures/verify',
    asyncHandler(async (_req, res) => {
      res.json(await hub.privacy.log.verify());
    }),
  );

  r.get(
    '/audit/disclosures/export',
    asyncHandler(async (req, res) => {
      const after = intParam(req, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
      res.status(200).type('application/jsonl; charset=utf-8');
      res.setHeader('Content-Disposition', 'attachment; filename="disclosure-log.jsonl"');
      try {
        for await (const line of hub.privacy.log.export(after)) {
          if (!res.write(line)) await new Promise((resolve) => res.once('drain', resolve));
        }
      } catch (e) {
        // Part of the log is sent already: cut the response so the client sees it is incomplete.
        res.destroy(e as Error);
        return;
      }
      res.end();
    }),
  );

  r.get(
    '/audit/withheld',
    asyncHandler(async (req, res) => {
      const status = req.query.status;
      if (status !== undefined && (typeof status !== 'string' || !WITHHELD.includes(status as WithheldStatus))) {
        throw new BadRequestError(`unknown status`, { violations: [{ path: '/query/status', message: `must be one of ${WITHHELD.join(', ')}` }] });
      }
      const limit = intParam(req, 'limit', 100, 1, 1000);
      const items = await hub.privacy.withheld.list({ limit, ...(status ? { status: status as WithheldStatus } : {}) });
      res.json({ items });
    }),
  );

  r.get(
    '/audit/erasures',
    asyncHandler(async (req, res) => {
      const limit = intParam(req, 'limit', 100, 1, 1000);
      const items = (await hub.privacy.erasure.list(limit)).map(({ pseudonyms: _p, ...e }) => e);
      res.json({ items });
    }),
  );
  return r;
}
