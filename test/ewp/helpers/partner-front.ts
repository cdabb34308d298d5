import { createServer, request, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { Socket } from 'node:net';
import { parseSignatureParams } from '../../../src/ewp/security/httpsig.ts';
import type { EwpKey } from '../../../src/ewp/security/keys.ts';
import { signResponse } from '../../../src/ewp/security/response.ts';

/**
 * What the partner does with the next requests: pass them to the real partner hub, keep the
 * connection open without an answer, answer a status with an EWP error document (signed with the
 * partner's server key, as the partner's own server would, or unsigned, as a proxy in between
 * might), or pass them on and tamper with the answer (its Signature header, or its body after signing).
 */
export type FrontMode = { kind: 'forward' } | { kind: 'hang' } | { kind: 'status'; status: number; signedWith?: EwpKey } | { kind: 'tamper-signature' } | { kind: 'tamper-body' };

export interface FrontRequest {
  path: string;
  /** Form parameters of the request body, in order. */
  params: [string, string][];
  /** What the front did. */
  mode: FrontMode['kind'];
  /** When it arrived (Date.now()). */
  at: number;
}

const ERROR_NS = 'https://github.com/erasmus-without-paper/ewp-specs-architecture/blob/stable-v1/common-types.xsd';

/**
 * A partner's public address on loopback, in front of a real partner hub: the partner's manifest
 * names this address, so every call the hub under test makes to the partner passes here. stop()
 * closes the port (connections are then refused, as by a host that is down); start() opens it again.
 */
export class PartnerFront {
  mode: FrontMode = { kind: 'forward' };
  readonly requests: FrontRequest[] = [];
  private server: Server | undefined;
  private readonly sockets = new Set<Socket>();
  private port = 0;
  /** The real partner hub's own address (set once it listens). */
  target = '';

  get url(): string {
    return `http://127.0.0.1:${this.port}`;
  }

  get listening(): boolean {
    return this.server !== undefined;
  }

  /** Listens (again) on the same port. */
  async start(): Promise<this> {
    const server = createServer((req, res) => void this.handle(req, res));
    server.on('connection', (s) => {
      this.sockets.add(s);
      s.on('close', () => this.sockets.delete(s));
    });
    await new Promise<void>((r) => server.listen(this.port, '127.0.0.1', r));
    this.port = (server.address() as { port: number }).port;
    this.server = server;
    return this;
  }

  /** Closes the port and every open connection: new connections are refused. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    for (const s of this.sockets) s.destroy();
    if (server) await new Promise<void>((r) => server.close(() => r()));
  }

  private async handle(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const arrived = Date.now();
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    const body = Buffer.concat(chunks);
    const mode = this.mode;
    this.requests.push({ path: req.url ?? '', params: [...new URLSearchParams(body.toString('utf8'))], mode: mode.kind, at: arrived });
    if (mode.kind === 'hang') return;
    if (mode.kind === 'status') {
      const xml = Buffer.from(
        `<?xml version="1.0" encoding="UTF-8"?><error-response xmlns="${ERROR_NS}"><developer-message>the partner answers ${mode.status} (test)</developer-message></error-response>`,
      );
      const signature = parseSignatureParams(String(req.headers.authorization ?? '').replace(/^signature\s+/i, ''))?.signature ?? '';
      const signed = mode.signedWith ? signResponse(xml, { requestId: String(req.headers['x-request-id']), signature }, mode.signedWith) : {};
      res.writeHead(mode.status, { 'content-type': 'application/xml; charset=utf-8', ...signed }).end(xml);
      return;
    }
    const upstream = await new Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: Buffer }>((resolve, reject) => {
      const target = new URL(req.url ?? '/', this.target);
      const out = request(target, { method: req.method, headers: req.headers }, (r) => {
        const parts: Buffer[] = [];
        r.on('data', (c: Buffer) => parts.push(c));
        r.on('end', () => resolve({ status: r.statusCode ?? 502, headers: r.headers, body: Buffer.concat(parts) }));
        r.on('error', reject);
      });
      out.on('error', reject);
      out.end(body);
    });
    let answer = upstream.body;
    const headers = { ...upstream.headers };
    if (mode.kind === 'tamper-signature') {
      // One character of the signature value changed: the body, digest and echoes stay right.
      headers.signature = String(headers.signature).replace(/signature="(.)/, (_m, c: string) => `signature="${c === 'A' ? 'B' : 'A'}`);
    }
    // Still well-formed XML, but not the bytes the partner signed.
    if (mode.kind === 'tamper-body') answer = Buffer.concat([answer, Buffer.from('<!-- changed on the way -->')]);
    headers['content-length'] = String(answer.length);
    delete headers['transfer-encoding'];
    res.writeHead(upstream.status, headers).end(answer);
  }
}
