import { X509Certificate, createHash } from 'node:crypto';
import { peculiarX509 } from '../core/x509.ts';
import { flattenedVerify } from 'jose';
import { errorMessage } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { pemBlocks } from './keys.ts';
import { EDC_CONTEXT, VC_V1_CONTEXT, heiIdOf, issuerUri } from './vocab.ts';

export type CheckName = 'format' | 'signature' | 'chain' | 'issuer' | 'integrity' | 'schema' | 'revocation' | 'validity';

export interface Check {
  name: CheckName;
  passed: boolean;
  reason: string;
}

/** The outcome: valid only when every check passed. `credential` is the payload when it could be read (verified or not). */
export interface Verdict {
  valid: boolean;
  checks: Check[];
  credential?: JsonObject;
  /** The issuing institution named by the credential, when it is a hub issuer id. */
  heiId?: string;
  /** The claimed signing time (sigT). */
  signedAt?: string;
}

export interface VerifyOptions {
  /** The CA certificates trusted to issue seals (PEM; a file's several blocks are all read). */
  trustAnchors: string[];
  /** SCHAC codes of the institutions whose credentials are accepted. */
  knownIssuers: string[];
  /**
   * Seal certificates (SHA-256 of the DER, base64url as in `x5t#S256`) accepted for an institution whose
   * certificate does not name its SCHAC code (a qualified eSeal certificate names the legal person).
   */
  issuerCertificates?: Record<string, string[]>;
  /** Whether the bit at `index` of the status list at `url` is set; absent: a credential with a status fails `revocation`. */
  isRevoked?: (url: string, index: number) => Promise<boolean>;
  /** Further schema checks (e.g. the EDC JSON Schema compiled by the caller): the problems, none when valid. */
  validateSchema?: (credential: JsonObject) => string[] | Promise<string[]>;
  now: Date;
}

/** The largest sealed credential read (bytes of its JSON text). */
export const MAX_SEALED_BYTES = 1024 * 1024;
/** Algorithms a seal may use. */
export const ALGORITHMS = ['ES256', 'ES384', 'ES512', 'RS256', 'RS384', 'RS512', 'PS256', 'PS384', 'PS512'];
/** Header parameters this verifier understands when marked critical (`adoTst`, a timestamp, is read but not verified). */
const UNDERSTOOD_CRIT = new Set(['b64', 'sigT', 'adoTst']);
/** Clock skew allowed for sigT and validFrom. */
const SKEW_MS = 5 * 60_000;
const ORDER: CheckName[] = ['format', 'signature', 'chain', 'issuer', 'integrity', 'schema', 'revocation', 'validity'];
const DATE_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

interface Parsed {
  payload: string;
  protectedB64: string;
  signature: string;
  header: JsonObject;
  credential: JsonObject;
  certs: X509Certificate[];
}

function isObject(v: unknown): v is JsonObject {
  return !!v && typeof v === 'object' && !Array.isArray(v);
}

class Fail {
  constructor(readonly reason: string) {}
}

