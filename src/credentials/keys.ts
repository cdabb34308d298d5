import { X509Certificate, createPrivateKey, sign as nodeSign, webcrypto, type KeyObject } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peculiarX509, type X509Keys } from '../core/x509.ts';
import { ConfigError } from '../core/errors.ts';
import { issuerUri } from './vocab.ts';
import { toPem } from '../core/pem.ts';

/** JWS algorithms a seal may use (JAdES: ES256 on P-256, RS256 on RSA 2048+). */
export type SealAlgorithm = 'ES256' | 'RS256';

/**
 * What seals a credential: the file signer below, or an HSM / remote signing service that keeps the key.
 * `sign` gets the JWS signing input and returns the JWS signature value (for ES256 the 64-byte r‖s, not DER).
 */
export interface Signer {
  algorithm: SealAlgorithm;
  /** The seal certificate first, then the CA certificates up to the root: DER, base64 (not url-safe), as in `x5c`. */
  certificateChain: string[];
  sign(bytes: Uint8Array): Promise<Uint8Array>;
}

/** One institution's seal key and certificates, as PEM. */
export interface SealKeys {
  heiId: string;
  algorithm: SealAlgorithm;
  privateKeyPem: string;
  certificatePem: string;
  /** The CA certificates from the seal certificate's issuer up to the root. */
  chainPem: string;
}

export const SEAL_KEY = 'seal.key.pem';
export const SEAL_CERT = 'seal.cert.pem';
export const CHAIN = 'chain.pem';

const HEI_ID = /^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/;

/** `<dir>/<heiId>`: where an institution's seal files are. */
export function sealKeysFolder(dir: string, heiId: string): string {
  if (!HEI_ID.test(heiId)) throw new ConfigError(`not a SCHAC code: ${JSON.stringify(heiId)}`);
  return join(dir, heiId);
}

/** The PEM blocks of a file, in order. */
export function pemBlocks(pem: string, label = 'CERTIFICATE'): string[] {
  return [...pem.matchAll(new RegExp(`-----BEGIN ${label}-----[\\s\\S]+?-----END ${label}-----`, 'g'))].map((m) => `${m[0]}\n`);
}

function algorithmOf(key: KeyObject): SealAlgorithm {
  if (key.asymmetricKeyType === 'ec' && key.asymmetricKeyDetails?.namedCurve === 'prime256v1') return 'ES256';
  if (key.asymmetricKeyType === 'rsa' && (key.asymmetricKeyDetails?.modulusLength ?? 0) >= 2048) return 'RS256';
  throw new ConfigError(`a seal key must be EC P-256 (ES256) or RSA of 2048 bits or more (RS256), not ${key.asymmetricKeyType ?? 'unknown'}`);
}

/**
 * The seal key and certificates of `heiId` in `<dir>/<heiId>/` (seal.key.pem, seal.cert.pem, chain.pem).
 * Throws ConfigError when a file is missing, the key is not one a seal may use, or the certificate is not the key's.
 */
export function readSealKeys(dir: string, heiId: string): SealKeys {
  const folder = sealKeysFolder(dir, heiId);
  const missing = [SEAL_KEY, SEAL_CERT, CHAIN].filter((f) => !existsSync(join(folder, f)));
  if (missing.length) throw new ConfigError(`no seal for ${heiId}: ${missing.join(', ')} missing in ${folder}`, { extra: { missing } });
  const privateKeyPem = readFileSync(join(folder, SEAL_KEY), 'utf8');
  const certificatePem = readFileSync(join(folder, SEAL_CERT), 'utf8');
  const chainPem = readFileSync(join(folder, CHAIN), 'utf8');
  let key: KeyObject;
  let cert: X509Certificate;
  try {
    key = createPrivateKey(privateKeyPem);
    cert = new X509Certificate(certificatePem);
    for (const c of pemBlocks(chainPem)) new X509Certificate(c);
  } catch (e) {
    throw new ConfigError(`the seal files of ${heiId} in ${folder} cannot be read`, { cause: e });
  }
  if (!cert.checkPrivateKey(key)) throw new ConfigError(`${SEAL_CERT} of ${heiId} is not the certificate of ${SEAL_KEY}`);
  return { heiId, algorithm: algorithmOf(key), privateKeyPem, certificatePem, chainPem };
}

function der64(pem: string): string {
  return new X509Certificate(pem).raw.toString('base64');
}

/** A Signer over a key held in memory (read from the PEM files). */
export function fileSigner(keys: SealKeys): Signer {
  const key = createPrivateKey(keys.privateKeyPem);
  const algorithm = algorithmOf(key);
  const certificateChain = [der64(keys.certificatePem), ...pemBlocks(keys.chainPem).map(der64)];
  return {
    algorithm,
    certificateChain,
    sign: async (bytes) => new Uint8Array(algorithm === 'ES256' ? nodeSign('sha256', bytes, { key, dsaEncoding: 'ieee-p1363' }) : nodeSign('sha256', bytes, key)),
  };
}

