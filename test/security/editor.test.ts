import assert from 'node:assert/strict';
import WebSocket from 'ws';
import { ADMIN_TOKEN, backends, eventually } from '../helpers/hub.ts';
import { editorHub, type EditorHub } from './editor-hub.ts';

/**
 * The Node-RED editor of a real hub process, as an attacker and as a careful admin would try it:
 * a session ends with its token; a stranger's wrong passwords lock out only the stranger; the editor
 * is same-origin only and cannot be framed. HUB_TRUST_PROXY=loopback lets the tests speak from several
 * client addresses (X-Forwarded-For) over loopback.
 */
const POLL_MS = 30_000;

for (const backend of backends()) {
  describe(`security: the Node-RED editor (${backend})`, function () {
    this.timeout(240_000);
    let h: EditorHub;
    const admin = { authorization: `Bearer ${ADMIN_TOKEN}` };

    const signIn = (password: string, from: string, username = 'admin') =>
      fetch(`${h.base}/flows/auth/token`, {
        method: 'POST',
        headers: { 'x-forwarded-for': from },
        body: new URLSearchParams({ client_id: 'node-red-editor', grant_type: 'password', scope: '', username, password }),
      });
    const session = async (password: string, from = '192.0.2.10'): Promise<string> => {
      const res = await signIn(password, from);
      assert.equal(res.status, 200, await res.clone().text());
      const body = (await res.json()) as { access_token: string; token_type: string };
      assert.equal(body.token_type, 'Bearer');
      return body.access_token;
    };
    const flows = async (bearer: string) => (await fetch(`${h.base}/flows/flows`, { headers: { authorization: `Bearer ${bearer}` } })).status;
    const newToken = async (name: string, scopes: string[]) => {
      const res = await fetch(`${h.base}/api/v1/tokens`, { method: 'POST', headers: { ...admin, 'content-type': 'application/json' }, body: JSON.stringify({ name, scopes }) });
      assert.equal(res.status, 201);
      return (await res.json()) as { id: string; token: string };
    };

    before(async () => {
      h = await editorHub(backend, { HUB_TRUST_PROXY: 'loopback' });
      await h.start();
    });
    after(async () => {
      await h?.cleanup();
    });

    it('an editor session ends (401) once its token is revoked', async () => {
      const t = await newToken('editor user', ['admin']);
      const s = await session(t.token);
      assert.notEqual(s, t.token, 'the browser keeps a session token, not the hub token');
      assert.equal(await flows(s), 200);
      const revoked = await fetch(`${h.base}/api/v1/tokens/${t.id}`, { method: 'DELETE', headers: admin });
      assert.equal(revoked.status, 204);
      await eventually(async () => (await flows(s)) === 401, POLL_MS, 'the session to answer 401');
      assert.equal((await signIn(t.token, '192.0.2.10')).status, 403, 'the revoked token cannot sign in again');
    });

    it('an editor session ends (401) once its token loses the admin scope', async () => {
      const t = await newToken('editor user 2', ['admin']);
      const s = await session(t.token);
      assert.equal(await flows(s), 200);
      await h.sql('UPDATE tokens SET scopes = ? WHERE id = ?', [JSON.stringify(['read:*']), t.id]);
      await eventually(async () => (await flows(s)) === 401, POLL_MS, 'the session to answer 401');
    });

    it("closes the editor's websocket once its session ends", async () => {
      const t = await newToken('editor user 3', ['admin']);
      const s = await session(t.token);
      const ws = new WebSocket(`${h.base.replace('http', 'ws')}/flows/comms`);
      const frames: string[] = [];
      const closed = new Promise<void>((r) => ws.once('close', () => r()));
      ws.on('message', (d: Buffer) => frames.push(d.toString()));
      await new Promise<void>((resolve, reject) => {
        ws.once('open', () => resolve());
        ws.once('error', reject);
      });
      ws.send(JSON.stringify({ auth: s }));
      await eventually(async () => frames.includes('{"auth":"ok"}'), POLL_MS, 'the websocket to be signed in');
      await fetch(`${h.base}/api/v1/tokens/${t.id}`, { method: 'DELETE', headers: admin });
      await Promise.race([closed, eventually(async () => ws.readyState === WebSocket.CLOSED, POLL_MS, 'the websocket to close')]);
      assert.ok(frames.includes('{"auth":"fail"}'), `told to sign in again: ${frames.join(' ')}`);
    });

    it('wrong passwords from one address get 429 with Retry-After (never 500) there, and never lock out the right token from another address', async () => {
      const statuses: number[] = [];
      let last: Response | undefined;
      for (let i = 0; i < 15; i++) {
        last = await signIn(`wrong-password-${i}-0123456789`, '198.51.100.7');
        statuses.push(last.status);
      }
      assert.ok(
        statuses.every((s) => s === 403 || s === 429),
        statuses.join(' '),
      );
      assert.ok(
        statuses.slice(0, 5).every((s) => s === 403),
        `five wrong passwords are only wrong: ${statuses.join(' ')}`,
      );
      assert.equal(last!.status, 429, statuses.join(' '));
      assert.ok(Number(last!.headers.get('retry-after')) > 0, 'Retry-After in seconds');
      assert.match(last!.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(((await last!.json()) as { code: string }).code, 'HUB_ERR_TOO_MANY_REQUESTS');
      // The attacker's address stays locked even with the right token; the admins' addresses are not.
      assert.equal((await signIn(ADMIN_TOKEN, '198.51.100.7')).status, 429);
      const s = await session(ADMIN_TOKEN, '203.0.113.20');
      assert.equal(await flows(s), 200);
      // Nor are other user names tried from elsewhere, nor bearer clients of the editor API.
      assert.equal((await signIn('wrong-password-0123456789', '203.0.113.21')).status, 403);
      assert.equal((await fetch(`${h.base}/flows/flows`, { headers: admin })).status, 200);
    });

    it('sends no Access-Control-Allow-Origin under /flows: same origin only, preflights included', async () => {
      const s = await session(ADMIN_TOKEN, '203.0.113.30');
      const evil = { origin: 'https://attacker.example' };
      const answers = [
        await fetch(`${h.base}/flows/`, { headers: evil }),
        await fetch(`${h.base}/flows/auth/login`, { headers: evil }),
        await fetch(`${h.base}/flows/settings`, { headers: { ...evil, authorization: `Bearer ${s}` } }),
        await fetch(`${h.base}/flows/flows`, { headers: { ...evil, authorization: `Bearer ${s}` } }),
        await fetch(`${h.base}/flows/flows`, { method: 'OPTIONS', headers: { ...evil, 'access-control-request-method': 'POST', 'access-control-request-headers': 'authorization' } }),
        await signIn('wrong-password-0123456789', '203.0.113.31'),
      ];
      for (const res of answers) {
        assert.ok(res.status < 500, `${res.url}: ${res.status}`);
        const cors = [...res.headers.keys()].filter((k) => k.startsWith('access-control-'));
        assert.deepEqual(cors, [], `${res.url} answers with ${cors.join(', ')}`);
      }
    });

    it('cannot be framed: X-Frame-Options DENY and CSP frame-ancestors none on /flows, as on /admin', async () => {
      const s = await session(ADMIN_TOKEN, '203.0.113.40');
      for (const [path, headers] of [
        ['/flows/', {}],
        ['/flows/flows', { authorization: `Bearer ${s}` }],
        ['/admin/login', {}],
      ] as const) {
        const res = await fetch(h.base + path, { headers });
        assert.equal(res.status, 200, path);
        assert.equal(res.headers.get('x-frame-options'), 'DENY', path);
        assert.match(res.headers.get('content-security-policy') ?? '', /frame-ancestors 'none'/, path);
        assert.equal(res.headers.get('x-content-type-options'), 'nosniff', path);
      }
    });

    it('signing out ends the session', async () => {
      const s = await session(ADMIN_TOKEN, '203.0.113.50');
      assert.equal(await flows(s), 200);
      const out = await fetch(`${h.base}/flows/auth/revoke`, { method: 'POST', headers: { authorization: `Bearer ${s}` }, body: new URLSearchParams({ token: s }) });
      assert.equal(out.status, 200);
      assert.equal(await flows(s), 401);
    });

    it('an editor session ends when HUB_ADMIN_TOKEN is rotated (a restart with a new value)', async () => {
      const s = await session(ADMIN_TOKEN, '203.0.113.60');
      assert.equal(await flows(s), 200);
      await h.stop();
      const rotated = 'rotated-admin-token-0123456789';
      await h.start({ HUB_ADMIN_TOKEN: rotated });
      await eventually(async () => (await flows(s)) === 401, POLL_MS, 'the old session to answer 401');
      assert.equal((await signIn(ADMIN_TOKEN, '203.0.113.61')).status, 403, 'the old value signs in no more');
      assert.equal(await flows(await session(rotated, '203.0.113.62')), 200);
    });
  });
}
