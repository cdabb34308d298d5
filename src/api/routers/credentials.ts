import express, { type Router } from 'express';
import { BadRequestError, ConflictError, NotFoundError, UnauthorizedError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import type { CanonicalRecord } from '../../core/types.ts';
import type { StoredCredential } from '../../credentials/registry.ts';
import { verifierSettings } from '../../credentials/trust.ts';
import { verifyCredential } from '../../credentials/verify.ts';
import type { ApiDeps } from '../deps.ts';
import { logServedRecords } from '../../privacy/ewp-disclosure.ts';
import { RecordReader } from '../../store/records.ts';
import { asyncHandler, param, scope } from '../context.ts';
import { intParam } from './persons.ts';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/** A credential id as the path gives it: the UUID, or its urn:uuid: form. */
function credentialId(raw: string): string {
  const id = raw.replace(/^urn:uuid:/i, '').toLowerCase();
  if (!UUID.test(id)) throw new BadRequestError('a credential id is a UUID (or urn:uuid:<UUID>)', { violations: [{ path: '/path/id', message: 'a UUID' }] });
  return id;
}

/** What an admin sees of a credential: everything but the sealed text, ids in their URI form too. */
function summary(c: Omit<StoredCredential, 'sealed'>) {
  return { ...c, credentialId: `urn:uuid:${c.id}` };
}

/**
 * Digital credentials over the API (docs/credentials.md):
 * - `POST /credentials/verify` (any valid token): a sealed credential checked — seal signature, chain to
 *   the trust anchors, issuer, integrity, schema, revocation (this hub's status lists, at once), validity
 *   dates — each check with its reason; nothing stored;
 * - `GET /credentials?person=&institution=` (admin): the credentials issued, newest first;
 * - `GET /credentials/{id}` (admin): the sealed credential (`application/jose+json`), or the credential
 *   itself (`Accept: application/ld+json`); a disclosure in the log;
 * - `POST /credentials/{id}/revoke` (admin, `{ "reason": "…" }`): its bit set in the status list at once.
 */
export function credentialsRouter(hub: Pick<ApiDeps, 'config' | 'env' | 'logger' | 'store' | 'privacy' | 'credentials'>): Router {
  const r = express.Router();
  r.post(
    '/credentials/verify',
    express.text({ type: ['application/json', 'application/jose+json', 'application/ld+json'], limit: hub.config.limits?.bodyBytes ?? 5 * 1024 * 1024 }),
    asyncHandler(async (req, res) => {
      if (!req.principal) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
      if (typeof req.body !== 'string')
        throw new UnsupportedMediaTypeError(`send the sealed credential as application/json or application/jose+json, not '${req.headers['content-type'] ?? 'no content type'}'`);
      const verdict = await verifyCredential(req.body, {
        ...verifierSettings(hub.config, hub.env.dataDir),
        isRevoked: hub.credentials.isRevoked,
        now: new Date(),
      });
      res.json({ valid: verdict.valid, checks: verdict.checks, ...(verdict.heiId ? { issuer: verdict.heiId } : {}), ...(verdict.signedAt ? { signedAt: verdict.signedAt } : {}) });
    }),
  );

  r.get(
    '/credentials',
    scope('admin'),
    asyncHandler(async (req, res) => {
      const person = req.query.person;
      const institution = req.query.institution;
      if (person !== undefined && (typeof person !== 'string' || !UUID.test(person))) {
        throw new BadRequestError('person is the hub id (UUID) of a person record', { violations: [{ path: '/query/person', message: 'a UUID' }] });
      }
      if (institution !== undefined && (typeof institution !== 'string' || !hub.config.institutions.some((i) => i.id === institution))) {
        throw new BadRequestError("institution must be one of the configuration's institutions", { violations: [{ path: '/query/institution', message: 'a configured institution (SCHAC code)' }] });
      }
      const limit = intParam(req, 'limit', 100, 1, 1000);
      const offset = intParam(req, 'offset', 0, 0, 10_000_000);
      let personIds: string[] | undefined;
      if (typeof person === 'string') {
        const reader = new RecordReader(hub.store.sql);
        const p = await reader.byId(person, { entity: 'person', withDeleted: true });
        // The same person at the other institutions (linked by personal code) has the same credentials.
        personIds = p ? (await hub.privacy.persons.linked([p])).map((x) => x.id) : [person];
      }
      const items = await hub.credentials.list({ ...(personIds ? { personIds } : {}), ...(typeof institution === 'string' ? { institution } : {}), limit, offset });
      res.json({ items: items.map(summary), limit, offset });
    }),
  );

  r.get(
    '/credentials/:id',
    scope('admin'),
    asyncHandler(async (req, res) => {
      const c = await hub.credentials.get(credentialId(param(req, 'id')));
      if (!c) throw new NotFoundError(`no credential ${param(req, 'id')}`);
      const reader = new RecordReader(hub.store.sql);
      const subject = await reader.byId(c.subjectId, { withDeleted: true });
      const who = req.principal ? `${req.principal.name} (token ${req.principal.tokenId})` : 'unknown';
      const records: (CanonicalRecord & { fields: string[] })[] = subject ? [{ ...subject, fields: Object.keys(subject.data) }] : [];
      await logServedRecords(hub.privacy, { recipient: `admin:${who}`, route: 'api:credentials', legalBasis: 'public-task', purpose: 'a digital diploma handed out by an administrator', records });
      res.setHeader('X-Credential-Status', c.status);
      if (req.accepts(['application/jose+json', 'application/ld+json', 'application/json']) === 'application/ld+json') {
        res.type('application/ld+json').send((JSON.parse(c.sealed) as { payload: string }).payload);
      } else res.type('application/jose+json').send(c.sealed);
    }),
  );

  r.post(
    '/credentials/:id/revoke',
    scope('admin'),
    express.json({ limit: '16kb' }),
    asyncHandler(async (req, res) => {
      const id = credentialId(param(req, 'id'));
      const body = req.body as { reason?: unknown } | undefined;
      const reason = typeof body?.reason === 'string' ? body.reason.trim() : '';
      if (!reason || reason.length > 500) {
        throw new BadRequestError('say why the credential is revoked: { "reason": "…" } (1–500 characters)', { violations: [{ path: '/reason', message: 'a text of 1–500 characters' }] });
      }
      const c = await hub.credentials.get(id);
      if (!c) throw new NotFoundError(`no credential ${id}`);
      if (!(await hub.credentials.revoke(id, reason))) throw new ConflictError(`credential ${id} is revoked already (${c.revokedAt ?? ''}: ${c.revocationReason ?? ''})`);
      hub.logger.info({ credential: id, by: req.principal?.name }, 'credential revoked');
      const { sealed: _sealed, ...after } = (await hub.credentials.get(id))!;
      res.json(summary(after));
    }),
  );
  return r;
}
