import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { createApp } from '../../../src/api/app.ts';
import { DEV_CLIENT_ID, DevOidcProvider, type DevAccount } from '../../../src/demo/dev-oidc-provider.ts';
import { PERSONAL_CODE, seed } from '../../ewp/helpers/data.ts';
import { personalCode } from '../../viis/fixtures.ts';
import { baseConfig, makeHub, type TestHub, type Backend } from '../../helpers/hub.ts';
import type { HubConfig } from '../../../src/config/types.ts';
import type { LearnerCredentials } from '../../../src/emrex/learner/types.ts';
import { emrexPages } from '../../../src/api/routers/emrex-pages.ts';
import { course, learner, result } from './records.ts';

/** Anna has results at two institutions; Jānis is a person with no results; Pēteris is no one the hub knows. */
export const ANNA = PERSONAL_CODE;
export const JANIS = personalCode(8);
export const PETERIS = personalCode(9);

/** One POST the test EMREX client received at its returnUrl. */
export type Received = Record<string, string>;

/**
 * A test EMREX client (an express app on loopback: its returnUrl records each answer), the development
 * OpenID provider on an ephemeral loopback port with the test persons as accounts, and a hub listening
 * on loopback with its contact point pointed at both.
 */
export interface ContactPointSetup {
  t: TestHub;
  hubUrl: string;
  clientUrl: string;
  returnUrl: string;
  op: DevOidcProvider;
  received: Received[];
  accounts: DevAccount[];
  stop(): Promise<void>;
}

