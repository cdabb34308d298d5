import { createRequire } from 'node:module';
import type * as X509 from '@peculiar/x509';

let loaded: typeof X509 | undefined;

/**
 * @peculiar/x509, loaded at its first use: with its ASN.1 schemas and decorators it costs ~0.14 s of
 * CPU to load, which a hub that makes and reads no certificate need not pay at every start. Its
 * package has one build (CommonJS), the one `import` would load too.
 */
export function peculiarX509(): typeof X509 {
  return (loaded ??= createRequire(import.meta.url)('@peculiar/x509') as typeof X509);
}
