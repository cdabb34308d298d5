import type { ErrorRequestHandler, Response } from 'express';
import type { Logger } from 'pino';
import type { HubError } from '../core/errors.ts';
import { InternalError, isHubError, MalformedInputError, PayloadTooLargeError, type Violation } from '../core/errors.ts';

export const PROBLEM_TYPE_BASE = 'https://docs.studyhub.lv/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';
/** What a 503 tells the client to wait before trying again. */
export const RETRY_AFTER_SECONDS = 5;

export interface Problem {
  type: string;
  title: string;
  status: number;
  detail: string;
  code: string;
  instance?: string;
  errors?: { pointer: string; message: string }[];
  [extra: string]: unknown;
}

const TITLES: Record<number, string> = {
  400: 'Bad request',
  401: 'Unauthorized',
  403: 'Forbidden',
  404: 'Not found',
  409: 'Conflict',
  413: 'Payload too large',
  415: 'Unsupported media type',
  422: 'Unprocessable content',
  429: 'Too many requests',
  500: 'Internal error',
  502: 'Bad gateway',
  503: 'Service unavailable',
};

export function violationsToErrors(v: Violation[], prefix = ''): { pointer: string; message: string }[] {
  return v.map((x) => ({ pointer: prefix + x.path, message: x.message }));
}

/** RFC 9457 problem document of a hub error. */
export function problemOf(e: HubError, instance?: string, extra: Record<string, unknown> = {}): Problem {
  return {
    type:
      PROBLEM_TYPE_BASE +
      e.code
        .toLowerCase()
        .replace(/^hub_err_/, '')
        .replace(/_/g, '-'),
    title: TITLES[e.status] ?? 'Error',
    status: e.status,
    detail: e.message,
    code: e.code,
    ...(instance ? { instance } : {}),
    ...(e.violations.length ? { errors: violationsToErrors(e.violations) } : {}),
    ...e.extra,
    ...extra,
  };
}

/** Sends a problem document; it names the request's id (X-Request-Id) as `requestId`, to quote when asking about it. */
export function sendProblem(res: Response, p: Problem): void {
  const requestId = res.getHeader('X-Request-Id');
  if (typeof requestId === 'string' && p.requestId === undefined) p = { ...p, requestId };
  if (p.status === 401) res.setHeader('WWW-Authenticate', 'Bearer realm="study-data-hub"');
  // An error that knows when to ask again says so (extra.retryAfterSeconds); any 503 says RETRY_AFTER_SECONDS.
  if (typeof p.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(p.retryAfterSeconds));
  else if (p.status === 503) res.setHeader('Retry-After', String(RETRY_AFTER_SECONDS));
  res.status(p.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(p));
}

/** Body-parser failures as typed errors. */
export function fromBodyParserError(err: { type?: string; message?: string; limit?: number; length?: number }): HubError | undefined {
  if (err.type === 'entity.too.large') return new PayloadTooLargeError(`body of ${err.length ?? '?'} bytes is over the limit of ${err.limit} bytes`, { extra: { limit: err.limit } });
  if (err.type === 'entity.parse.failed') return new MalformedInputError(`body is not valid JSON: ${err.message ?? ''}`);
  if (err.type === 'encoding.unsupported' || err.type === 'charset.unsupported') return new MalformedInputError(err.message ?? 'unsupported encoding');
  if (err.type === 'request.aborted') return new MalformedInputError('request aborted by the client');
  return undefined;
}

export function errorHandler(logger: Logger): ErrorRequestHandler {
  return (err: unknown, req, res, _next) => {
    let e = isHubError(err) ? err : fromBodyParserError(err as object);
    if (!e) {
      logger.error({ err, method: req.method, path: req.path }, 'unhandled error in request');
      e = new InternalError('internal error; the hub logged the details');
    }
    if (res.headersSent) return;
    sendProblem(res, problemOf(e, req.originalUrl.split('?')[0]));
  };
}