async function listen(handler: Parameters<typeof createServer>[1]): Promise<{ server: Server; url: string }> {
  const server = createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { server, url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` };
}

export async function startContactPoint(o: { backend?: Backend; emrex?: Partial<NonNullable<HubConfig['emrex']>>; credentials?: LearnerCredentials } = {}): Promise<ContactPointSetup> {
  const accounts: DevAccount[] = [
    { id: 'anna', name: 'Anna Liepiņa', personalCode: ANNA, note: 'lu.lv, rtu.lv' },
    { id: 'janis', name: 'Jānis Liepiņa', personalCode: JANIS, note: 'no results' },
    { id: 'peteris', name: 'Pēteris Nezināmais', personalCode: PETERIS, note: 'not in the hub' },
  ];
  const op = await DevOidcProvider.listen({ accounts: () => Promise.resolve(accounts) });
  const received: Received[] = [];
  const clientApp = express();
  const hubAt = { url: '' };
  // The client's own page: a button that sends the learner to the contact point (as a receiving institution's system does).
  clientApp.get('/start', (req, res) => {
    const sessionId = typeof req.query.sessionId === 'string' ? req.query.sessionId : 'browser-1';
    res
      .type('html')
      .send(
        `<!doctype html><html lang="en"><head><title>Test EMREX client</title></head><body><main><h1>Test EMREX client</h1><form method="post" action="${hubAt.url}/emrex/"><input type="hidden" name="sessionId" value="${sessionId}"><input type="hidden" name="returnUrl" value="${client.url}/return"><button type="submit">Fetch my results from Latvia</button></form></main></body></html>`,
      );
  });
  clientApp.post('/return', express.urlencoded({ extended: false, limit: '10mb' }), (req, res) => {
    received.push(req.body as Received);
    res.type('text/plain').send('received by the test EMREX client');
  });
  const client = await listen(clientApp);
  const t = await makeHub({
    ...(o.backend ? { backend: o.backend } : {}),
    config: baseConfig({
      sources: [
        { id: 'rtu-push', institution: 'rtu.lv', mappingSet: 'canonical' },
        { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' },
      ],
      sinks: [],
      routes: [],
      emrex: {
        clients: [{ name: 'vu.lt', returnUrlPrefix: `${client.url}/return` }],
        oidc: { issuer: op.issuer, clientId: DEV_CLIENT_ID },
        consentSource: 'lu-push',
        ...o.emrex,
      },
    }),
  });
  let app = t.app;
  if (o.credentials) {
    // The same app with the learner's page given the digital-diploma part.
    const pages = emrexPages(t.hub, o.credentials);
    app = express().use('/learner', pages.learner).use(t.app);
  }
  const hub = await listen(app);
  hubAt.url = hub.url;
  await op.register([`${hub.url}/emrex/callback`, `${hub.url}/learner/callback`]);
  await seed(t.hub, 'lu-push', {
    person: [learner('LU-1', ANNA)],
    course: [course('C-1', 'DatZ1234', 'Programmēšanas pamati', 'Foundations of Programming'), course('C-2', 'Mat1001', 'Matemātiskā analīze', 'Calculus')],
    attainment: [result('A-1', 'LU-1', 'C-1', '9', '2024-01-20'), result('A-2', 'LU-1', 'C-2', '7', '2023-06-10')],
  });
  await seed(t.hub, 'rtu-push', {
    person: [learner('RTU-7', ANNA), learner('RTU-8', JANIS, { givenNames: 'Jānis' })],
    course: [course('C-9', 'DIP101', 'Datu struktūras', 'Data Structures')],
    attainment: [result('A-9', 'RTU-7', 'C-9', '10', '2025-01-15')],
  });
  return {
    t,
    hubUrl: hub.url,
    clientUrl: client.url,
    returnUrl: `${client.url}/return`,
    op,
    received,
    accounts,
    stop: async () => {
      for (const s of [hub.server, client.server]) {
        s.closeAllConnections();
        await new Promise((r) => s.close(r));
      }
      await op.close();
      await t.stop();
    },
  };
}

/** The app without listening (supertest), for requests that need no sign-in. */
export const appOf = (s: ContactPointSetup) => createApp(s.t.hub);

/**
 * A cookie-keeping HTTP client that follows redirects like a browser (303 and 302 become GET): what a
 * learner's browser does between the client, the hub and the provider, without a browser.
 */
export class Learner {
  private readonly jar = new Map<string, string>();
  /** The last response's URL and body. */
  url = '';
  status = 0;
  body = '';
  /** The last response's Location (a redirect not followed). */
  location: string | undefined;

  private remember(res: Response): void {
    for (const c of res.headers.getSetCookie()) {
      const [pair] = c.split(';');
      const i = pair!.indexOf('=');
      const name = pair!.slice(0, i).trim();
      const value = pair!.slice(i + 1).trim();
      if (/max-age=0/i.test(c) || value === '') this.jar.delete(name);
      else this.jar.set(name, value);
    }
  }

  /** Forgets one cookie (as a browser whose cookie expired). */
  drop(name: string): void {
    this.jar.delete(name);
  }

  cookie(name: string): string | undefined {
    return this.jar.get(name);
  }

  async request(url: string, init: { method?: string; form?: Record<string, string | string[]>; follow?: boolean } = {}): Promise<this> {
    let method = init.method ?? (init.form ? 'POST' : 'GET');
    let body: string | undefined;
    if (init.form) {
      const p = new URLSearchParams();
      for (const [k, v] of Object.entries(init.form)) for (const x of ([] as string[]).concat(v)) p.append(k, x);
      body = p.toString();
    }
    let current = url;
    for (let hops = 0; hops < 20; hops++) {
      const headers: Record<string, string> = { 'accept-language': 'lv' };
      if (this.jar.size) headers.cookie = [...this.jar].map(([k, v]) => `${k}=${v}`).join('; ');
      if (body !== undefined) headers['content-type'] = 'application/x-www-form-urlencoded';
      const res = await fetch(current, { method, headers, redirect: 'manual', ...(body !== undefined ? { body } : {}) });
      this.remember(res);
      const location = res.headers.get('location');
      if (init.follow !== false && location && res.status >= 300 && res.status < 400) {
        current = new URL(location, current).href;
        if (res.status !== 307 && res.status !== 308) {
          method = 'GET';
          body = undefined;
        }
        await res.arrayBuffer();
        continue;
      }
      this.url = current;
      this.location = location ? new URL(location, current).href : undefined;
      this.status = res.status;
      this.body = await res.text();
      return this;
    }
    throw new Error('too many redirects');
  }
}

const unescape = (s: string) =>
  s
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&lt;/g, '<')
    .replace(/&gt;/g, '>')
    .replace(/&amp;/g, '&');

/** The hidden fields of a page's form (name → value; a name given more than once: the last). */
export function hiddenFields(page: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of page.matchAll(/<input type="hidden" name="([^"]+)" value="([^"]*)">/g)) out[unescape(m[1]!)] = unescape(m[2]!);
  return out;
}

/** The values of the checkboxes named `entry` (the results and awards offered). */
export const entries = (page: string): string[] => [...page.matchAll(/<input type="checkbox" name="entry" value="([^"]+)"/g)].map((m) => m[1]!);

/** The action of the page's first form whose action is absolute (the answer to the client). */
export const answerAction = (page: string): string | undefined => unescape(/<form method="post" action="(https?:[^"]+)"/.exec(page)?.[1] ?? '') || undefined;

/**
 * The learner's whole way from the client to the hub's choice page: the client's POST, the provider's
 * sign-in page, choosing `account` there. Ends on the page the hub shows after the sign-in.
 */
export async function signInAtContactPoint(s: ContactPointSetup, learner: Learner, o: { sessionId: string; account: string; cancelAtProvider?: boolean }): Promise<Learner> {
  await learner.request(`${s.hubUrl}/emrex/`, { form: { sessionId: o.sessionId, returnUrl: s.returnUrl } });
  if (!learner.url.startsWith(s.op.issuer)) throw new Error(`expected the provider's sign-in page, got ${learner.status} at ${learner.url}: ${learner.body.slice(0, 300)}`);
  const uid = /\/interaction\/([\w-]+)/.exec(learner.url)?.[1];
  if (o.cancelAtProvider) return learner.request(`${s.op.issuer}/interaction/${uid}/abort`, { form: {} });
  return learner.request(`${s.op.issuer}/interaction/${uid}/login`, { form: { account: o.account } });
}

/** Sends the answer page's form to the client, as its script (or the learner's button) does. */
export async function deliverAnswer(learner: Learner): Promise<void> {
  const action = answerAction(learner.body);
  if (!action) throw new Error(`no answer form on the page: ${learner.status} ${learner.body.slice(0, 300)}`);
  await learner.request(action, { form: hiddenFields(learner.body) });
}
