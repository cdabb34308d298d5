import express, { type Router } from 'express';
import { rateLimit } from '../api/rate-limit.ts';
import type { Credentials } from './service.ts';

export interface StatusListRouterOptions {
  credentials: Pick<Credentials, 'statusList'>;
  requestsPerMinute: number;
}

/**
 * `GET /credentials/status/{heiId}/{n}` (public, as the W3C Bitstring Status List asks): an institution's
 * status list as a credential sealed with the institution's seal (JWS JSON, `application/jose+json`).
 * It reveals which positions are revoked, nothing about whose credential a position is. Cached by
 * clients for a minute; rate-limited per address like the other public routes.
 */
export function statusListRouter(o: StatusListRouterOptions): Router {
  const r = express.Router();
  r.use(
    rateLimit(o.requestsPerMinute, (res, retryAfter) => {
      res.setHeader('Retry-After', String(retryAfter));
      res
        .status(429)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Too many requests', status: 429, detail: `try again in ${retryAfter} s` });
    }),
  );
  r.get('/:heiId/:listNo', (req, res, next) => {
    const listNo = /^\d{1,9}$/.test(req.params.listNo ?? '') ? Number(req.params.listNo) : -1;
    const notFound = () =>
      res
        .status(404)
        .type('application/problem+json')
        .send({ type: 'about:blank', title: 'Not found', status: 404, detail: `no status list ${req.params.listNo ?? ''} of ${req.params.heiId ?? ''}` });
    if (listNo < 0) return void notFound();
    o.credentials
      .statusList(req.params.heiId ?? '', listNo)
      .then((sealed) => {
        if (!sealed) return void notFound();
        res.setHeader('Cache-Control', 'public, max-age=60');
        res.setHeader('Access-Control-Allow-Origin', '*');
        res.type('application/jose+json').send(sealed);
      })
      .catch(next);
  });
  return r;
}
