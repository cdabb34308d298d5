import { webcrypto } from 'node:crypto';
import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';

let loaded: typeof X509 | undefined;

/**
 * @peculiar/x509, loaded at its first use: with its ASN.1 schemas and decorators it costs ~0.14 s of
 * CPU to load, which a hub that makes and reads no certificate need not pay at every start. Its
 * package has one build (CommonJS), the one `import` would load too. Node's webcrypto is set as its
 * crypto provider once, when it loads.
 */
export function peculiarX509(): typeof X509 {
  if (!loaded) {
    loaded = createRequire(import.meta.url)('@peculiar/x509') as typeof X509;
    loaded.cryptoProvider.set(webcrypto as unknown as Parameters<typeof X509.cryptoProvider.set>[0]);
  }
  return loaded;
}

/** The key pair type @peculiar/x509 takes (the DOM's CryptoKeyPair, which node's webcrypto keys are). */
export type X509Keys = Parameters<typeof X509.X509CertificateGenerator.createSelfSigned>[0]['keys'];
