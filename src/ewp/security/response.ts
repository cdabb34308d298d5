import type { Catalogue, CatalogueHost } from '../registry/catalogue.ts';
import { digestMatches, sha256Digest } from './digest.ts';
import { httpDate, parseSignatureParams, RESPONSE_SIGNED_HEADERS, rsaSign, rsaVerify, signingString } from './httpsig.ts';
import { publicKeyFromBase64, type EwpKey } from './keys.ts';

/**
 * HTTP Signature server authentication (ewp-specs-sec-srvauth-httpsig): the response carries
 * Date, Digest (of the body as sent), X-Request-Id (echoed), X-Request-Signature (the request's
 * signature) and a `Signature` header over those four.
 */
export function signResponse(body: Buffer, request: { requestId: string; signature: string }, key: EwpKey, now = new Date()): Record<string, string> {
  const h: Record<string, string> = {
    date: httpDate(now),
    digest: sha256Digest(body),
    'x-request-id': request.requestId,
    'x-request-signature': request.signature,
  };
  const { text } = signingString(RESPONSE_SIGNED_HEADERS, (n) => h[n]);
  h.signature = `keyId="${key.keyId}",algorithm="rsa-sha256",headers="${RESPONSE_SIGNED_HEADERS.join(' ')}",signature="${rsaSign(text, key.privateKey)}"`;
  return h;
}

/**
 * Checks a partner's signed response: every required header signed and present, the echoes
 * equal to our request, the digest of the body, the date within the window, and the key one of
 * the responding host's server keys in the registry. Returns the reason it fails, or undefined.
 */
export function responseSignatureProblem(
  get: (name: string) => string | undefined,
  body: Buffer,
  request: { requestId: string; signature: string },
  o: { catalogue: Catalogue; host: CatalogueHost; skewMs: number; now?: number },
): string | undefined {
  const raw = get('signature');
  if (!raw) return 'the response is not signed (no Signature header)';
  const p = parseSignatureParams(raw);
  if (!p) return 'the Signature header is malformed';
  if (p.algorithm !== 'rsa-sha256') return `unsupported signature algorithm '${p.algorithm ?? ''}'`;
  const listed = new Set(p.headers);
  for (const h of ['digest', 'x-request-id', 'x-request-signature']) if (!listed.has(h)) return `the response signature does not cover ${h}`;
  if (!listed.has('date') && !listed.has('original-date')) return 'the response signature covers neither date nor original-date';
  if (get('x-request-id') !== request.requestId) return 'X-Request-Id of the response does not echo the request';
  if (get('x-request-signature') !== request.signature) return 'X-Request-Signature of the response does not echo the request signature';
  if (!digestMatches(get('digest'), body)) return 'the response Digest does not match its body';
  const now = o.now ?? Date.now();
  for (const h of ['date', 'original-date']) {
    if (!listed.has(h)) continue;
    const t = Date.parse(get(h) ?? '');
    if (!Number.isFinite(t) || Math.abs(now - t) > o.skewMs) return `the response ${h} is missing or outside the clock window`;
  }
  if (!o.host.serverKeys.includes(p.keyId.toLowerCase())) return `key ${p.keyId} is not a server key of the responding host in the registry`;
  const b64 = o.catalogue.keyBySha(p.keyId);
  if (!b64) return `key ${p.keyId} is not in the registry's binaries`;
  const { text, missing } = signingString(p.headers, get);
  if (missing) return `the signed response header ${missing} is missing`;
  if (!rsaVerify(text, p.signature, publicKeyFromBase64(b64))) return 'the response signature does not verify';
  return undefined;
}
