import { createHash } from 'node:crypto';
import { createServer, request, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { HubConfig } from '../../../src/config/types.ts';
import { rsaSign, signingString, signRequest } from '../../../src/ewp/security/httpsig.ts';
import { keyIdOf, publicKeyFromBase64, type EwpKey } from '../../../src/ewp/security/keys.ts';
import { makeHub, type Backend, type TestHub } from '../../helpers/hub.ts';

/** A loopback HTTP server whose port is known before the hub is built (the config needs its URL). */
export async function listen(): Promise<{ server: Server; port: number; url: string; close(): Promise<void> }> {
  const server = createServer();
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

export const EWP_ENTITIES = ['inter-institutional-agreement', 'learning-agreement', 'mobility-period', 'attainment'];

/** Config of a hub that is the EWP node of one HEI: a local canonical source, the EWP source, an ewp-cnr route. */
export function ewpConfig(o: { hei: string; name: string; erasmus?: string; baseUrl: string; registryUrl: string; factsheetFile?: string; batchWindowMs?: number }): HubConfig {
  return {
    institutions: [{ id: o.hei, name: o.name, ...(o.erasmus ? { erasmusCode: o.erasmus } : {}) }],
    sources: [
      { id: 'local', institution: o.hei, mappingSet: 'canonical' },
      { id: 'ewp-in', institution: o.hei, mappingSet: 'canonical' },
    ],
    sinks: [{ id: 'ewp', type: 'ewp-cnr', options: { batchWindowMs: o.batchWindowMs ?? 50 } }],
    routes: [
      {
        id: 'ewp',
        sink: 'ewp',
        match: { entities: EWP_ENTITIES },
        legalBasis: 'public-task',
        purpose: 'Erasmus+ mobility with EWP partners',
        retry: { maxAttempts: 12, initialDelayMs: 100, maxDelayMs: 2000 },
      },
    ],
    ewp: {
      adminEmail: 'ewp-admin@hub.example',
      registryUrl: o.registryUrl,
      heis: [{ id: o.hei, baseUrl: o.baseUrl, source: 'ewp-in', ...(o.factsheetFile ? { factsheetFile: o.factsheetFile } : {}) }],
    },
  };
}

export interface EwpTestHub extends TestHub {
  url: string;
  base: string;
  close(): Promise<void>;
}

/** A hub serving one HEI's EWP endpoints on its own loopback port. */
export async function ewpHub(o: {
  hei: string;
  name: string;
  erasmus?: string;
  registryUrl: string;
  backend?: Backend;
  factsheetFile?: string;
  batchWindowMs?: number;
  publicBase?: string;
}): Promise<EwpTestHub> {
  const l = await listen();
  const base = o.publicBase ?? `${l.url}/ewp/${o.hei}`;
  const t = await makeHub({ config: ewpConfig({ ...o, baseUrl: base }), ...(o.backend ? { backend: o.backend } : {}) });
  l.server.on('request', t.app);
  return {
    ...t,
    url: l.url,
    base,
    close: async () => {
      await l.close();
      await t.stop();
    },
  };
}

/** A local registry: serves a catalogue built, as the real registry does, from manifests (and extra client keys). */
export class TestRegistry {
  catalogue = '<catalogue xmlns="https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1"><institutions/></catalogue>';
  requests = 0;
  notModified = 0;
  down = false;
  maxAge = 600;
  private l!: Awaited<ReturnType<typeof listen>>;

  get url(): string {
    return `${this.l.url}/catalogue-v1.xml`;
  }

  async start(): Promise<this> {
    this.l = await listen();
    this.l.server.on('request', (req, res) => {
      this.requests++;
      if (this.down) {
        res.writeHead(503).end('down');
        return;
      }
      const etag = `"${createHash('sha256').update(this.catalogue).digest('hex').slice(0, 16)}"`;
      if (req.headers['if-none-match'] === etag) {
        this.notModified++;
        res.writeHead(304, { etag, 'cache-control': `max-age=${this.maxAge}` }).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'application/xml', 'cache-control': `max-age=${this.maxAge}`, etag }).end(this.catalogue);
    });
    return this;
  }

  async close(): Promise<void> {
    await this.l.close();
  }

  /** Builds the catalogue from manifest documents and extra hosts (test callers with a client key). */
  build(manifests: string[], extra: { heis: string[]; clientKeys: EwpKey[] }[] = []): void {
    const R = 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1';
    const binaries = new Map<string, string>();
    const hosts: string[] = [];
    const heis: string[] = [];
    const b64s = (xml: string, section: string) =>
      [...(new RegExp(`<${section}>([\\s\\S]*?)</${section}>`).exec(xml)?.[1] ?? '').matchAll(/<rsa-public-key>([^<]+)<\/rsa-public-key>/g)].map((m) => m[1]!.replace(/\s+/g, ''));
    const keyRefs = (list: string[]) =>
      list
        .map((b) => {
          const sha = keyIdOf(publicKeyFromBase64(b));
          binaries.set(sha, b);
          return `<r:rsa-public-key sha-256="${sha}"/>`;
        })
        .join('');
    for (const m of manifests) {
      const apis = /<r:apis-implemented>[\s\S]*<\/r:apis-implemented>/.exec(m)![0];
      const heiXml = /<r:hei [\s\S]*?<\/r:hei>/.exec(m)![0];
      const heiId = /<r:hei id="([^"]+)"/.exec(m)![1]!;
      heis.push(heiXml);
      hosts.push(
        `<r:host>${apis}<r:institutions-covered><r:hei-id>${heiId}</r:hei-id></r:institutions-covered><r:client-credentials-in-use>${keyRefs(b64s(m, 'client-credentials-in-use'))}</r:client-credentials-in-use><r:server-credentials-in-use>${keyRefs(b64s(m, 'server-credentials-in-use'))}</r:server-credentials-in-use></r:host>`,
      );
    }
    for (const e of extra) {
      hosts.push(
        `<r:host><r:institutions-covered>${e.heis.map((h) => `<r:hei-id>${h}</r:hei-id>`).join('')}</r:institutions-covered><r:client-credentials-in-use>${keyRefs(e.clientKeys.map((k) => k.spkiBase64))}</r:client-credentials-in-use></r:host>`,
      );
      for (const h of e.heis) heis.push(`<r:hei id="${h}"><r:name>${h}</r:name></r:hei>`);
    }
    this.catalogue = `<?xml version="1.0" encoding="UTF-8"?><r:catalogue xmlns:r="${R}" xmlns:ewp="https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd" xmlns:sec="https://github.com/erasmus-without-paper/ewp-specs-sec-intro/tree/stable-v2">${hosts.join('')}<r:institutions>${heis.join('')}</r:institutions><r:binaries>${[...binaries].map(([sha, b]) => `<r:rsa-public-key sha-256="${sha}">${b}</r:rsa-public-key>`).join('')}</r:binaries></r:catalogue>`;
  }
}