/** Reads the JWS (general or flattened JSON serialisation) and its JAdES header; a Fail says what is wrong. */
function parse(sealed: unknown): Parsed | Fail {
  let text: string;
  if (typeof sealed === 'string') text = sealed;
  else if (sealed instanceof Uint8Array) text = Buffer.from(sealed).toString('utf8');
  else if (isObject(sealed)) text = JSON.stringify(sealed);
  else return new Fail('not a sealed credential: expected the JWS JSON text or object');
  if (Buffer.byteLength(text, 'utf8') > MAX_SEALED_BYTES) return new Fail(`too large: over ${MAX_SEALED_BYTES} bytes`);
  let jws: unknown;
  try {
    jws = JSON.parse(text);
  } catch (e) {
    return new Fail(`not JSON: ${errorMessage(e)}`);
  }
  if (!isObject(jws)) return new Fail('not a JWS: the JSON is not an object');
  let sig: unknown = jws;
  if ('signatures' in jws) {
    if (!Array.isArray(jws.signatures) || jws.signatures.length !== 1) return new Fail('a seal has exactly one signature');
    sig = jws.signatures[0];
  }
  if (!isObject(sig) || typeof sig.protected !== 'string' || typeof sig.signature !== 'string') return new Fail('not a JWS: no protected header or signature');
  if (typeof jws.payload !== 'string') return new Fail('no attached payload: the credential must be in the seal');
  if (!/^[A-Za-z0-9_-]+$/.test(sig.protected) || !/^[A-Za-z0-9_-]+$/.test(sig.signature)) return new Fail('the protected header or signature is not base64url');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(sig.protected, 'base64url').toString('utf8'));
  } catch {
    return new Fail('the protected header is not JSON');
  }
  if (!isObject(header)) return new Fail('the protected header is not a JSON object');
  if (typeof header.alg !== 'string' || !ALGORITHMS.includes(header.alg)) return new Fail(`alg ${JSON.stringify(header.alg)} is not a seal algorithm`);
  if (header.b64 !== false) return new Fail('b64 must be false (the payload is attached unencoded)');
  const crit = header.crit;
  if (!Array.isArray(crit) || !crit.includes('b64') || !crit.includes('sigT')) return new Fail('crit must list b64 and sigT');
  for (const c of crit) {
    if (typeof c !== 'string' || !UNDERSTOOD_CRIT.has(c)) return new Fail(`crit names ${JSON.stringify(c)}, which this verifier does not understand`);
    if (!(c in header)) return new Fail(`crit names ${c}, which the header lacks`);
  }
  if (typeof header.sigT !== 'string' || !DATE_TIME.test(header.sigT) || Number.isNaN(Date.parse(header.sigT))) return new Fail('sigT is not a date-time');
  if (!Array.isArray(header.x5c) || header.x5c.length === 0 || header.x5c.length > 10) return new Fail('x5c must hold the seal certificate (and at most 9 more)');
  const certs: X509Certificate[] = [];
  for (const [i, c] of header.x5c.entries()) {
    if (typeof c !== 'string' || !/^[A-Za-z0-9+/]+={0,2}$/.test(c)) return new Fail(`x5c[${i}] is not base64`);
    try {
      certs.push(new X509Certificate(Buffer.from(c, 'base64')));
    } catch {
      return new Fail(`x5c[${i}] is not a certificate`);
    }
  }
  let credential: unknown;
  try {
    credential = JSON.parse(jws.payload);
  } catch {
    return new Fail('the payload is not JSON');
  }
  if (!isObject(credential)) return new Fail('the payload is not a JSON object');
  return { payload: jws.payload, protectedB64: sig.protected, signature: sig.signature, header, credential, certs };
}

async function signature(p: Parsed): Promise<Check> {
  const leaf = p.certs[0] as X509Certificate;
  try {
    await flattenedVerify({ payload: p.payload, protected: p.protectedB64, signature: p.signature }, leaf.publicKey, {
      algorithms: [p.header.alg as string],
      crit: { sigT: true, adoTst: true },
    });
    return { name: 'signature', passed: true, reason: `${String(p.header.alg)} signature verifies with the seal certificate's key` };
  } catch (e) {
    return { name: 'signature', passed: false, reason: `the signature does not verify: ${errorMessage(e)}` };
  }
}

function sha256(c: X509Certificate): string {
  return createHash('sha256').update(c.raw).digest('base64url');
}

function issued(child: X509Certificate, parent: X509Certificate): boolean {
  try {
    return child.checkIssued(parent) && child.verify(parent.publicKey);
  } catch {
    return false;
  }
}

function mayCertify(c: X509Certificate): boolean {
  return c.ca;
}

