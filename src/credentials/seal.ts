import { createHash } from 'node:crypto';
import { peculiarX509 } from '../core/x509.ts';
import { CredentialDataError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import type { Signer } from './keys.ts';
import { isoSeconds } from './vocab.ts';

/**
 * A sealed credential: JWS JSON (general) serialisation as the official EDC sample
 * (Sample-MC-Annex1-signed.jsonld): the credential as unencoded attached payload (RFC 7797 `b64: false`,
 * the payload member is the credential's JSON text itself) and one signature with a JAdES header.
 */
export interface SealedCredential {
  payload: string;
  signatures: { protected: string; header?: JsonObject; signature: string }[];
}

/** The protected header of a JAdES baseline-B seal, in the sample's member order. */
export interface SealHeader {
  alg: string;
  cty: 'octet-stream';
  kid: string;
  'x5t#S256': string;
  x5c: string[];
  typ: 'jose+json';
  b64: false;
  sigT: string;
  crit: string[];
}

/** The header parameters a seal marks critical: the sample adds `adoTst` when it carries a timestamp (baseline-T). */
export const CRIT = ['b64', 'sigT'];

function derLength(n: number): Buffer {
  if (n < 0x80) return Buffer.from([n]);
  const bytes: number[] = [];
  for (let v = n; v > 0; v = Math.floor(v / 256)) bytes.unshift(v % 256);
  return Buffer.from([0x80 | bytes.length, ...bytes]);
}

function der(tag: number, content: Buffer): Buffer {
  return Buffer.concat([Buffer.from([tag]), derLength(content.length), content]);
}

/**
 * JAdES `kid`: base64 of a DER IssuerSerial (RFC 5035) of the signing certificate:
 * SEQUENCE { GeneralNames { [4] issuer Name }, serialNumber INTEGER }.
 */
export function issuerSerialKid(certDer: Uint8Array): string {
  const x509 = peculiarX509();
  const cert = new x509.X509Certificate(certDer);
  const name = Buffer.from(cert.issuerName.toArrayBuffer());
  let serial = Buffer.from(cert.serialNumber.length % 2 ? `0${cert.serialNumber}` : cert.serialNumber, 'hex');
  while (serial.length > 1 && serial[0] === 0 && ((serial[1] ?? 0) & 0x80) === 0) serial = serial.subarray(1);
  if (((serial[0] ?? 0) & 0x80) !== 0) serial = Buffer.concat([Buffer.from([0]), serial]);
  return der(0x30, Buffer.concat([der(0x30, der(0xa4, name)), der(0x02, serial)])).toString('base64');
}

/** RFC 7515 base64url, no padding. */
export function b64url(b: Uint8Array | string): string {
  return Buffer.from(b).toString('base64url');
}

/** `sigT`: the claimed signing time, UTC to the second. */
export function sigT(now: Date): string {
  return isoSeconds(now);
}

/**
 * Seals a credential (JAdES baseline-B): protected header with alg, cty, kid (IssuerSerial), x5t#S256,
 * x5c (the signer's chain), typ, b64:false, sigT (= `now`) and crit ["b64","sigT"]; the payload is the
 * credential's compact JSON text, attached unencoded; the JWS signing input is
 * ASCII(BASE64URL(protected)) || '.' || UTF-8(payload).
 */
export async function seal(credential: JsonObject, signer: Signer, now: Date): Promise<SealedCredential> {
  if (!credential || typeof credential !== 'object' || Array.isArray(credential))
    throw new CredentialDataError('only a credential object can be sealed', { violations: [{ path: '', message: 'must be an object' }] });
  if (Number.isNaN(now.getTime())) throw new CredentialDataError('the signing time is not a date', { violations: [{ path: '/now', message: 'must be a date' }] });
  const leaf = signer.certificateChain[0];
  if (!leaf) throw new CredentialDataError('the signer has no certificate', { violations: [{ path: '/certificateChain', message: 'needs the seal certificate first' }] });
  const leafDer = Buffer.from(leaf, 'base64');
  const header: SealHeader = {
    alg: signer.algorithm,
    cty: 'octet-stream',
    kid: issuerSerialKid(leafDer),
    'x5t#S256': createHash('sha256').update(leafDer).digest('base64url'),
    x5c: signer.certificateChain,
    typ: 'jose+json',
    b64: false,
    sigT: sigT(now),
    crit: CRIT,
  };
  const payload = JSON.stringify(credential);
  const protectedB64 = b64url(JSON.stringify(header));
  const signature = await signer.sign(Buffer.concat([Buffer.from(`${protectedB64}.`, 'ascii'), Buffer.from(payload, 'utf8')]));
  return { payload, signatures: [{ protected: protectedB64, signature: b64url(signature) }] };
}
