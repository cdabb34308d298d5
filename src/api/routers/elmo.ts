import express, { type Router } from 'express';
import { UnauthorizedError, UnsupportedMediaTypeError } from '../../core/errors.ts';
import { sealKeysDir } from '../../emrex/seal-key.ts';
import { trustedElmoCertificates } from '../../emrex/trust.ts';
import { verifyElmo } from '../../emrex/verify.ts';
import type { ApiDeps } from '../deps.ts';
import { asyncHandler } from '../context.ts';

/**
 * `POST /api/v1/elmo/verify` (any valid token): the checks of an ELMO document someone received
 * (well-formed, no DOCTYPE, one signature over the whole document, a trusted and current certificate:
 * this hub's seal or a contact point's listed in the EWP registry or the EMREG list, PDF attachments) and what it says of the learner; 200 with the verdict whatever it is.
 */
export function elmoRouter(hub: Pick<ApiDeps, 'config' | 'env' | 'contactPoints'>): Router {
  const r = express.Router();
  r.post(
    '/elmo/verify',
    express.text({ type: ['application/xml', 'text/xml'], limit: hub.config.limits?.bodyBytes ?? 5 * 1024 * 1024 }),
    asyncHandler(async (req, res) => {
      if (!req.principal) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
      if (typeof req.body !== 'string') throw new UnsupportedMediaTypeError(`send the ELMO document as application/xml, not '${req.headers['content-type'] ?? 'no content type'}'`);
      // This hub's seal and the contact points of the EWP registry (and an EMREG list): src/emrex/client/directory.ts.
      res.json(verifyElmo(req.body, await trustedElmoCertificates(sealKeysDir(hub.config, hub.env.dataDir), hub.contactPoints)));
    }),
  );
  return r;
}