function maySeal(c: X509Certificate): boolean {
  const x509 = peculiarX509();
  const ku = new x509.X509Certificate(c.raw).getExtension(x509.KeyUsagesExtension);
  if (!ku) return true;
  return (ku.usages & (x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation)) !== 0;
}

/** The path from the seal certificate to a trust anchor (leaf first, anchor last), or why there is none. */
function path(certs: X509Certificate[], anchors: X509Certificate[]): X509Certificate[] | Fail {
  const leaf = certs[0] as X509Certificate;
  if (leaf.ca) return new Fail('the seal certificate is a CA certificate');
  if (!maySeal(leaf)) return new Fail('the seal certificate may not sign (key usage has neither digitalSignature nor nonRepudiation)');
  const anchorPrints = new Set(anchors.map(sha256));
  const chain = [leaf];
  let current = leaf;
  for (let depth = 0; depth < 10; depth++) {
    if (depth > 0 && anchorPrints.has(sha256(current))) return chain;
    const anchor = anchors.find((a) => issued(current, a));
    if (anchor) {
      if (!mayCertify(anchor)) return new Fail(`the trust anchor ${anchor.subject.replace(/\n/g, ', ')} is not a CA certificate`);
      if (sha256(anchor) !== sha256(current)) chain.push(anchor);
      return chain;
    }
    const next = certs.slice(1).find((c) => c !== current && mayCertify(c) && issued(current, c));
    if (!next) return new Fail(`no trusted CA issued ${current.subject.replace(/\n/g, ', ')} (issuer ${current.issuer.replace(/\n/g, ', ')})`);
    chain.push(next);
    current = next;
  }
  return new Fail('the certificate path is too long');
}

function readAnchors(pems: string[]): X509Certificate[] {
  const out: X509Certificate[] = [];
  for (const pem of pems) {
    for (const block of pemBlocks(String(pem))) {
      try {
        out.push(new X509Certificate(block));
      } catch {
        // an unreadable anchor is no anchor
      }
    }
  }
  return out;
}

function issuerCheck(p: Parsed, opts: VerifyOptions): Check & { heiId?: string } {
  const issuerId = isObject(p.credential.issuer) ? p.credential.issuer.id : p.credential.issuer;
  const heiId = heiIdOf(issuerId);
  if (!heiId) return { name: 'issuer', passed: false, reason: `the issuer ${JSON.stringify(issuerId)} is not an institution id (urn:schac:homeOrganization:<SCHAC code>)` };
  if (!opts.knownIssuers.includes(heiId)) return { name: 'issuer', passed: false, reason: `${heiId} is not a known issuer`, heiId };
  const leaf = p.certs[0] as X509Certificate;
  const san = (leaf.subjectAltName ?? '').split(/,\s*/);
  const named = san.includes(`URI:${issuerUri(heiId)}`) || san.includes(`DNS:${heiId}`);
  const listed = opts.issuerCertificates?.[heiId]?.includes(sha256(leaf)) ?? false;
  if (!named && !listed)
    return { name: 'issuer', passed: false, reason: `the seal certificate is not ${heiId}'s: it names neither ${issuerUri(heiId)} nor DNS ${heiId}, and is not listed for it`, heiId };
  return { name: 'issuer', passed: true, reason: `issued and sealed by ${heiId}`, heiId };
}

function integrity(p: Parsed): Check {
  const leaf = p.certs[0] as X509Certificate;
  const t = p.header['x5t#S256'];
  if (t === undefined) return { name: 'integrity', passed: false, reason: 'the signed header has no x5t#S256: the seal certificate is not bound to the signature' };
  if (t !== sha256(leaf)) return { name: 'integrity', passed: false, reason: 'x5t#S256 in the signed header is not the digest of the seal certificate in x5c' };
  return { name: 'integrity', passed: true, reason: 'the signed header binds the seal certificate (x5t#S256); the payload is the signed text' };
}

