import { X509Certificate } from 'node:crypto';
import { SignedXml } from 'xml-crypto';
import { isHubError } from '../core/errors.ts';
import { attr, child, children, descendants, parseXml, text, type XElem } from '../ewp/xml/parse.ts';
import { ELMO_NS } from './elmo.ts';

/** The one enveloped signature element of a document, as text (xml-crypto reads it from there). */
const SIGNATURE = /<(?:([A-Za-z_][\w.-]*):)?Signature\b[^>]*xmlns(?::[A-Za-z_][\w.-]*)?="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#"[^>]*>[\s\S]*?<\/(?:\1:)?Signature>/g;

const DSIG = 'http://www.w3.org/2000/09/xmldsig#';

/** One check of a verification, passed or failed with the reason. */
export interface Check {
  name: 'well-formed' | 'elmo' | 'signature' | 'certificate' | 'attachments';
  passed: boolean;
  reason: string;
}

/** What the document says, once its checks are known (shown whatever the verdict, so the reason is visible). */
export interface Verdict {
  valid: boolean;
  checks: Check[];
  learner?: { givenNames: string; familyName: string; birthDate: string | null };
  reports?: { issuer: string; results: number }[];
  certificate?: { subject: string; sha256: string; validTo: string };
}

/**
/** A certificate the verifier trusts (PEM), with what to call it in the reason (default: 'a trusted certificate'). */
export type TrustedCertificate = string | { pem: string; label: string };

/**
 * Checks an ELMO document someone received: well-formed XML without a DOCTYPE (no entities), an ELMO
 * root, exactly one enveloped XML-DSig signature that verifies with the certificate it carries, that
 * certificate among the trusted ones (this hub's seal, the contact points of the EWP registry or an
 * EMREG list: the caller says which) and valid now, and the attachments being PDFs. Every check is
 * reported, passed or failed with its reason; nothing is thrown for bad input.
 */
export function verifyElmo(xml: string, trusted: readonly TrustedCertificate[], now = new Date()): Verdict {
  const checks: Check[] = [];
  const fail = (name: Check['name'], reason: string): Verdict => {
    checks.push({ name, passed: false, reason });
    return { valid: false, checks };
  };
  if (/<!DOCTYPE|<!ENTITY/i.test(xml)) return fail('well-formed', 'a DOCTYPE or entity declaration is not accepted in an ELMO document');
  let root: XElem;
  try {
    root = parseXml(xml);
  } catch (e) {
    if (!isHubError(e)) throw e;
    return fail('well-formed', e.message);
  }
  checks.push({ name: 'well-formed', passed: true, reason: 'well-formed XML, no DOCTYPE' });
  if (root.local !== 'elmo' || root.ns !== ELMO_NS) return fail('elmo', `the root is {${root.ns}}${root.local}, not an ELMO 1.x <elmo>`);
  checks.push({ name: 'elmo', passed: true, reason: 'an ELMO 1.x document' });
  const learner = child(root, 'learner');
  const verdict: Verdict = {
    valid: false,
    checks,
    ...(learner
      ? { learner: { givenNames: text(child(learner, 'givenNames')).trim(), familyName: text(child(learner, 'familyName')).trim(), birthDate: text(child(learner, 'bday')).trim() || null } }
      : {}),
    reports: children(root, 'report').map((r) => {
      const issuer = child(r, 'issuer');
      const schac = issuer ? children(issuer, 'identifier').find((i) => attr(i, 'type') === 'schac') : undefined;
      return { issuer: text(schac ?? (issuer ? child(issuer, 'title') : undefined)).trim(), results: children(r, 'learningOpportunitySpecification').length };
    }),
  };
  const sigElems = descendants(root).filter((e) => e.local === 'Signature' && e.ns === DSIG);
  const sigTexts = [...xml.matchAll(SIGNATURE)].map((m) => m[0]);
  if (sigElems.length !== 1 || sigTexts.length !== 1) return { ...verdict, ...fail('signature', `${sigElems.length} XML-DSig signatures; exactly one is expected`) };
  const certB64 = descendants(sigElems[0]!).find((e) => e.local === 'X509Certificate' && e.ns === DSIG);
  if (!certB64) return { ...verdict, ...fail('signature', 'the signature carries no X.509 certificate') };
  const certPem = `-----BEGIN CERTIFICATE-----\n${text(certB64)
    .replace(/\s+/g, '')
    .replace(/(.{64})/g, '$1\n')
    .replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  let cert: X509Certificate;
  try {
    cert = new X509Certificate(certPem);
  } catch (e) {
    return { ...verdict, ...fail('signature', `the certificate cannot be read: ${(e as Error).message}`) };
  }
  verdict.certificate = { subject: cert.subject.replace(/\n/g, ', '), sha256: cert.fingerprint256, validTo: new Date(cert.validTo).toISOString() };
  try {
    const sig = new SignedXml({ publicCert: certPem, getCertFromKeyInfo: () => null });
    sig.loadSignature(sigTexts[0]!);
    if (!sig.getReferences().every((r) => r.isEmptyUri || r.uri === '')) return { ...verdict, ...fail('signature', 'the signature does not cover the whole document') };
    if (!sig.checkSignature(xml)) return { ...verdict, ...fail('signature', 'the signature does not verify: the document was changed after it was sealed') };
  } catch (e) {
    return { ...verdict, ...fail('signature', `the signature does not verify: ${(e as Error).message}`) };
  }
  checks.push({ name: 'signature', passed: true, reason: 'an enveloped signature over the whole document, verified with its certificate' });
  const match = trusted.find((t) => {
    try {
      return new X509Certificate(typeof t === 'string' ? t : t.pem).fingerprint256 === cert.fingerprint256;
    } catch {
      return false;
    }
  });
  const known = match !== undefined;
  const whose = typeof match === 'object' ? match.label : 'a trusted certificate';
  const current = Date.parse(cert.validFrom) <= now.getTime() && now.getTime() <= Date.parse(cert.validTo);
  checks.push({
    name: 'certificate',
    passed: known && current,
    reason: !known
      ? `certificate ${cert.fingerprint256} is not one this hub trusts`
      : current
        ? `${whose} (${verdict.certificate.subject}), valid until ${verdict.certificate.validTo}`
        : `the certificate is not valid now (${cert.validFrom} – ${cert.validTo})`,
  });
  const contents = descendants(root)
    .filter((e) => e.local === 'attachment' && e.ns === ELMO_NS)
    .flatMap((a) => children(a, 'content'));
  const notPdf = contents.filter((c) => {
    const m = /^data:application\/pdf;base64,([A-Za-z0-9+/=\s]+)$/.exec(text(c).trim());
    return !m || Buffer.from(m[1]!, 'base64').subarray(0, 5).toString('latin1') !== '%PDF-';
  });
  checks.push({
    name: 'attachments',
    passed: notPdf.length === 0,
    reason: notPdf.length ? `${notPdf.length} of ${contents.length} attachments are not PDF data` : `${contents.length} PDF attachments`,
  });
  verdict.valid = checks.every((c) => c.passed);
  return verdict;
}
