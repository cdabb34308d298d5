import { randomUUID } from 'node:crypto';
import { AsyncResource } from 'node:async_hooks';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestHandler } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { requestContext } from '../observability/request-context.ts';

export const REQUEST_ID_HEADER = 'X-Request-Id';
/** An id a client or proxy may choose: up to 128 characters of letters, digits and . _ : - (no spaces, no markup). */
const VALID_ID = /^[A-Za-z0-9._:-]{1,128}$/;

/** The request's id: the client's X-Request-Id when it is a safe one, else a new UUID. */
export function requestIdOf(header: string | string[] | undefined): string {
  return typeof header === 'string' && VALID_ID.test(header) ? header : randomUUID();
}

/** The path as the client sent it (a router rewrites req.url), without the query (it may hold filters). */
const pathOf = (req: IncomingMessage) => String((req as { originalUrl?: string }).originalUrl ?? req.url).split('?')[0];

const QUIET = /^\/(healthz|readyz|metrics)(\?|$)/;

/**
 * Gives every request an id (X-Request-Id, accepted when safe, else made), echoes it in the answer,
 * and runs the rest of the request in a context that puts `reqId` on every log line written for it
 * (src/observability/request-context.ts; problem+json bodies carry it as `requestId`). Then an access log
 * line per request (pino-http): method, path, status, duration; probes (/healthz, /readyz, /metrics) only
 * when they fail.
 */
export function requestLogging(logger: Logger): RequestHandler[] {
  const assign: RequestHandler = (req, res, next) => {
    const id = requestIdOf(req.headers['x-request-id']);
    (req as { id?: string }).id = id;
    res.setHeader(REQUEST_ID_HEADER, id);
    requestContext.run({ reqId: id }, () => {
      // Body parsers resume in the callbacks of the request's stream events: keep them in this context.
      req.emit = AsyncResource.bind(req.emit.bind(req));
      next();
    });
  };
  const access = pinoHttp({
    logger,
    genReqId: (req: IncomingMessage) => (req as { id?: string }).id ?? randomUUID(),
    serializers: {
      req: (req: { id: string; method: string; url: string }) => ({ id: req.id, method: req.method, path: String(req.url).split('?')[0] }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
    customLogLevel: (req: IncomingMessage, res: ServerResponse, err?: Error) => {
      if (err || res.statusCode >= 500) return 'error';
      if (QUIET.test(req.url ?? '')) return 'silent';
      return res.statusCode >= 400 ? 'warn' : 'info';
    },
    customSuccessMessage: (req: IncomingMessage, res: ServerResponse) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
    customErrorMessage: (req: IncomingMessage, res: ServerResponse) => `${req.method} ${pathOf(req)} ${res.statusCode}`,
  });
  return [assign, access as unknown as RequestHandler];
}
