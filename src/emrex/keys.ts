import { webcrypto } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { peculiarX509, type X509Keys } from '../core/x509.ts';

/** The key and certificate the contact point seals ELMO documents with (PEM). */
export interface SealKey {
  privateKeyPem: string;
  certificatePem: string;
}

const KEY = 'emrex-seal-key.pem';
const CERT = 'emrex-seal-cert.pem';

/** The seal key and certificate of `dir`, or undefined when there are none. */
export function readSealKey(dir: string): SealKey | undefined {
  if (!existsSync(join(dir, KEY)) || !existsSync(join(dir, CERT))) return undefined;
  return { privateKeyPem: readFileSync(join(dir, KEY), 'utf8'), certificatePem: readFileSync(join(dir, CERT), 'utf8') };
}

/**
 * A development seal: an RSA 2048 key and a self-signed certificate (two years) for the contact point,
 * written to `dir` (the key readable by its owner only). Production uses a key and certificate issued
 * for the institution; `hub emrex keys` says where they go.
 */
export async function createDevSealKey(dir: string, subject = 'CN=study-data-hub EMREX contact point (development), C=LV'): Promise<SealKey & { created: boolean }> {
  const existing = readSealKey(dir);
  if (existing) return { ...existing, created: false };
  const x509 = peculiarX509();
  const alg = { name: 'RSASSA-PKCS1-v1_5', hash: 'SHA-256', publicExponent: new Uint8Array([1, 0, 1]), modulusLength: 2048 };
  const keys = await webcrypto.subtle.generateKey(alg, true, ['sign', 'verify']);
  const now = new Date();
  const cert = await x509.X509CertificateGenerator.createSelfSigned({
    serialNumber: Date.now().toString(16),
    name: subject,
    notBefore: now,
    notAfter: new Date(now.getTime() + 2 * 365 * 86_400_000),
    keys: keys as unknown as X509Keys,
    signingAlgorithm: alg,
    extensions: [new x509.KeyUsagesExtension(x509.KeyUsageFlags.digitalSignature | x509.KeyUsageFlags.nonRepudiation, true)],
  });
  const pkcs8 = Buffer.from(await webcrypto.subtle.exportKey('pkcs8', keys.privateKey));
  const privateKeyPem = `-----BEGIN PRIVATE KEY-----\n${pkcs8
    .toString('base64')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END PRIVATE KEY-----\n`;
  const certificatePem = `${cert.toString('pem')}\n`;
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, KEY), privateKeyPem, { mode: 0o600 });
  chmodSync(join(dir, KEY), 0o600);
  writeFileSync(join(dir, CERT), certificatePem);
  return { privateKeyPem, certificatePem, created: true };
}