export interface DevSealOptions {
  /** ES256 (default) or RS256. */
  algorithm?: SealAlgorithm;
  /** Name in the certificates; default the SCHAC code. */
  organisation?: string;
  /** Validity of the seal certificate; default now to now + 2 years (the CA: 5 years around it). */
  notBefore?: Date;
  notAfter?: Date;
  /** Replace files already there (default: keep them and return them). */
  overwrite?: boolean;
}

/** A distinguished-name value safe inside an RFC 4514 string. */
function dnValue(v: string): string {
  return v.replace(/([,+"\\<>;=])/g, '\\$1');
}

/**
 * A development seal for `heiId`: a CA (self-signed, 5 years) and a seal certificate it issues (2 years;
 * key usage digitalSignature + nonRepudiation; subjectAltName URI urn:schac:homeOrganization:<heiId>, which
 * the verifier's issuer check reads), written to `<dir>/<heiId>/` with the key readable by its owner only.
 * The CA's own key is not kept. Production puts the institution's issued seal (e.g. a qualified eSeal
 * certificate) in the same files, or replaces the file signer with an HSM one (docs/credentials.md).
 */
export async function createDevSealKeys(dir: string, heiId: string, opts: DevSealOptions = {}): Promise<SealKeys & { created: boolean; caCertificatePem: string }> {
  const folder = sealKeysFolder(dir, heiId);
  if (!opts.overwrite && [SEAL_KEY, SEAL_CERT, CHAIN].every((f) => existsSync(join(folder, f)))) {
    const keys = readSealKeys(dir, heiId);
    return { ...keys, created: false, caCertificatePem: pemBlocks(keys.chainPem).at(-1) ?? '' };
  }
  const subtle = webcrypto.subtle;
  const x509 = peculiarX509();
  const algorithm = opts.algorithm ?? 'ES256';
  const alg =
    algorithm === 'ES256'
      ? { gen: { name: 'ECDSA', namedCurve: 'P-256' }, signing: { name: 'ECDSA', hash: 'SHA-256' } }
      : {
          gen: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 },
          signing: { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256' },
        };
  const org = dnValue(opts.organisation ?? heiId);
  const notBefore = opts.notBefore ?? new Date();
  const notAfter = opts.notAfter ?? new Date(notBefore.getTime() + 2 * 365 * 86_400_000);
  const caKeys = (await subtle.generateKey(alg.gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair as unknown as X509Keys;
  const caName = `CN=${dnValue(heiId)} development seal CA, O=${org}, C=LV`;
  const ca = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: `01${Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex')}`,
    name: caName,
    notBefore: new Date(notBefore.getTime() - 365 * 86_400_000),
    notAfter: new Date(notAfter.getTime() + 2 * 365 * 86_400_000),
    keys: caKeys,
    signingAlgorithm: alg.signing,
    extensions: [
      new x509.BasicConstraintsExtension(true, 0, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.keyCertSign | x509.KeyUsageFlags.cRLSign, true),
      await x509.SubjectKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const keys = (await subtle.generateKey(alg.gen, true, ['sign', 'verify'])) as webcrypto.CryptoKeyPair as unknown as X509Keys;
  const cert = await x509.X509CertificateGenerator.create({
    serialNumber: `02${Buffer.from(webcrypto.getRandomValues(new Uint8Array(8))).toString('hex')}`,
    subject: `CN=${dnValue(heiId)} seal (development), O=${org}, C=LV`,
    issuer: ca.subject,
    notBefore,
    notAfter,
    publicKey: keys.publicKey,
    signingKey: caKeys.privateKey,
    signingAlgorithm: alg.signing,
    extensions: [
      new x509.BasicConstraintsExtension(false, undefined, true),
      new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true),
      new x509.SubjectAlternativeNameExtension([
        { type: 'url', value: issuerUri(heiId) },
        { type: 'dns', value: heiId },
      ]),
      await x509.SubjectKeyIdentifierExtension.create(keys.publicKey),
      await x509.AuthorityKeyIdentifierExtension.create(caKeys.publicKey),
    ],
  });
  const privateKeyPem = toPem(await subtle.exportKey('pkcs8', keys.privateKey as unknown as webcrypto.CryptoKey), 'PRIVATE KEY');
  const certificatePem = `${cert.toString('pem')}\n`;
  const chainPem = `${ca.toString('pem')}\n`;
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, SEAL_KEY), privateKeyPem, { mode: 0o600 });
  chmodSync(join(folder, SEAL_KEY), 0o600);
  writeFileSync(join(folder, SEAL_CERT), certificatePem);
  writeFileSync(join(folder, CHAIN), chainPem);
  return { heiId, algorithm, privateKeyPem, certificatePem, chainPem, created: true, caCertificatePem: chainPem };
}
