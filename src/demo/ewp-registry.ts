import { createHash } from 'node:crypto';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { MalformedInputError } from '../core/errors.ts';

const GH = 'https://github.com/erasmus-without-paper';
/** The namespaces of the catalogue and of the prefixes the hub's manifests use (src/ewp/xml/ns.ts). */
const NS = {
  registry: `${GH}/ewp-specs-api-registry/tree/stable-v1`,
  ewp: `${GH}/ewp-specs-architecture/blob/stable-v1/common-types.xsd`,
  sec: `${GH}/ewp-specs-sec-intro/tree/stable-v2`,
};

/** The registry's id of a key: the lower-case hex SHA-256 of its DER SubjectPublicKeyInfo (what a manifest holds, in base64). */
function keyId(spkiBase64: string): string {
  return createHash('sha256').update(Buffer.from(spkiBase64, 'base64')).digest('hex');
}

/** The base64 keys of one credentials section of a manifest (`client-credentials-in-use` or `server-credentials-in-use`). */
function keysIn(manifest: string, section: string): string[] {
  const body = new RegExp(`<${section}>([\\s\\S]*?)</${section}>`).exec(manifest)?.[1] ?? '';
  return [...body.matchAll(/<rsa-public-key>([^<]+)<\/rsa-public-key>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
}

/**
 * A registry catalogue (ewp-specs-api-registry stable-v1) built from Discovery 6 manifests, as the EWP
 * registry builds it after reading them: one `<host>` per manifest with its APIs, the HEI it covers and
 * its keys by SHA-256, the HEIs with their names and ids, and the keys themselves in `<binaries>`.
 * The manifests are the hub's own (src/ewp/manifest.ts), whose prefixes the catalogue declares too.
 */
export function catalogueFromManifests(manifests: string[]): string {
  const binaries = new Map<string, string>();
  const refs = (keys: string[]) =>
    keys
      .map((b64) => {
        const sha = keyId(b64);
        binaries.set(sha, b64);
        return `<r:rsa-public-key sha-256="${sha}"/>`;
      })
      .join('');
  const hosts: string[] = [];
  const heis: string[] = [];
  for (const m of manifests) {
    const apis = /<r:apis-implemented>[\s\S]*<\/r:apis-implemented>/.exec(m)?.[0];
    const hei = /<r:hei id="([^"]+)"[\s\S]*?<\/r:hei>/.exec(m);
    if (!apis || !hei) throw new MalformedInputError('not a manifest of this hub (no r:apis-implemented or r:hei)');
    heis.push(hei[0]);
    hosts.push(
      `<r:host>${apis}<r:institutions-covered><r:hei-id>${hei[1]!}</r:hei-id></r:institutions-covered>` +
        `<r:client-credentials-in-use>${refs(keysIn(m, 'client-credentials-in-use'))}</r:client-credentials-in-use>` +
        `<r:server-credentials-in-use>${refs(keysIn(m, 'server-credentials-in-use'))}</r:server-credentials-in-use></r:host>`,
    );
  }
  const bin = [...binaries].map(([sha, b64]) => `<r:rsa-public-key sha-256="${sha}">${b64}</r:rsa-public-key>`).join('');
  return `<?xml version="1.0" encoding="UTF-8"?><r:catalogue xmlns:r="${NS.registry}" xmlns:ewp="${NS.ewp}" xmlns:sec="${NS.sec}">${hosts.join('')}<r:institutions>${heis.join('')}</r:institutions><r:binaries>${bin}</r:binaries></r:catalogue>`;
}

/**
 * The demo's EWP registry: serves a catalogue at `/catalogue-v1.xml` on loopback (http, which the hub
 * allows for a loopback registry), with an ETag and a short max-age so a rebuilt catalogue is seen.
 * Until the catalogue is published it answers 503, so a client keeps its cached copy rather than
 * taking an empty catalogue for the truth (and dropping notifications queued at an earlier run).
 */
export class LocalRegistry {
  catalogue: string | undefined;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/catalogue-v1.xml`;
  }

  async start(): Promise<this> {
    this.server = createServer((req, res) => {
      if (req.method !== 'GET' || (req.url ?? '').split('?')[0] !== '/catalogue-v1.xml') {
        res.writeHead(404).end();
        return;
      }
      const catalogue = this.catalogue;
      if (catalogue === undefined) {
        res.writeHead(503, { 'retry-after': '1' }).end('the catalogue is not published yet');
        return;
      }
      const etag = `"${createHash('sha256').update(catalogue).digest('hex').slice(0, 16)}"`;
      const headers = { etag, 'cache-control': 'max-age=60' };
      if (req.headers['if-none-match'] === etag) res.writeHead(304, headers).end();
      else res.writeHead(200, { ...headers, 'content-type': 'application/xml; charset=utf-8' }).end(catalogue);
    });
    await new Promise<void>((r) => this.server!.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as AddressInfo).port;
    return this;
  }

  /** Lists the hosts of these manifests (the registry's job after reading them). */
  publish(manifests: string[]): void {
    this.catalogue = catalogueFromManifests(manifests);
  }

  async close(): Promise<void> {
    const s = this.server;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }
}
