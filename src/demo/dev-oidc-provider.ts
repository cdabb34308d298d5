import { randomBytes } from 'node:crypto';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { exportJWK, generateKeyPair } from 'jose';
import Provider, { type Adapter, type AdapterPayload } from 'oidc-provider';
import { BadRequestError } from '../core/errors.ts';

/** A person one can sign in as at the development provider. */
export interface DevAccount {
  /** The ID token's `sub` (e.g. the hub id of a person record; never the personal code). */
  id: string;
  name: string;
  /** Put in the ID token's personal-code claim. */
  personalCode: string;
  /** A line shown under the name (e.g. the institutions). */
  note?: string;
}

export const DEV_CLIENT_ID = 'study-data-hub';
export const DEV_PROVIDER_NOTICE = 'development OpenID provider: sign-in by choosing a demo person, no password; never for real learners';

const ENT: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
const esc = (v: string) => v.replace(/[&<>"']/g, (c) => ENT[c]!);

/** The provider's storage: a Map per model, entries dropped when they expire (a development provider keeps nothing). */
class MemoryAdapter implements Adapter {
  private static store = new Map<string, { payload: AdapterPayload; until: number }>();
  constructor(private readonly model: string) {}
  private key = (id: string) => `${this.model}:${id}`;
  upsert(id: string, payload: AdapterPayload, expiresIn: number): Promise<void> {
    MemoryAdapter.store.set(this.key(id), { payload, until: expiresIn ? Date.now() + expiresIn * 1000 : Infinity });
    return Promise.resolve();
  }
  find(id: string): Promise<AdapterPayload | undefined> {
    const e = MemoryAdapter.store.get(this.key(id));
    if (e && e.until < Date.now()) MemoryAdapter.store.delete(this.key(id));
    return Promise.resolve(e && e.until >= Date.now() ? e.payload : undefined);
  }
  findByUserCode(): Promise<AdapterPayload | undefined> {
    return Promise.resolve(undefined);
  }
  async findByUid(uid: string): Promise<AdapterPayload | undefined> {
    for (const [k, e] of MemoryAdapter.store) if (k.startsWith(`${this.model}:`) && e.payload.uid === uid) return this.find(k.slice(this.model.length + 1));
    return undefined;
  }
  async consume(id: string): Promise<void> {
    const p = await this.find(id);
    if (p) p.consumed = Math.floor(Date.now() / 1000);
  }
  destroy(id: string): Promise<void> {
    MemoryAdapter.store.delete(this.key(id));
    return Promise.resolve();
  }
  revokeByGrantId(grantId: string): Promise<void> {
    for (const [k, e] of MemoryAdapter.store) if (e.payload.grantId === grantId) MemoryAdapter.store.delete(k);
    return Promise.resolve();
  }
}

function readForm(req: IncomingMessage): Promise<URLSearchParams> {
  return new Promise((resolve, reject) => {
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c: string) => {
      body += c;
      if (body.length > 10_000) req.destroy();
    });
    req.on('end', () => resolve(new URLSearchParams(body)));
    req.on('error', reject);
  });
}

/**
 * A development OpenID provider (oidc-provider) on loopback for `npm start` and the tests: the hub is
 * its one client (public, PKCE, authorization code), and anyone signs in by choosing one of the demo
 * persons on its page, which says plainly that it is a development provider. The ID token carries the
 * chosen person's personal code in the configured claim, as latvija.lv's would. Start it first (its
 * issuer goes into the hub's config), then `register` the hub's callback addresses once they are known.
 */
export class DevOidcProvider {
  private handler: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  private provider: Provider | undefined;

  private constructor(
    private readonly server: Server,
    readonly issuer: string,
    private readonly accounts: () => Promise<DevAccount[]>,
    private readonly claim: string,
  ) {}

  /** Listens on 127.0.0.1 (port 0: any free one). */
  static async listen(o: { accounts: () => Promise<DevAccount[]>; personalCodeClaim?: string; port?: number }): Promise<DevOidcProvider> {
    const holder: { self?: DevOidcProvider } = {};
    const server = createServer((req, res) => {
      if (holder.self?.handler) return holder.self.handler(req, res);
      res.writeHead(503, { 'content-type': 'text/plain' }).end('the development OpenID provider is starting');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(o.port ?? 0, '127.0.0.1', resolve);
    });
    const port = (server.address() as AddressInfo).port;
    holder.self = new DevOidcProvider(server, `http://127.0.0.1:${port}`, o.accounts, o.personalCodeClaim ?? 'personal_code');
    return holder.self;
  }

