import type { Request, RequestHandler } from 'express';
import { UnsupportedMediaTypeError } from '../core/errors.ts';
import { assertDepth, DEFAULT_MAX_DEPTH } from '../core/json-walk.ts';
import type { ApiDeps } from './deps.ts';

/** The media types the API's JSON body parser reads. */
export const JSON_TYPES = ['application/json', 'application/*+json'];

/** Whether the request carries a body at all (a POST without one is fine where the body is optional). */
function hasBody(req: Request): boolean {
  if (req.headers['transfer-encoding'] !== undefined) return true;
  const length = Number(req.headers['content-length'] ?? 0);
  return Number.isFinite(length) && length > 0;
}

/**
 * 415 for a POST, PUT or PATCH whose body is not JSON: the JSON parser skips other types, and a
 * route must not act on a body it never read (`POST /sources/{id}/sync` with `full=true` as a form).
 */
export function requireJsonBody(): RequestHandler {
  return (req, _res, next) => {
    if (!['POST', 'PUT', 'PATCH'].includes(req.method) || !hasBody(req) || req.is(JSON_TYPES)) return next();
    next(new UnsupportedMediaTypeError(`the body must be JSON (application/json), not '${req.headers['content-type'] ?? 'no content type'}'`));
  };
}

/**
 * 400 HUB_ERR_NESTING_TOO_DEEP for a parsed JSON body nested deeper than `limits.maxDepth`, before any
 * handler walks it (JSON.parse is iterative; the walks after it need not be).
 */
export function limitJsonDepth(hub: Pick<ApiDeps, 'config'>): RequestHandler {
  const maxDepth = hub.config.limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  return (req, _res, next) => {
    try {
      if (req.body !== undefined && req.body !== null && typeof req.body === 'object') assertDepth(req.body, maxDepth, 'the body');
      next();
    } catch (e) {
      next(e);
    }
  };
}
