import express, { type Router } from 'express';
import { BadRequestError, NotFoundError } from '../../core/errors.ts';
import type { Rec } from '../../ewp/data.ts';
import { decideNomination, incomingMobility, type NominationDecision } from '../../ewp/incoming.ts';
import type { EwpServices } from '../../ewp/services.ts';
import type { EwpHei } from '../../ewp/settings.ts';
import { asyncHandler, param, scope } from '../context.ts';

/** Where the router finds the EWP node (built when the hub starts; undefined without an `ewp` section). */
export interface IncomingHost {
  readonly ewp: EwpServices | undefined;
}

/** An incoming mobility as the API shows it: the nomination's facts and status, not the student's data. */
function view(m: Rec) {
  const d = m.data;
  return {
    omobilityId: String(d.omobilityId),
    status: String(d.status),
    sendingInstitution: String(d.sendingInstitution),
    receivingInstitution: String(d.receivingInstitution),
    receivingAcademicYear: String(d.receivingAcademicYear),
    ...(d.start ? { start: String(d.start), end: String(d.end) } : {}),
    recordId: m.id,
    version: m.version,
  };
}

/**
 * The nominations partners sent to our HEIs (admin): `GET /api/v1/ewp/{heiId}/incoming-mobilities`,
 * `GET …/{omobilityId}`, and the decision sent back to the sending HEI with Outgoing Mobilities 3
 * `update`: `POST …/{omobilityId}/approve` (optional `comment`) and `POST …/{omobilityId}/reject`
 * (`comment` required).
 */
export function ewpIncomingRouter(host: IncomingHost): Router {
  const r = express.Router();
  const heiOf = (heiId: string): { node: EwpServices; hei: EwpHei } => {
    const node = host.ewp;
    if (!node) throw new NotFoundError('EWP is not configured on this hub');
    const hei = node.settings.heis.get(heiId);
    if (!hei) throw new NotFoundError(`no EWP HEI '${heiId}' here`);
    return { node, hei };
  };

  r.get(
    '/ewp/:heiId/incoming-mobilities',
    scope('admin'),
    asyncHandler(async (req, res) => {
      const { node, hei } = heiOf(param(req, 'heiId'));
      const all = (await node.copies('mobility-period', hei)).filter((m) => m.data.receivingInstitution === hei.id && m.sourceId.startsWith('omobility/'));
      res.json({ items: all.map(view) });
    }),
  );

  r.get(
    '/ewp/:heiId/incoming-mobilities/:omobilityId',
    scope('admin'),
    asyncHandler(async (req, res) => {
      const { node, hei } = heiOf(param(req, 'heiId'));
      res.json(view(await incomingMobility(node, hei, param(req, 'omobilityId'))));
    }),
  );

  for (const decision of ['approve', 'reject'] as const satisfies readonly NominationDecision[]) {
    r.post(
      `/ewp/:heiId/incoming-mobilities/:omobilityId/${decision}`,
      scope('admin'),
      asyncHandler(async (req, res) => {
        const { node, hei } = heiOf(param(req, 'heiId'));
        const body: unknown = req.body ?? {};
        const comment = (body as { comment?: unknown }).comment;
        if (typeof body !== 'object' || Array.isArray(body) || (comment !== undefined && (typeof comment !== 'string' || comment.length > 2000))) {
          throw new BadRequestError('the body is {"comment": "…"} (at most 2,000 characters)', { violations: [{ path: '/comment', message: 'a string of at most 2000 characters' }] });
        }
        res.json(view(await decideNomination(node, hei, param(req, 'omobilityId'), decision, comment)));
      }),
    );
  }
  return r;
}