function hasIn(list: unknown, v: string): boolean {
  return Array.isArray(list) && list.includes(v);
}

async function schema(c: JsonObject, opts: VerifyOptions): Promise<Check> {
  const problems: string[] = [];
  if (!hasIn(c['@context'], EDC_CONTEXT)) problems.push(`@context lacks ${EDC_CONTEXT}`);
  if (!hasIn(c['@context'], VC_V1_CONTEXT) && !hasIn(c['@context'], 'https://www.w3.org/ns/credentials/v2')) problems.push('@context lacks the W3C credentials context');
  if (!hasIn(c.type, 'VerifiableCredential') || !hasIn(c.type, 'EuropeanDigitalCredential')) problems.push('type must include VerifiableCredential and EuropeanDigitalCredential');
  if (typeof c.id !== 'string' || !/^[A-Za-z][A-Za-z0-9+.-]*:\S+$/.test(c.id)) problems.push('id is not a URI');
  if (!isObject(c.issuer) || typeof c.issuer.id !== 'string') problems.push('issuer has no id');
  if (!isObject(c.credentialSubject) || typeof c.credentialSubject.id !== 'string') problems.push('credentialSubject has no id');
  if (!isObject(c.credentialSubject) || c.credentialSubject.hasClaim === undefined) problems.push('credentialSubject has no claim');
  if (typeof c.validFrom !== 'string' || !DATE_TIME.test(c.validFrom)) problems.push('validFrom is not a date-time');
  if (opts.validateSchema) {
    try {
      problems.push(...(await opts.validateSchema(c)));
    } catch (e) {
      problems.push(`the schema check failed: ${errorMessage(e)}`);
    }
  }
  return problems.length ? { name: 'schema', passed: false, reason: problems.join('; ') } : { name: 'schema', passed: true, reason: 'a European Digital Credential' };
}

async function revocation(c: JsonObject, opts: VerifyOptions): Promise<Check> {
  const status = c.credentialStatus;
  if (status === undefined) return { name: 'revocation', passed: true, reason: 'no credentialStatus: the credential cannot be revoked' };
  const entries = (Array.isArray(status) ? status : [status]).filter((s) => isObject(s) && s.statusPurpose === 'revocation');
  if (entries.length === 0) return { name: 'revocation', passed: false, reason: 'credentialStatus has no revocation entry' };
  for (const e of entries as JsonObject[]) {
    const url = e.statusListCredential;
    const index = typeof e.statusListIndex === 'string' && /^\d{1,15}$/.test(e.statusListIndex) ? Number(e.statusListIndex) : typeof e.statusListIndex === 'number' ? e.statusListIndex : NaN;
    if (e.type !== 'BitstringStatusListEntry' || typeof url !== 'string' || !/^https?:\/\/\S+$/.test(url) || !Number.isSafeInteger(index) || index < 0) {
      return { name: 'revocation', passed: false, reason: 'credentialStatus is not a BitstringStatusListEntry with a status list URL and index' };
    }
    if (!opts.isRevoked) return { name: 'revocation', passed: false, reason: `not checked: no status lookup given for ${url} #${index}` };
    try {
      if (await opts.isRevoked(url, index)) return { name: 'revocation', passed: false, reason: `revoked (${url} #${index})` };
    } catch (err) {
      return { name: 'revocation', passed: false, reason: `the status list could not be read: ${errorMessage(err)}` };
    }
  }
  return { name: 'revocation', passed: true, reason: 'not revoked' };
}

