/**
 * Typed errors with stable codes. Code branches on the class or `code`, never on message text.
 * Every code is listed in docs/errors.md; a test checks the two agree.
 */
export interface Violation {
  /** JSON pointer into the offending document ('' for the root). */
  path: string;
  message: string;
  keyword?: string;
}

export interface HubErrorOptions {
  detail?: string;
  violations?: Violation[];
  cause?: unknown;
  extra?: Record<string, unknown>;
}

export abstract class HubError extends Error {
  abstract readonly code: string;
  abstract readonly status: number;
  /** Whether doing the same thing again later may succeed (transport faults) or not (bad input). */
  abstract readonly retryable: boolean;
  readonly violations: Violation[];
  readonly extra: Record<string, unknown>;

  constructor(message: string, opts: HubErrorOptions = {}) {
    super(message, opts.cause === undefined ? undefined : { cause: opts.cause });
    this.name = new.target.name;
    this.violations = opts.violations ?? [];
    this.extra = opts.extra ?? {};
  }
}

function define(code: string, status: number, retryable: boolean) {
  return class extends HubError {
    readonly code = code;
    readonly status = status;
    readonly retryable = retryable;
  };
}

export class ConfigError extends define('HUB_ERR_CONFIG', 500, false) {}
export class BadRequestError extends define('HUB_ERR_BAD_REQUEST', 400, false) {}
export class MalformedInputError extends define('HUB_ERR_MALFORMED_INPUT', 400, false) {}
export class EncodingError extends define('HUB_ERR_ENCODING', 400, false) {}
export class UnsupportedMediaTypeError extends define('HUB_ERR_UNSUPPORTED_MEDIA_TYPE', 415, false) {}
export class PayloadTooLargeError extends define('HUB_ERR_PAYLOAD_TOO_LARGE', 413, false) {}
export class UnauthorizedError extends define('HUB_ERR_UNAUTHORIZED', 401, false) {}
export class ForbiddenError extends define('HUB_ERR_FORBIDDEN', 403, false) {}
export class NotFoundError extends define('HUB_ERR_NOT_FOUND', 404, false) {}
export class UnknownSourceError extends define('HUB_ERR_UNKNOWN_SOURCE', 404, false) {}
export class UnknownEntityError extends define('HUB_ERR_UNKNOWN_ENTITY', 404, false) {}
export class ConflictError extends define('HUB_ERR_CONFLICT', 409, false) {}
export class SchemaValidationError extends define('HUB_ERR_SCHEMA_VALIDATION', 422, false) {}
export class MappingError extends define('HUB_ERR_MAPPING', 422, false) {}
export class SinkError extends define('HUB_ERR_SINK', 502, true) {}
export class SinkRejectedError extends define('HUB_ERR_SINK_REJECTED', 502, false) {}
export class TransportError extends define('HUB_ERR_TRANSPORT', 503, true) {}
export class StoreError extends define('HUB_ERR_STORE', 503, true) {}
export class BrokerError extends define('HUB_ERR_BROKER', 503, true) {}
export class InternalError extends define('HUB_ERR_INTERNAL', 500, false) {}
export class NotReadyError extends define('HUB_ERR_NOT_READY', 503, true) {}
export class TooManyRequestsError extends define('HUB_ERR_TOO_MANY_REQUESTS', 429, true) {}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}
