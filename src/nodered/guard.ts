import type { ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import { EDITOR_CSP, securityHeaders } from '../api/security-headers.ts';
import { NotReadyError } from '../core/errors.ts';

/** The editor's security headers (helmet: no framing, same-origin connections; src/api/security-headers.ts). */
export const editorHeaders: RequestHandler = securityHeaders(EDITOR_CSP);

/**
 * Same origin only: Node-RED's editor app answers every request with `Access-Control-Allow-Origin: *`
 * (a cors() it always mounts); these headers are taken off before the response is written, so no other
 * origin can read the editor's API, and a preflight from another origin fails.
 */
export const sameOriginOnly: RequestHandler = (_req, res, next) => {
  const writeHead = res.writeHead;
  res.writeHead = function (this: ServerResponse, ...args: unknown[]) {
    for (const name of this.getHeaderNames()) if (name.startsWith('access-control-')) this.removeHeader(name);
    return (writeHead as (...a: unknown[]) => ServerResponse).apply(this, args);
  } as typeof res.writeHead;
  next();
};

/** 503 problem+json with Retry-After while the part is not ready (`reason` says why), instead of whatever the part would answer half-started. */
export function whenReady(part: string, reason: () => string | undefined): RequestHandler {
  return (_req, _res, next) => {
    const why = reason();
    next(why === undefined ? undefined : new NotReadyError(`the ${part} is not ready (${why}); try again shortly`));
  };
}
