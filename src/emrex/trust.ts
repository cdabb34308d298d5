import type { TrustedCertificate } from './verify.ts';
import { knownSealKey } from './seal-key.ts';

/**
 * The certificates an ELMO document someone received may be sealed with (`POST /api/v1/elmo/verify` and the
 * `/verify` page): this hub's own seal (when it has one in `keysDir`) and those of the EMREX contact points the
 * EWP registry and the EMREG list give (src/emrex/client/directory.ts), each with whose it is.
 */
export async function trustedElmoCertificates(keysDir: string, contactPoints: { certificates(): Promise<{ pem: string; label: string }[]> }): Promise<TrustedCertificate[]> {
  const own = knownSealKey(keysDir);
  return [...(own ? [{ pem: own.certificatePem, label: "this hub's seal" }] : []), ...(await contactPoints.certificates())];
}
