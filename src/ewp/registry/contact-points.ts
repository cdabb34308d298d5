import { X509Certificate } from 'node:crypto';
import { EMREX_DATA_ACCESS_POINT } from '../xml/ns.ts';
import { childText, children, text } from '../xml/parse.ts';
import type { Catalogue } from './catalogue.ts';

/** An EMREX contact point (EMP/NCP) as a directory lists it: where learners are sent and what its documents are sealed with. */
export interface ContactPoint {
  /** Where a client POSTs sessionId and returnUrl; also the contact point's id. */
  url: string;
  name: string;
  /** ISO 3166-1 alpha-2. */
  countryCode: string;
  /** Institutions whose results it gives (SCHAC codes or names, as listed; may be empty: a national contact point). */
  institutions: string[];
  /** The certificates its ELMO documents are sealed with (PEM). */
  certificates: string[];
  /** Where the listing came from. */
  listedIn: 'registry' | 'emreg';
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** A contact point URL the hub sends learners to: https, http only on a loopback host (development and tests). */
export function acceptableUrl(url: string): boolean {
  try {
    const u = new URL(url);
    return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname));
  } catch {
    return false;
  }
}

/** A certificate in base64 (DER) or PEM as PEM; undefined when it is not a readable X.509 certificate. */
export function certificatePem(value: string): string | undefined {
  const b64 = value
    .replace(/-----(BEGIN|END) CERTIFICATE-----/g, '')
    .replace(/\s+/g, '')
    .trim();
  if (!b64 || !/^[A-Za-z0-9+/]+=*$/.test(b64)) return undefined;
  const pem = `-----BEGIN CERTIFICATE-----\n${b64.replace(/(.{64})/g, '$1\n').replace(/\n$/, '')}\n-----END CERTIFICATE-----\n`;
  try {
    new X509Certificate(pem);
    return pem;
  } catch {
    return undefined;
  }
}

/**
 * The EMREX contact points the registry catalogue lists: every `emrex-data-access-point` entry of any host
 * (ewp-specs-api-emrex-data-access-point manifest-entry.xsd: url, name, country-code, institution*,
 * certificate+), one per URL (a contact point advertised by several hosts is listed once, its certificates
 * merged). Entries without a usable URL or certificate are left out.
 */
export function contactPointsOf(catalogue: Catalogue): ContactPoint[] {
  const { ns, name } = EMREX_DATA_ACCESS_POINT;
  const byUrl = new Map<string, ContactPoint>();
  for (const host of catalogue.hosts) {
    for (const e of host.apis) {
      if (e.ns !== ns || e.local !== name) continue;
      const url = childText(e, 'url', ns)?.trim();
      const certificates = children(e, 'certificate', ns)
        .map((c) => certificatePem(text(c)))
        .filter((c): c is string => c !== undefined);
      if (!url || !acceptableUrl(url) || !certificates.length) continue;
      const have = byUrl.get(url);
      if (have) {
        for (const c of certificates) if (!have.certificates.includes(c)) have.certificates.push(c);
        continue;
      }
      byUrl.set(url, {
        url,
        name: childText(e, 'name', ns)?.trim() || url,
        countryCode: (childText(e, 'country-code', ns) ?? '').trim().toUpperCase(),
        institutions: children(e, 'institution', ns)
          .map((i) => text(i).trim())
          .filter(Boolean),
        certificates,
        listedIn: 'registry',
      });
    }
  }
  return [...byUrl.values()];
}
