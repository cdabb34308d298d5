import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gunzipSync } from 'node:zlib';

const ENT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: string) => v.replace(/[&<>"']/g, (c) => ENT[c]!);

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > 20 * 1024 * 1024) req.destroy();
      else chunks.push(c);
    });
    req.on('end', () => resolve(new URLSearchParams(Buffer.concat(chunks).toString('utf8'))));
    req.on('error', reject);
  });
}

const page = (title: string, body: string) =>
  `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${esc(title)}</title></head><body><main><h1>${esc(title)}</h1><p><strong>A demo EMREX client</strong> (a receiving institution's system, for trying the contact point).</p>${body}</main></body></html>`;

/**
 * A demo EMREX client on loopback for `npm start`: its page sends the learner to the hub's contact point
 * (a form POST of a new sessionId and its returnUrl), and its returnUrl shows what came back: the return
 * code and message, and the size and start of the ELMO document. Listen first (its address goes into the
 * hub's config as a client), then set `hubUrl`.
 */
export class DemoEmrexClient {
  hubUrl = '';
  private constructor(
    private readonly server: Server,
    readonly url: string,
  ) {}

  static async listen(): Promise<DemoEmrexClient> {
    const holder: { self?: DemoEmrexClient } = {};
    const server = createServer((req, res) => {
      const self = holder.self!;
      if (req.method === 'POST' && req.url === '/return') {
        void readForm(req).then((f) => {
          const elmo = f.get('elmo');
          let doc = '';
          try {
            doc = elmo ? gunzipSync(Buffer.from(elmo, 'base64')).toString('utf8') : '';
          } catch {
            doc = '(not gzip + base64)';
          }
          res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
          res.end(
            page(
              'EMREX answer received',
              `<dl><dt>sessionId</dt><dd>${esc(f.get('sessionId') ?? '')}</dd><dt>returnCode</dt><dd>${esc(f.get('returnCode') ?? '')}</dd><dt>returnMessage</dt><dd>${esc(f.get('returnMessage') ?? '')}</dd><dt>elmo</dt><dd>${doc ? `${doc.length} characters of XML` : 'none'}</dd></dl>${doc ? `<pre>${esc(doc.slice(0, 3000))}…</pre>` : ''}<p><a href="/">Again</a></p>`,
            ),
          );
        });
        return;
      }
      const sessionId = randomBytes(12).toString('hex');
      res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' });
      res.end(
        page(
          'Fetch your results from Latvia',
          `<form method="post" action="${esc(self.hubUrl)}/emrex/"><input type="hidden" name="sessionId" value="${sessionId}"><input type="hidden" name="returnUrl" value="${esc(self.url)}/return"><button type="submit">Go to the Latvian EMREX contact point</button></form>`,
        ),
      );
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    holder.self = new DemoEmrexClient(server, `http://127.0.0.1:${(server.address() as AddressInfo).port}`);
    return holder.self;
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
