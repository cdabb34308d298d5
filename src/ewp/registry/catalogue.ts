import { NS } from '../xml/ns.ts';
import { attr, child, children, elements, text, type XElem } from '../xml/parse.ts';
import { MalformedInputError } from '../../core/errors.ts';

/** One `<host>` of the registry catalogue. */
export interface CatalogueHost {
  heis: string[];
  clientKeys: string[];
  serverKeys: string[];
  apis: XElem[];
}

export interface ApiEntry {
  entry: XElem;
  host: CatalogueHost;
  version: string;
}

/** Semantic-version order (the catalogue lists entries in no particular order). */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(/[.-]/).map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/**
 * The registry catalogue (ewp-specs-api-registry catalogue.xsd), indexed for the look-ups the
 * spec recommends: a key by its SHA-256, the HEIs a client key covers, a HEI's API entries,
 * and whether a server key belongs to the host that serves an API.
 */
export class Catalogue {
  readonly hosts: CatalogueHost[] = [];
  private readonly binaries = new Map<string, string>();
  readonly institutions = new Map<string, { names: string[]; otherIds: { type: string; value: string }[] }>();

  constructor(root: XElem) {
    const r = NS.registry;
    if (root.local !== 'catalogue' || root.ns !== r) throw new MalformedInputError(`not a registry catalogue: <${root.local}> in ${root.ns || 'no namespace'}`);
    for (const h of children(root, 'host', r)) {
      const keys = (name: string) => {
        const c = child(h, name, r);
        return c
          ? children(c, 'rsa-public-key', r)
              .map((k) => (attr(k, 'sha-256') ?? '').toLowerCase())
              .filter(Boolean)
          : [];
      };
      const covered = child(h, 'institutions-covered', r);
      const apis = child(h, 'apis-implemented', r);
      this.hosts.push({
        heis: covered ? children(covered, 'hei-id', r).map((x) => text(x).trim()) : [],
        clientKeys: keys('client-credentials-in-use'),
        serverKeys: keys('server-credentials-in-use'),
        apis: apis ? elements(apis) : [],
      });
    }
    const bin = child(root, 'binaries', r);
    for (const k of bin ? children(bin, 'rsa-public-key', r) : []) {
      const sha = (attr(k, 'sha-256') ?? '').toLowerCase();
      if (sha) this.binaries.set(sha, text(k).replace(/\s+/g, ''));
    }
    const inst = child(root, 'institutions', r);
    for (const hei of inst ? children(inst, 'hei', r) : []) {
      const id = attr(hei, 'id');
      if (!id) continue;
      this.institutions.set(id, {
        names: children(hei, 'name', r).map((n) => text(n).trim()),
        otherIds: children(hei, 'other-id', r).map((o) => ({ type: attr(o, 'type') ?? '', value: text(o).trim() })),
      });
    }
  }

  /** Base64 SPKI of a key listed in `<binaries>`. */
  keyBySha(sha: string): string | undefined {
    return this.binaries.get(sha.toLowerCase());
  }

  /** Whether any host lists this key among its client credentials. */
  isClientKey(sha: string): boolean {
    return this.hosts.some((h) => h.clientKeys.includes(sha.toLowerCase()));
  }

  /** The HEIs covered by the hosts that use this client key (0..n). */
  heisCoveredByClientKey(sha: string): string[] {
    const out = new Set<string>();
    for (const h of this.hosts) if (h.clientKeys.includes(sha.toLowerCase())) for (const hei of h.heis) out.add(hei);
    return [...out];
  }

  /** The entries of an API (by manifest-entry namespace and element name) for a HEI, highest version first. */
  apis(heiId: string, ns: string, local: string): ApiEntry[] {
    const out: ApiEntry[] = [];
    for (const host of this.hosts) {
      if (!host.heis.includes(heiId)) continue;
      for (const e of host.apis) if (e.ns === ns && e.local === local) out.push({ entry: e, host, version: attr(e, 'version') ?? '0.0.0' });
    }
    return out.sort((a, b) => compareVersions(b.version, a.version));
  }
}
