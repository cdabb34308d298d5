import express, { type Router } from 'express';
import { UnauthorizedError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import { verifierSettings } from '../../credentials/trust.ts';
import { verifyCredential } from '../../credentials/verify.ts';
import type { Hub } from '../../hub.ts';
import { asyncHandler } from '../context.ts';

/**
 * `POST /api/v1/credentials/verify`: a sealed European Digital Credential (JWS JSON) checked — seal
 * signature, certificate chain against the trust anchors, issuer a known institution, integrity, schema,
 * revocation, validity dates — each check with its reason. Nothing is stored. Any valid token.
 */
export function credentialsRouter(hub: Hub): Router {
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
        now: new Date(),
      });
      res.json({ valid: verdict.valid, checks: verdict.checks, ...(verdict.heiId ? { issuer: verdict.heiId } : {}), ...(verdict.signedAt ? { signedAt: verdict.signedAt } : {}) });
    }),
  );
  return r;
}