  /** Sets up the provider with the hub's callback addresses (exact redirect URIs). */
  async register(redirectUris: string[]): Promise<void> {
    const { privateKey } = await generateKeyPair('RS256', { extractable: true });
    const jwk = { ...(await exportJWK(privateKey)), kid: 'dev-1', alg: 'RS256', use: 'sig' };
    const claim = this.claim;
    const accounts = this.accounts;
    const provider = new Provider(this.issuer, {
      adapter: MemoryAdapter,
      clients: [{ client_id: DEV_CLIENT_ID, token_endpoint_auth_method: 'none', redirect_uris: redirectUris, response_types: ['code'], grant_types: ['authorization_code'] }],
      jwks: { keys: [jwk] as never },
      cookies: { keys: [randomBytes(32).toString('hex')] },
      claims: { openid: ['sub', 'name', claim] },
      conformIdTokenClaims: false,
      pkce: { methods: ['S256'], required: () => true },
      ttl: { Interaction: 600, Session: 600, Grant: 600, AuthorizationCode: 60, AccessToken: 300, IdToken: 300 },
      features: { devInteractions: { enabled: false } },
      interactions: { url: (_ctx, interaction) => `/interaction/${interaction.uid}` },
      async findAccount(_ctx, id) {
        const a = (await accounts()).find((x) => x.id === id);
        return a ? { accountId: a.id, claims: () => ({ sub: a.id, name: a.name, [claim]: a.personalCode }) } : undefined;
      },
    });
    this.provider = provider;
    const callback = provider.callback();
    this.handler = (req, res) => {
      const m = /^\/interaction\/([\w-]+)(\/(login|abort))?$/.exec((req.url ?? '').split('?')[0] ?? '');
      if (!m) return void callback(req, res);
      this.interaction(req, res, m[3]).catch((e: unknown) => {
        if (!res.headersSent) res.writeHead(400, { 'content-type': 'text/plain; charset=utf-8' });
        res.end(`development OpenID provider: ${e instanceof Error ? e.message : String(e)}`);
      });
    };
  }

  /** The sign-in page (choose a demo person), the choice, and cancelling. */
  private async interaction(req: IncomingMessage, res: ServerResponse, step: string | undefined): Promise<void> {
    const provider = this.provider!;
    const details = await provider.interactionDetails(req, res);
    if (req.method === 'POST' && step === 'abort') {
      await readForm(req);
      return provider.interactionFinished(req, res, { error: 'access_denied', error_description: 'the learner cancelled' }, { mergeWithLastSubmission: false });
    }
    if (req.method === 'POST' && step === 'login') {
      const accountId = (await readForm(req)).get('account') ?? '';
      if (!(await this.accounts()).some((a) => a.id === accountId)) throw new BadRequestError('no such demo person');
      const grant = new provider.Grant({ accountId, clientId: String(details.params.client_id) });
      grant.addOIDCScope(String(details.params.scope ?? 'openid'));
      const grantId = await grant.save();
      return provider.interactionFinished(req, res, { login: { accountId }, consent: { grantId } }, { mergeWithLastSubmission: false });
    }
    const list = await this.accounts();
    const uid = esc(details.uid);
    res.writeHead(200, {
      'content-type': 'text/html; charset=utf-8',
      'cache-control': 'no-store',
      'content-security-policy': "default-src 'none'; style-src 'unsafe-inline'; form-action 'self' http://127.0.0.1:* http://localhost:*; frame-ancestors 'none'",
    });
    res.end(`<!doctype html><html lang="en"><head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>Development sign-in</title>
<style>body{font:16px/1.5 system-ui,sans-serif;max-width:40rem;margin:2rem auto;padding:0 1rem}.warn{border:3px solid #b00020;padding:.75rem;background:#fff4f4}button{font-size:1rem;padding:.4rem .8rem;margin:.2rem 0}li{margin:.4rem 0}small{color:#444}</style></head>
<body><main><h1>Development sign-in</h1>
<p class="warn"><strong>This is a development OpenID provider</strong>, not latvija.lv: there is no password; choose a demo person to sign in as. Never use it for real learners.</p>
<form method="post" action="/interaction/${uid}/login"><ul>
${list.map((a) => `<li><button type="submit" name="account" value="${esc(a.id)}">${esc(a.name)}</button>${a.note ? ` <small>${esc(a.note)}</small>` : ''}</li>`).join('\n')}
</ul>${list.length ? '' : '<p>No demo persons with a personal code yet: wait for the demo data and reload.</p>'}</form>
<form method="post" action="/interaction/${uid}/abort"><button type="submit">Cancel</button></form></main></body></html>`);
  }

  async close(): Promise<void> {
    this.server.closeAllConnections();
    await new Promise<void>((resolve) => this.server.close(() => resolve()));
  }
}
