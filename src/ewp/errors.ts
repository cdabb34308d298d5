import { EwpRequestError, isHubError } from '../core/errors.ts';
import { el, type XmlElement } from './xml/build.ts';
import { NS } from './xml/ns.ts';

/**
 * EWP error responses: `<error-response>` of common-types.xsd with a developer message (never
 * problem+json on EWP paths); an EwpRequestError (src/core/errors.ts) carries the status the spec
 * names for the case.
 */

export function errorResponse(developerMessage: string, userMessage?: string): XmlElement {
  return el('error-response', { xmlns: NS.ewp }, el('developer-message', {}, developerMessage), userMessage ? el('user-message', { 'xml:lang': 'en' }, userMessage) : undefined);
}

/** Status and message of anything a handler threw; unexpected errors become a 500 without details. */
export function statusOf(e: unknown): { status: number; message: string; unexpected: boolean; userMessage?: string } {
  if (e instanceof EwpRequestError) return { status: e.status, message: e.message, unexpected: false, ...(e.userMessage ? { userMessage: e.userMessage } : {}) };
  if (isHubError(e)) return { status: e.status >= 500 ? (e.retryable ? 503 : 500) : e.status, message: e.message, unexpected: e.status === 500 };
  return { status: 500, message: 'internal error; the server logged the details', unexpected: true };
}
