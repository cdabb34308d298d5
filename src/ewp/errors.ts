import { isHubError } from '../core/errors.ts';
import { el, type XmlElement } from './xml/build.ts';
import { NS } from './xml/ns.ts';

/**
 * An EWP error response: the HTTP status the spec names for the case and a developer message,
 * rendered as `<error-response>` of common-types.xsd (never problem+json on EWP paths).
 */
export class EwpError extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly userMessage?: string,
  ) {
    super(message);
  }
}

export function errorResponse(developerMessage: string, userMessage?: string): XmlElement {
  return el(
    'error-response',
    { xmlns: NS.ewp },
    el('developer-message', {}, developerMessage),
    userMessage ? el('user-message', { 'xml:lang': 'en' }, userMessage) : undefined,
  );
}

/** Status and message of anything a handler threw; unexpected errors become a 500 without details. */
export function statusOf(e: unknown): { status: number; message: string; unexpected: boolean; userMessage?: string } {
  if (e instanceof EwpError) return { status: e.status, message: e.message, unexpected: false, ...(e.userMessage ? { userMessage: e.userMessage } : {}) };
  if (isHubError(e)) return { status: e.status >= 500 ? (e.retryable ? 503 : 500) : e.status, message: e.message, unexpected: e.status === 500 };
  return { status: 500, message: 'internal error; the server logged the details', unexpected: true };
}
