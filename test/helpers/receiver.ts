import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ChangeEvent } from '../../src/core/types.ts';

export interface Received {
  path: string;
  headers: http.IncomingHttpHeaders;
  body: string;
  event: ChangeEvent;
  status: number;
}

/** A webhook receiver on loopback that records every request; `respond` decides the status per request. */
export class Receiver {
  readonly received: Received[] = [];
  respond: (e: ChangeEvent, path: string) => number = () => 200;
  private server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const event = JSON.parse(body) as ChangeEvent;
      const status = this.respond(event, req.url ?? '');
      this.received.push({ path: req.url ?? '', headers: req.headers, body, event, status });
      res.writeHead(status).end(status >= 400 ? 'no thanks' : 'ok');
    });
  });
  url = '';
  async start(): Promise<void> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', () => r()));
    this.url = `http://127.0.0.1:${(this.server.address() as AddressInfo).port}`;
  }
  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise((r) => this.server.close(r));
  }
  /** The events received, in order. */
  get events(): ChangeEvent[] {
    return this.received.map((r) => r.event);
  }

  ok(path: string): Received[] {
    return this.received.filter((r) => r.path === path && r.status < 300);
  }
}
