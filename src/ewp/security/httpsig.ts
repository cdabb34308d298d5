import { randomUUID, sign, verify, type KeyObject } from 'node:crypto';
import { sha256Digest } from './digest.ts';
import type { EwpKey } from './keys.ts';

/**
 * HTTP Signatures as EWP profiles them (draft-cavage-http-signatures-07, rsa-sha256): the
 * signing string is one `name: value` line per listed header, in the listed order, joined by
 * `\n`; `(request-target)` is `<lower-case method> <path>?<query>`.
 */
export const REQUIRED_REQUEST_HEADERS = ['(request-target)', 'host', 'digest', 'x-request-id'] as const;
export const RESPONSE_SIGNED_HEADERS = ['date', 'digest', 'x-request-id', 'x-request-signature'] as const;
export const CANONICAL_UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

export interface SignatureParams {
  keyId: string;
  algorithm: string | undefined;
  headers: string[];
  signature: string;
}

/** Parses `keyId="…",algorithm="…",headers="…",signature="…"` (the part after `Signature `). */
export function parseSignatureParams(value: string): SignatureParams | undefined {
  const params = new Map<string, string>();
  const re = /\s*([a-zA-Z]+)\s*=\s*"([^"]*)"\s*(?:,|$)/y;
  let m: RegExpExecArray | null;
  let pos = 0;
  while (pos < value.length && (m = re.exec(value))) {
    params.set(m[1]!.toLowerCase(), m[2]!);
    pos = re.lastIndex;
  }
  if (pos < value.trim().length) return undefined;
  const keyId = params.get('keyid');
  const signature = params.get('signature');
  if (!keyId || !signature) return undefined;
  const headers = (params.get('headers') ?? 'date').trim().toLowerCase().split(/\s+/).filter(Boolean);
  return { keyId, algorithm: params.get('algorithm'), headers, signature };
}

export type HeaderGetter = (name: string) => string | undefined;

/** The signing string; undefined names a header that is listed but absent. */
export function signingString(headers: readonly string[], get: HeaderGetter, requestTarget?: string): { text: string; missing?: string } {
  const lines: string[] = [];
  for (const h of headers) {
    const v = h === '(request-target)' ? requestTarget : get(h);
    if (v === undefined) return { text: '', missing: h };
    lines.push(`${h}: ${v}`);
  }
  return { text: lines.join('\n') };
}

export function rsaSign(text: string, key: KeyObject): string {
  return sign('sha256', Buffer.from(text, 'utf8'), key).toString('base64');
}

export function rsaVerify(text: string, signatureB64: string, key: KeyObject): boolean {
  try {
    return verify('sha256', Buffer.from(text, 'utf8'), key, Buffer.from(signatureB64, 'base64'));
  } catch {
    return false;
  }
}

export function httpDate(at: Date = new Date()): string {
  return at.toUTCString();
}

export interface SignedRequest {
  headers: Record<string, string>;
  requestId: string;
  signature: string;
}

/**
 * Headers for a signed EWP request: Host, Date, Digest (also for an empty body), X-Request-Id,
 * optionally Accept-Signature (signed, so the server may trust it), and Authorization.
 */
export function signRequest(opts: { method: string; url: URL; body: Buffer; key: EwpKey; contentType?: string; acceptSignature?: boolean; now?: Date; requestId?: string }): SignedRequest {
  const requestId = opts.requestId ?? randomUUID();
  const headers: Record<string, string> = {
    host: opts.url.host,
    date: httpDate(opts.now),
    digest: sha256Digest(opts.body),
    'x-request-id': requestId,
  };
  const signed = ['(request-target)', 'host', 'date', 'digest', 'x-request-id'];
  if (opts.contentType) {
    headers['content-type'] = opts.contentType;
    signed.push('content-type');
  }
  if (opts.acceptSignature) {
    headers['accept-signature'] = 'rsa-sha256';
    headers['want-digest'] = 'SHA-256';
    signed.push('accept-signature');
  }
  const target = `${opts.method.toLowerCase()} ${opts.url.pathname}${opts.url.search}`;
  const { text } = signingString(signed, (h) => headers[h], target);
  const signature = rsaSign(text, opts.key.privateKey);
  headers.authorization = `Signature keyId="${opts.key.keyId}",algorithm="rsa-sha256",headers="${signed.join(' ')}",signature="${signature}"`;
  return { headers, requestId, signature };
}
