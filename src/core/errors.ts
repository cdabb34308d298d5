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
export class NestingTooDeepError extends define('HUB_ERR_NESTING_TOO_DEEP', 400, false) {}
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
/** A mapping ran past a limit (time, evaluation depth, memory, result size); `limit` names which, `value` its setting. */
export class MappingLimitError extends define('HUB_ERR_MAPPING_LIMIT', 422, false) {}
/** Too many heavy admin reads at once; `Retry-After` says when to ask again. */
export class BusyError extends define('HUB_ERR_BUSY', 503, true) {}
export class SinkError extends define('HUB_ERR_SINK', 502, true) {}
export class SinkRejectedError extends define('HUB_ERR_SINK_REJECTED', 502, false) {}
export class TransportError extends define('HUB_ERR_TRANSPORT', 503, true) {}
export class StoreError extends define('HUB_ERR_STORE', 503, true) {}
export class BrokerError extends define('HUB_ERR_BROKER', 503, true) {}
export class InternalError extends define('HUB_ERR_INTERNAL', 500, false) {}
export class NotReadyError extends define('HUB_ERR_NOT_READY', 503, true) {}
export class TooManyRequestsError extends define('HUB_ERR_TOO_MANY_REQUESTS', 429, true) {}
/** An outbound target the hub may not connect to (a non-public address not in `webhooks.allowTargets`, credentials in the URL). */
export class TargetRefusedError extends define('HUB_ERR_TARGET_REFUSED', 400, false) {}

/** A source answered 200 with a body that is not a page (cut off, not JSON or XML, wrong shape); kept, then asked for again. */
export class MalformedPageError extends define('HUB_ERR_MALFORMED_PAGE', 502, true) {
  /** The body as received (kept as a rejected message). */
  readonly body: string;
  constructor(message: string, body = '', opts: HubErrorOptions = {}) {
    super(message, opts);
    this.body = body;
  }
}

/** What a register said when it refused a submission on a business rule. */
export interface RegisterFault {
  /** The register's own code, e.g. VIIS-201. */
  registerCode: string;
  reason: string;
  field?: string | undefined;
}

/** A register refused a submission on a business rule (a SOAP fault with the register's code); sinks turn it into SinkRejectedError or, for codes that heal, SinkError. */
export class RegisterRejectedError extends define('HUB_ERR_REGISTER_REJECTED', 502, false) {
  readonly registerCode: string;
  readonly reason: string;
  readonly field: string | undefined;
  constructor(message: string, fault: RegisterFault = { registerCode: '', reason: message }, opts: HubErrorOptions = {}) {
    super(message, opts);
    this.registerCode = fault.registerCode;
    this.reason = fault.reason;
    this.field = fault.field;
  }
}

/** A native mapping function refused a value; the mapping engine reports it like JSONata's `$error()` (code D3137), inside a HUB_ERR_MAPPING. */
export class MappingRejectError extends define('HUB_ERR_MAPPING_REJECT', 422, false) {
  /** The code of JSONata's `$error()`, which this rejection stands for. */
  readonly jsonataCode = 'D3137';
}

/** Why a confirmed publish to RabbitMQ failed. */
export type PublishFailure = 'nack' | 'unroutable' | 'closed';

/** RabbitMQ refused a confirmed publish (nack), no queue took it, or the channel closed first. */
export class BrokerPublishError extends define('HUB_ERR_BROKER_PUBLISH', 503, true) {
  readonly reason: PublishFailure;
  constructor(message: string, reason: PublishFailure = 'closed', opts: HubErrorOptions = {}) {
    super(message, opts);
    this.reason = reason;
  }
}

/**
 * An EWP request that cannot be answered: the status the EWP specification names for the case (400 by
 * default; 409, 415, 500) and a developer message, rendered as `<error-response>` on EWP paths.
 */
export class EwpRequestError extends HubError {
  readonly code = 'HUB_ERR_EWP_REQUEST';
  readonly retryable = false;
  readonly status: number;
  /** A message for the partner's end user, when there is one. */
  readonly userMessage: string | undefined;
  constructor(message: string, opts: HubErrorOptions & { status?: number; userMessage?: string } = {}) {
    super(message, opts);
    this.status = opts.status ?? 400;
    this.userMessage = opts.userMessage;
  }
}

/** An EWP request refused by the HTTP Signature check, with the status the EWP httpsig spec prescribes (401 by default; 400, 403). */
export class EwpAuthError extends HubError {
  readonly code = 'HUB_ERR_EWP_AUTH';
  readonly retryable = false;
  readonly status: 400 | 401 | 403;
  constructor(message: string, opts: HubErrorOptions & { status?: 400 | 401 | 403 } = {}) {
    super(message, opts);
    this.status = opts.status ?? 401;
  }
}

export function isHubError(e: unknown): e is HubError {
  return e instanceof HubError;
}

export function errorMessage(e: unknown): string {
  return e instanceof Error ? e.message : String(e);
}

/** A credential cannot be built from the records: required data is missing or unusable; `violations` name each field as a JSON pointer into the input (`/award/title`, `/person/familyName`). */
export class CredentialDataError extends define('HUB_ERR_CREDENTIAL_DATA', 422, false) {}

/** Why an ELMO document that came back from a contact point was refused (`reason`); the document is kept for the admin. */
export type EmrexRefusal = 'unknown-session' | 'expired' | 'replayed' | 'malformed' | 'too-large' | 'signature' | 'certificate' | 'person' | 'contact-point';

/**
 * An ELMO document coming back from an EMREX contact point was refused (src/emrex/client/): 404 for an unknown
 * session, 409 for an expired or already answered one, 413 over the size limits, 422 for a document that fails
 * its checks; `reason` names which.
 */
export class EmrexRefusedError extends HubError {
  readonly code = 'HUB_ERR_EMREX_REFUSED';
  readonly retryable = false;
  readonly status: 404 | 409 | 413 | 422;
  constructor(message: string, opts: HubErrorOptions & { status?: 404 | 409 | 413 | 422 } = {}) {
    super(message, opts);
    this.status = opts.status ?? 422;
  }
}

/** A learner's sign-in at the OpenID provider gave no learner (src/emrex/learner/sign-in.ts): `cancelled` when the learner cancelled there. */
export class SignInFailedError extends HubError {
  readonly code = 'HUB_ERR_SIGN_IN_FAILED';
  readonly status = 401;
  readonly retryable = false;
  constructor(
    readonly cancelled: boolean,
    message: string,
  ) {
    super(message);
  }
}
