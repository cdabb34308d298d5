import express, { type Request, type Router } from 'express';
import { hasScope, type Principal } from '../../auth/tokens.ts';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import { asyncHandler, param } from '../../api/context.ts';
import type { EmrexClient } from './service.ts';

/** Where the router finds the client (built when the hub starts; undefined without `emrex.client`). */
export interface EmrexClientHost {
  readonly emrexClient: EmrexClient | undefined;
}

/** The principal, when it holds `admin` or an `emrex:` scope; 401 without a token, 403 with neither. */
function principal(req: Request): Principal {
  const p = req.principal;
  if (!p) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
  if (!hasScope(p, 'admin') && !p.scopes.some((s) => s.startsWith('emrex:'))) throw new ForbiddenError("this token lacks the scope 'admin' or 'emrex:<institution>'");
  return p;
}

const text = (body: Record<string, unknown>, name: string, max: number): string | undefined => {
  const v = body[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string' || !v.length || v.length > max)
    throw new BadRequestError(`${name} must be a string of 1 to ${max} characters`, { violations: [{ path: `/${name}`, message: `a string of 1..${max} characters` }] });
  return v;
};

/**
 * The EMREX client's admin API (admin, or `emrex:<institution>` for that institution):
 * `POST /api/v1/emrex/sessions` starts a session for a student (`{institution, person, contactPoint | country}`)
 * and answers the form the learner's browser posts to the foreign contact point; `GET /api/v1/emrex/received`
 * lists the documents that came back with their verdicts; `GET /api/v1/emrex/received/{id}/document` gives one
 * as it arrived; `GET /api/v1/emrex/contact-points` lists the contact points known from the EWP registry and
 * the EMREG list.
 */
export function emrexClientRouter(host: EmrexClientHost): Router {
  const r = express.Router();
  const clientOf = (): EmrexClient => {
    const c = host.emrexClient;
    if (!c) throw new NotFoundError('the EMREX client is not configured on this hub (emrex.client)');
    return c;
  };

  r.post(
    '/emrex/sessions',
    asyncHandler(async (req, res) => {
      const p = principal(req);
      const client = clientOf();
      if (!req.is('application/json')) throw new UnsupportedMediaTypeError(`the body must be JSON (application/json), not '${req.headers['content-type'] ?? 'no content type'}'`);
      const body: unknown = req.body;
      if (!body || typeof body !== 'object' || Array.isArray(body)) throw new BadRequestError('the body is {"institution", "person", "contactPoint" or "country"}');
      const b = body as Record<string, unknown>;
      const institution = text(b, 'institution', 253);
      const person = text(b, 'person', 64);
      if (!institution || !person)
        throw new BadRequestError('institution and person (the hub id of the person record) are required', {
          violations: [...(institution ? [] : [{ path: '/institution', message: 'required' }]), ...(person ? [] : [{ path: '/person', message: 'required' }])],
        });
      client.requireInstitution(p.scopes, institution);
      const contactPoint = text(b, 'contactPoint', 2000);
      const country = text(b, 'country', 2);
      const started = await client.startSession({ institution, person, createdBy: p.name, ...(contactPoint ? { contactPoint } : {}), ...(country ? { country } : {}) });
      res.status(201).setHeader('Cache-Control', 'no-store').json(started);
    }),
  );

  r.get(
    '/emrex/received',
    asyncHandler(async (req, res) => {
      const p = principal(req);
      const client = clientOf();
      const limitQ = req.query.limit;
      const limit = typeof limitQ === 'string' && /^\d{1,4}$/.test(limitQ) ? Math.min(1000, Math.max(1, Number(limitQ))) : 100;
      const mine = client.institutionsOf(p.scopes);
      res.json({ items: await client.store.received({ ...(mine ? { institutions: mine } : {}), limit }) });
    }),
  );

  r.get(
    '/emrex/received/:id/document',
    asyncHandler(async (req, res) => {
      const p = principal(req);
      const client = clientOf();
      const doc = await client.store.document(param(req, 'id'));
      if (!doc) throw new NotFoundError(`no received document ${param(req, 'id')}`);
      const mine = client.institutionsOf(p.scopes);
      if (mine && (!doc.received.institution || !mine.includes(doc.received.institution))) throw new NotFoundError(`no received document ${param(req, 'id')}`);
      const removed = doc.received.removed;
      if (removed)
        throw new NotFoundError(`the document of ${doc.received.id} was removed at ${removed.at} (${removed.by === 'erasure' ? "the person's erasure" : 'the retention time'}); its verdict is kept`);
      if (doc.document === null) throw new NotFoundError(`received document ${doc.received.id} carried no document`);
      res
        .status(200)
        .setHeader('Cache-Control', 'no-store')
        .type(doc.form === 'xml' ? 'application/xml; charset=utf-8' : 'text/plain; charset=us-ascii')
        .send(doc.document);
    }),
  );

  r.get(
    '/emrex/contact-points',
    asyncHandler(async (req, res) => {
      principal(req);
      const points = await clientOf().directory.list();
      res.json({ items: points.map((x) => ({ url: x.url, name: x.name, countryCode: x.countryCode, institutions: x.institutions, listedIn: x.listedIn, certificates: x.certificates.length })) });
    }),
  );
  return r;
}