function validity(p: Parsed, chain: X509Certificate[] | Fail, now: Date): Check {
  const t = now instanceof Date ? now.getTime() : NaN;
  if (Number.isNaN(t)) return { name: 'validity', passed: false, reason: 'no current time given (now)' };
  const sigT = Date.parse(p.header.sigT as string);
  const leaf = p.certs[0] as X509Certificate;
  const from = Date.parse(leaf.validFrom);
  const to = Date.parse(leaf.validTo);
  if (sigT > t + SKEW_MS) return { name: 'validity', passed: false, reason: `sigT ${String(p.header.sigT)} is in the future` };
  if (sigT < from || sigT > to) return { name: 'validity', passed: false, reason: `sigT ${String(p.header.sigT)} is outside the seal certificate's validity (${leaf.validFrom} – ${leaf.validTo})` };
  for (const c of chain instanceof Fail ? [leaf] : chain) {
    if (t < Date.parse(c.validFrom)) return { name: 'validity', passed: false, reason: `the certificate ${c.subject.replace(/\n/g, ', ')} is not valid yet (from ${c.validFrom})` };
    if (t > Date.parse(c.validTo)) return { name: 'validity', passed: false, reason: `the certificate ${c.subject.replace(/\n/g, ', ')} expired ${c.validTo}` };
  }
  const vf = p.credential.validFrom;
  if (typeof vf === 'string' && Date.parse(vf) > t + SKEW_MS) return { name: 'validity', passed: false, reason: `the credential is valid from ${vf}` };
  for (const k of ['expirationDate', 'validUntil']) {
    const v = p.credential[k];
    if (typeof v === 'string' && Date.parse(v) < t) return { name: 'validity', passed: false, reason: `the credential expired ${v} (${k})` };
  }
  return { name: 'validity', passed: true, reason: 'the certificates are valid now and were at sigT' };
}

/**
 * Verifies a sealed credential (JWS JSON with a JAdES header, as `seal` makes and the EDC sample shows):
 * format, signature, certificate chain to a trust anchor, issuer, the header's binding of the certificate,
 * the credential's shape, revocation and time validity. Never throws: every problem is a failed check.
 */
export async function verifyCredential(sealed: unknown, opts: VerifyOptions): Promise<Verdict> {
  const checks: Check[] = [];
  let parsed: Parsed | Fail;
  try {
    parsed = parse(sealed);
  } catch (e) {
    parsed = new Fail(`unreadable: ${errorMessage(e)}`);
  }
  if (parsed instanceof Fail) {
    return {
      valid: false,
      checks: ORDER.map((name) => (name === 'format' ? { name, passed: false, reason: parsed.reason } : { name, passed: false, reason: 'not checked: the seal could not be read' })),
    };
  }
  const p = parsed;
  checks.push({ name: 'format', passed: true, reason: `JWS JSON with a JAdES header (${String(p.header.alg)}, b64 false, crit ${(p.header.crit as string[]).join(',')})` });
  let heiId: string | undefined;
  const guard = async (name: CheckName, f: () => Check | Promise<Check>) => {
    try {
      checks.push(await f());
    } catch (e) {
      checks.push({ name, passed: false, reason: `could not be checked: ${errorMessage(e)}` });
    }
  };
  await guard('signature', () => signature(p));
  let chain: X509Certificate[] | Fail = new Fail('not built');
  await guard('chain', () => {
    chain = path(p.certs, readAnchors(opts.trustAnchors ?? []));
    return chain instanceof Fail
      ? { name: 'chain', passed: false, reason: chain.reason }
      : { name: 'chain', passed: true, reason: `issued under ${(chain.at(-1) as X509Certificate).subject.replace(/\n/g, ', ')}` };
  });
  await guard('issuer', () => {
    const c = issuerCheck(p, opts);
    heiId = c.heiId;
    return { name: c.name, passed: c.passed, reason: c.reason };
  });
  await guard('integrity', () => integrity(p));
  await guard('schema', () => schema(p.credential, opts));
  await guard('revocation', () => revocation(p.credential, opts));
  await guard('validity', () => validity(p, chain, opts.now));
  return {
    valid: checks.every((c) => c.passed),
    checks,
    credential: p.credential,
    ...(heiId ? { heiId } : {}),
    signedAt: p.header.sigT as string,
  };
}
