import type { IncomingHttpHeaders } from 'node:http';
import { EwpAuthError } from '../../core/errors.ts';
import type { Catalogue } from '../registry/catalogue.ts';
import { digestMatches } from './digest.ts';
import { CANONICAL_UUID, parseSignatureParams, REQUIRED_REQUEST_HEADERS, rsaVerify, signingString } from './httpsig.ts';
import { publicKeyFromBase64 } from './keys.ts';
import type { ReplayCache } from './replay.ts';

/** A verified caller: its key and the HEIs that key covers (0..n), plus what it signed. */
export interface Caller {
  keyId: string;
  heis: string[];
  requestId: string;
  /** The `signature` parameter of the request (echoed as X-Request-Signature). */
  signature: string;
  signedHeaders: ReadonlySet<string>;
  /** The client asked for a signed response in a header it signed. */
  acceptsSignature: boolean;
}

export interface VerifyInput {
  method: string;
  /** Path and query exactly as requested (express `originalUrl`). */
  target: string;
  headers: IncomingHttpHeaders;
  body: Buffer;
}

export interface VerifyOptions {
  expectedHost: string;
  catalogue: () => Promise<Catalogue>;
  replay: ReplayCache;
  skewMs: number;
  now?: number;
}

function header(headers: IncomingHttpHeaders, name: string): string | undefined {
  const v = headers[name];
  return Array.isArray(v) ? v.join(', ') : v;
}

/**
 * Verifies EWP HTTP Signature client authentication (ewp-specs-sec-cliauth-httpsig), in the
 * spec's order: method (401), signed header set (401), listed headers present (400), host (400),
 * key known to the registry (403), date(s) within the window (400), X-Request-Id (400),
 * signature (400), digest (400), then the nonce (400 for a replay). Headers the client did not
 * sign are ignored from here on: only signed ones reach the handlers.
 */
export async function verifyRequest(req: VerifyInput, o: VerifyOptions): Promise<Caller> {
  const auth = header(req.headers, 'authorization');
  if (!auth || !/^signature\s+/i.test(auth)) throw new EwpAuthError('this endpoint requires HTTP Signature client authentication (Authorization: Signature ...)');
  const p = parseSignatureParams(auth.replace(/^signature\s+/i, ''));
  if (!p) throw new EwpAuthError('the Authorization header is not a well-formed Signature (keyId, algorithm, headers, signature)');
  if (p.algorithm !== 'rsa-sha256') throw new EwpAuthError(`algorithm must be rsa-sha256, got '${p.algorithm ?? '(none)'}'`);
  const listed = new Set(p.headers);
  const missingRequired = REQUIRED_REQUEST_HEADERS.filter((h) => !listed.has(h));
  if (missingRequired.length || (!listed.has('date') && !listed.has('original-date'))) {
    throw new EwpAuthError(
      `the signature must cover (request-target), host, date or original-date, digest and x-request-id; missing: ${[...missingRequired, ...(listed.has('date') || listed.has('original-date') ? [] : ['date'])].join(', ')}`,
    );
  }
  for (const h of p.headers) if (h !== '(request-target)' && header(req.headers, h) === undefined) throw new EwpAuthError(`the signed header '${h}' is missing from the request`, { status: 400 });
  const host = header(req.headers, 'host');
  if (host?.toLowerCase() !== o.expectedHost.toLowerCase()) throw new EwpAuthError(`Host '${host ?? ''}' is not this endpoint's host '${o.expectedHost}'`, { status: 400 });
  if (!/^[0-9a-f]{64}$/.test(p.keyId)) throw new EwpAuthError('keyId must be the lower-case hex SHA-256 fingerprint of the client key', { status: 400 });
  const catalogue = await o.catalogue();
  const keyB64 = catalogue.keyBySha(p.keyId);
  if (!keyB64 || !catalogue.isClientKey(p.keyId)) throw new EwpAuthError(`keyId ${p.keyId} is not a client key in the EWP registry`, { status: 403 });
  const now = o.now ?? Date.now();
  for (const h of ['date', 'original-date']) {
    if (!listed.has(h)) continue;
    const t = Date.parse(header(req.headers, h)!);
    if (!Number.isFinite(t)) throw new EwpAuthError(`the ${h} header is not an HTTP date`, { status: 400 });
    if (Math.abs(now - t) > o.skewMs) throw new EwpAuthError(`the ${h} header is ${Math.round(Math.abs(now - t) / 1000)} s off the server clock (allowed: ${o.skewMs / 1000} s)`, { status: 400 });
  }
  const requestId = header(req.headers, 'x-request-id')!;
  if (!CANONICAL_UUID.test(requestId)) throw new EwpAuthError('X-Request-Id must be a UUID in canonical lower-case form', { status: 400 });
  const { text } = signingString(p.headers, (h) => header(req.headers, h), `${req.method.toLowerCase()} ${req.target}`);
  let key;
  try {
    key = publicKeyFromBase64(keyB64);
  } catch {
    throw new EwpAuthError(`the registry's key ${p.keyId} cannot be read`, { status: 403 });
  }
  if (!rsaVerify(text, p.signature, key)) throw new EwpAuthError('the request signature does not verify with the key named by keyId', { status: 400 });
  if (!digestMatches(header(req.headers, 'digest'), req.body)) throw new EwpAuthError('the Digest header does not match the SHA-256 of the request body', { status: 400 });
  if (!(await o.replay.firstUse(requestId, now))) throw new EwpAuthError(`X-Request-Id ${requestId} was used before (replayed request)`, { status: 400 });
  // Signing is a MUST when asked (srvauth-httpsig) and harmless when the client's own signature does not
  // cover Accept-Signature: a tampered header can only add a signature, never take one away.
  const acceptsSignature = /(^|[\s,])rsa-sha256($|[\s,])/i.test(header(req.headers, 'accept-signature') ?? '');
  return { keyId: p.keyId, heis: catalogue.heisCoveredByClientKey(p.keyId), requestId, signature: p.signature, signedHeaders: listed, acceptsSignature };
}
