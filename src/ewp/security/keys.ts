import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, type KeyObject } from 'node:crypto';
import { chmodSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { ConfigError } from '../../core/errors.ts';

export const MIN_KEY_BITS = 2048;

/** An RSA key pair as EWP uses it: the keyId is the lower-case hex SHA-256 of the SPKI DER. */
export interface EwpKey {
  privateKey: KeyObject;
  publicKey: KeyObject;
  /** Lower-case hex SHA-256 of the DER SubjectPublicKeyInfo (what the registry lists as sha-256). */
  keyId: string;
  /** Base64 DER SubjectPublicKeyInfo, as written in a manifest's `<rsa-public-key>`. */
  spkiBase64: string;
  bits: number;
}

export function spkiDer(publicKey: KeyObject): Buffer {
  return publicKey.export({ type: 'spki', format: 'der' });
}

export function keyIdOf(publicKey: KeyObject): string {
  return createHash('sha256').update(spkiDer(publicKey)).digest('hex');
}

/** A public key from the base64 DER SPKI of a manifest or the registry's binaries. */
export function publicKeyFromBase64(b64: string): KeyObject {
  return createPublicKey({ key: Buffer.from(b64.replace(/\s+/g, ''), 'base64'), format: 'der', type: 'spki' });
}

export function toEwpKey(privateKey: KeyObject): EwpKey {
  if (privateKey.asymmetricKeyType !== 'rsa') throw new ConfigError(`EWP keys must be RSA, not ${privateKey.asymmetricKeyType}`);
  const publicKey = createPublicKey(privateKey);
  const bits = publicKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (bits < MIN_KEY_BITS) throw new ConfigError(`EWP keys must have at least ${MIN_KEY_BITS} bits; this one has ${bits}`);
  return { privateKey, publicKey, keyId: keyIdOf(publicKey), spkiBase64: spkiDer(publicKey).toString('base64'), bits };
}

export function generateEwpKey(bits = MIN_KEY_BITS): EwpKey {
  if (bits < MIN_KEY_BITS) throw new ConfigError(`EWP keys must have at least ${MIN_KEY_BITS} bits`);
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: bits, publicExponent: 0x10001 });
  return toEwpKey(privateKey);
}

/**
 * Key pairs on disk (PKCS#8 PEM, mode 0600): one client key per HEI (the registry rejects a
 * client key that is registered for another HEI) and one server key for response signing.
 */
export class KeyStore {
  private readonly cache = new Map<string, EwpKey>();

  constructor(readonly dir: string) {}

  private path(name: string): string {
    return join(this.dir, `${name}.pem`);
  }

  private load(name: string): EwpKey | undefined {
    const hit = this.cache.get(name);
    if (hit) return hit;
    let pem: string;
    try {
      pem = readFileSync(this.path(name), 'utf8');
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
      throw new ConfigError(`cannot read EWP key ${this.path(name)}: ${(e as Error).message}`);
    }
    const key = toEwpKey(createPrivateKey(pem));
    this.cache.set(name, key);
    return key;
  }

  /** The key, created when missing (exclusive create: concurrent processes end up with the same key). */
  private ensure(name: string, bits: number): { key: EwpKey; created: boolean } {
    const existing = this.load(name);
    if (existing) return { key: existing, created: false };
    mkdirSync(this.dir, { recursive: true, mode: 0o700 });
    const fresh = generateEwpKey(bits);
    try {
      writeFileSync(this.path(name), fresh.privateKey.export({ type: 'pkcs8', format: 'pem' }), { flag: 'wx', mode: 0o600 });
      chmodSync(this.path(name), 0o600);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      return { key: this.load(name)!, created: false };
    }
    this.cache.set(name, fresh);
    return { key: fresh, created: true };
  }

  clientKey(heiId: string, bits = MIN_KEY_BITS): { key: EwpKey; created: boolean } {
    return this.ensure(`client-${heiId}`, bits);
  }

  serverKey(bits = MIN_KEY_BITS): { key: EwpKey; created: boolean } {
    return this.ensure('server', bits);
  }
}
