import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { Principal, TokenService } from '../auth/tokens.ts';
import { requireScope } from '../auth/tokens.ts';

declare module 'express-serve-static-core' {
  interface Request {
    principal?: Principal;
  }
}

/** Wraps an async handler so a rejection reaches the error handler. */
export function asyncHandler(fn: (req: Request, res: Response, next: NextFunction) => Promise<unknown>): RequestHandler {
  return (req, res, next) => {
    fn(req, res, next).catch(next);
  };
}

/** Reads the bearer token, if any, into req.principal. A bad token is a 401 right away. */
export function authenticate(hub: { readonly tokens: Pick<TokenService, 'authenticate'> }): RequestHandler {
  return asyncHandler(async (req, _res, next) => {
    const p = await hub.tokens.authenticate(req.headers.authorization);
    if (p) req.principal = p;
    next();
  });
}

/** Requires a scope, computed from the request (e.g. ingest:<sourceId>). */
export function scope(of: string | ((req: Request) => string)): RequestHandler {
  return (req, _res, next) => {
    try {
      requireScope(req.principal, typeof of === 'string' ? of : of(req));
      next();
    } catch (e) {
      next(e);
    }
  };
}

export function param(req: Request, name: string): string {
  return String(req.params[name] ?? '');
}
