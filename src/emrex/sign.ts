import { SignedXml } from 'xml-crypto';
import type { SealKey } from './keys.ts';

const C14N = 'http://www.w3.org/2001/10/xml-exc-c14n#';
const ENVELOPED = 'http://www.w3.org/2000/09/xmldsig#enveloped-signature';

/**
 * Seals an ELMO document with an enveloped XML-DSig signature over the whole document (reference URI "",
 * enveloped-signature and exclusive canonicalisation transforms, RSA-SHA256, SHA-256 digest), placed as the
 * last child of `<elmo>` where the ELMO schema expects it, with the certificate in KeyInfo/X509Data.
 */
export function sealElmo(xml: string, key: SealKey): string {
  const sig = new SignedXml({
    privateKey: key.privateKeyPem,
    publicCert: key.certificatePem,
    canonicalizationAlgorithm: C14N,
    signatureAlgorithm: 'http://www.w3.org/2001/04/xmldsig-more#rsa-sha256',
  });
  sig.addReference({ xpath: "/*[local-name(.)='elmo']", transforms: [ENVELOPED, C14N], digestAlgorithm: 'http://www.w3.org/2001/04/xmlenc#sha256', isEmptyUri: true });
  sig.computeSignature(xml, { location: { reference: "/*[local-name(.)='elmo']", action: 'append' }, prefix: 'ds' });
  return sig.getSignedXml();
}
