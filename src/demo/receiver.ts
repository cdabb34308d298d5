import { createServer, type Server } from 'node:http';
import { timingSafeEqual } from 'node:crypto';
import { signPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../core/webhook-signature.ts';

export interface Receiver {
  server: Server;
  url: string;
  received: number;
  rejectedSignatures: number;
  close(): Promise<void>;
}

/** A webhook receiver that checks the HMAC signature like a real consumer would (demo and tests). */
export async function startReceiver(secret: string, onEvent: (e: { entity: string; op: string; institution: string; seq: number }) => void = () => undefined): Promise<Receiver> {
  const state = { received: 0, rejectedSignatures: 0 };
  const server = createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const ts = String(req.headers[TIMESTAMP_HEADER] ?? '');
      const got = Buffer.from(String(req.headers[SIGNATURE_HEADER] ?? ''));
      const want = Buffer.from(signPayload(secret, ts, body));
      if (got.length !== want.length || !timingSafeEqual(got, want)) {
        state.rejectedSignatures++;
        res.writeHead(401).end('bad signature');
        return;
      }
      state.received++;
      try {
        onEvent(JSON.parse(body) as { entity: string; op: string; institution: string; seq: number });
      } catch {
        /* the receiver only counts */
      }
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const addr = server.address();
  const port = typeof addr === 'object' && addr ? addr.port : 0;
  return Object.assign(state, {
    server,
    url: `http://127.0.0.1:${port}/hooks/register`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  });
}