export interface RawResponse {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: string;
  bodyBytes: Buffer;
}

/** Sends raw bytes with exactly these headers (nothing added but Content-Length). */
export function rawRequest(url: URL, method: string, headers: Record<string, string>, body: Buffer): Promise<RawResponse> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method, headers: { ...headers, ...(body.length || method === 'POST' ? { 'content-length': String(body.length) } : {}) } }, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => {
        const bytes = Buffer.concat(chunks);
        resolve({ status: res.statusCode ?? 0, headers: res.headers, body: bytes.toString('utf8'), bodyBytes: bytes });
      });
    });
    req.on('error', reject);
    req.end(body);
  });
}

/**
 * A signed EWP request as a partner would send it, with a hook to tamper with it afterwards
 * (the signature failure cases): headers can be changed, added or removed after signing.
 */
export async function ewpCall(o: {
  /** The endpoint URL as the partner knows it (signed: host and path). */
  url: string;
  /** Where to connect when that differs (a loopback port standing in for a public https host). */
  connect?: string;
  key: EwpKey;
  method?: 'GET' | 'POST' | 'PUT';
  params?: [string, string][];
  xml?: string;
  acceptSignature?: boolean;
  now?: Date;
  requestId?: string;
  /** Changes headers and the signed list before signing (a client that signs other headers). */
  prepare?: (h: Record<string, string>, signed: string[]) => void;
  /** Changes headers after signing (an attacker or a proxy). */
  tamper?: (h: Record<string, string>) => void;
  tamperBody?: (b: Buffer) => Buffer;
}): Promise<RawResponse & { requestId: string; signature: string }> {
  const method = o.method ?? 'POST';
  const query = method === 'GET' && o.params ? `?${new URLSearchParams(o.params).toString()}` : '';
  const url = new URL(o.url + query);
  const body = o.xml !== undefined ? Buffer.from(o.xml) : method === 'GET' ? Buffer.alloc(0) : Buffer.from(new URLSearchParams(o.params ?? []).toString());
  const contentType = o.xml !== undefined ? 'application/xml' : method === 'GET' ? undefined : 'application/x-www-form-urlencoded';
  let signed = signRequest({
    method,
    url,
    body,
    key: o.key,
    ...(contentType ? { contentType } : {}),
    ...(o.acceptSignature ? { acceptSignature: true } : {}),
    ...(o.now ? { now: o.now } : {}),
    ...(o.requestId ? { requestId: o.requestId } : {}),
  });
  if (o.prepare) {
    const h = { ...signed.headers };
    delete h.authorization;
    const list = /headers="([^"]+)"/.exec(signed.headers.authorization!)![1]!.split(' ');
    o.prepare(h, list);
    const { text } = signingString(list, (n) => h[n], `${method.toLowerCase()} ${url.pathname}${url.search}`);
    const signature = rsaSign(text, o.key.privateKey);
    h.authorization = `Signature keyId="${o.key.keyId}",algorithm="rsa-sha256",headers="${list.join(' ')}",signature="${signature}"`;
    signed = { headers: h, requestId: h['x-request-id']!, signature };
  }
  const headers = { ...signed.headers };
  o.tamper?.(headers);
  const target = o.connect ? new URL(url.pathname + url.search, o.connect) : url;
  const res = await rawRequest(target, method, headers, o.tamperBody ? o.tamperBody(body) : body);
  return { ...res, requestId: signed.requestId, signature: signed.signature };
}
