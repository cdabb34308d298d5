import type { IncomingHttpHeaders } from 'node:http';
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

/** Why a request is refused, with the status the EWP httpsig spec prescribes for the case. */
export class AuthFailure extends Error {
  constructor(
    readonly status: 400 | 401 | 403,
    message: string,
  ) {
    super(message);
  }
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
  if (!auth || !/^signature\s+/i.test(auth)) throw new AuthFailure(401, 'this endpoint requires HTTP Signature client authentication (Authorization: Signature ...)');
  const p = parseSignatureParams(auth.replace(/^signature\s+/i, ''));
  if (!p) throw new AuthFailure(401, 'the Authorization header is not a well-formed Signature (keyId, algorithm, headers, signature)');
  if (p.algorithm !== 'rsa-sha256') throw new AuthFailure(401, `algorithm must be rsa-sha256, got '${p.algorithm ?? '(none)'}'`);
  const listed = new Set(p.headers);
  const missingRequired = REQUIRED_REQUEST_HEADERS.filter((h) => !listed.has(h));
  if (missingRequired.length || (!listed.has('date') && !listed.has('original-date'))) {
    throw new AuthFailure(401, `the signature must cover (request-target), host, date or original-date, digest and x-request-id; missing: ${[...missingRequired, ...(listed.has('date') || listed.has('original-date') ? [] : ['date'])].join(', ')}`);
  }
  for (const h of p.headers) if (h !== '(request-target)' && header(req.headers, h) === undefined) throw new AuthFailure(400, `the signed header '${h}' is missing from the request`);
  const host = header(req.headers, 'host');
  if (host?.toLowerCase() !== o.expectedHost.toLowerCase()) throw new AuthFailure(400, `Host '${host ?? ''}' is not this endpoint's host '${o.expectedHost}'`);
  if (!/^[0-9a-f]{64}$/.test(p.keyId)) throw new AuthFailure(400, 'keyId must be the lower-case hex SHA-256 fingerprint of the client key');
  const catalogue = await o.catalogue();
  const keyB64 = catalogue.keyBySha(p.keyId);
  if (!keyB64 || !catalogue.isClientKey(p.keyId)) throw new AuthFailure(403, `keyId ${p.keyId} is not a client key in the EWP registry`);
  const now = o.now ?? Date.now();
  for (const h of ['date', 'original-date']) {
    if (!listed.has(h)) continue;
    const t = Date.parse(header(req.headers, h)!);
    if (!Number.isFinite(t)) throw new AuthFailure(400, `the ${h} header is not an HTTP date`);
    if (Math.abs(now - t) > o.skewMs) throw new AuthFailure(400, `the ${h} header is ${Math.round(Math.abs(now - t) / 1000)} s off the server clock (allowed: ${o.skewMs / 1000} s)`);
  }
  const requestId = header(req.headers, 'x-request-id')!;
  if (!CANONICAL_UUID.test(requestId)) throw new AuthFailure(400, 'X-Request-Id must be a UUID in canonical lower-case form');
  const { text } = signingString(p.headers, (h) => header(req.headers, h), `${req.method.toLowerCase()} ${req.target}`);
  let key;
  try {
    key = publicKeyFromBase64(keyB64);
  } catch {
    throw new AuthFailure(403, `the registry's key ${p.keyId} cannot be read`);
  }
  if (!rsaVerify(text, p.signature, key)) throw new AuthFailure(400, 'the request signature does not verify with the key named by keyId');
  if (!digestMatches(header(req.headers, 'digest'), req.body)) throw new AuthFailure(400, 'the Digest header does not match the SHA-256 of the request body');
  if (!(await o.replay.firstUse(requestId, now))) throw new AuthFailure(400, `X-Request-Id ${requestId} was used before (replayed request)`);
  const acceptsSignature = listed.has('accept-signature') && /(^|[\s,])rsa-sha256($|[\s,])/i.test(header(req.headers, 'accept-signature') ?? '');
  return { keyId: p.keyId, heis: catalogue.heisCoveredByClientKey(p.keyId), requestId, signature: p.signature, signedHeaders: listed, acceptsSignature };
}
