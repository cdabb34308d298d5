import assert from 'node:assert/strict';
import request from 'supertest';
import { parseTrustProxy } from '../../src/config/env.ts';
import { ADMIN_TOKEN, backends, makeHub, type TestHub } from '../helpers/hub.ts';

/**
 * HUB_TRUST_PROXY (express's `trust proxy`): behind the documented reverse proxy the client address
 * (the sign-in limiter's key) and https (the console's Secure cookie) come from X-Forwarded-*; without
 * it, nobody can claim another address or https by sending those headers.
 */
const hidden = (text: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1] ?? '';

/** One sign-in attempt at the admin console from `from` (X-Forwarded-For), with a fresh form. */
async function consoleSignIn(t: TestHub, token: string, from: string): Promise<request.Response> {
  const agent = request.agent(t.app);
  const form = await agent.get('/admin/login').set('x-forwarded-for', from).expect(200);
  return agent
    .post('/admin/login')
    .set('x-forwarded-for', from)
    .type('form')
    .send({ token, _csrf: hidden(form.text, '_csrf'), next: '/admin/' });
}

describe('security: HUB_TRUST_PROXY values', () => {
  it("takes express's trust proxy values and refuses anything else with its name", () => {
    assert.equal(parseTrustProxy(undefined), false);
    assert.equal(parseTrustProxy(''), false);
    assert.equal(parseTrustProxy('false'), false);
    assert.equal(parseTrustProxy('true'), true);
    assert.equal(parseTrustProxy('2'), 2);
    assert.deepEqual(parseTrustProxy('loopback, 10.0.0.0/8,192.0.2.1, ::1/128, fd00::/8'), ['loopback', '10.0.0.0/8', '192.0.2.1', '::1/128', 'fd00::/8']);
    for (const bad of ['yes', '10.0.0.0/33', 'proxy.example', '10.0.0.1/8/1', '::1/129']) {
      const v = parseTrustProxy(bad);
      assert.equal((v as { path?: string }).path, '/env/HUB_TRUST_PROXY', bad);
    }
  });
});

for (const backend of backends()) {
  describe(`security: client addresses and https behind a proxy (${backend})`, function () {
    this.timeout(60_000);
    let direct: TestHub;
    let proxied: TestHub;
    before(async () => {
      direct = await makeHub({ backend });
      proxied = await makeHub({ backend, env: { HUB_TRUST_PROXY: 'loopback' } });
    });
    after(async () => {
      await direct?.stop();
      await proxied?.stop();
    });

    it('by default, X-Forwarded-For is not believed: a guesser cannot escape the limiter by changing it', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 14; i++) statuses.push((await consoleSignIn(direct, `wrong-token-${i}-0123456789`, `198.51.100.${i}`)).status);
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        statuses.join(' '),
      );
      const last = await consoleSignIn(direct, 'wrong-token-x-0123456789', '198.51.100.200');
      assert.equal(last.status, 429, statuses.join(' '));
      assert.ok(Number(last.headers['retry-after']) > 0);
    });

    it('with HUB_TRUST_PROXY, the client address is the forwarded one: a guesser at A is stopped, an admin at B signs in', async () => {
      const statuses: number[] = [];
      for (let i = 0; i < 12; i++) statuses.push((await consoleSignIn(proxied, `wrong-token-${i}-0123456789`, '198.51.100.7')).status);
      assert.ok(
        statuses.every((s) => s === 401 || s === 429),
        statuses.join(' '),
      );
      assert.equal(statuses.at(-1), 429, statuses.join(' '));
      const locked = await consoleSignIn(proxied, ADMIN_TOKEN, '198.51.100.7');
      assert.equal(locked.status, 429, 'the right token from the guessing address waits too');
      assert.ok(Number(locked.headers['retry-after']) > 0);
      const admin = await consoleSignIn(proxied, ADMIN_TOKEN, '203.0.113.5');
      assert.equal(admin.status, 303, admin.text);
    });

    it("the console's cookies are Secure when a trusted proxy says https, and not when anyone else says so", async () => {
      const viaProxy = await request(proxied.app).get('/admin/login').set('x-forwarded-proto', 'https').expect(200);
      assert.match(String(viaProxy.headers['set-cookie']), /; Secure/);
      const plain = await request(proxied.app).get('/admin/login').expect(200);
      assert.doesNotMatch(String(plain.headers['set-cookie']), /; Secure/);
      const spoofed = await request(direct.app).get('/admin/login').set('x-forwarded-proto', 'https').expect(200);
      assert.doesNotMatch(String(spoofed.headers['set-cookie']), /; Secure/);
      // Signing in through the proxy: the session cookie is Secure too (sent back by hand: this client speaks plain http).
      const form = await request(proxied.app).get('/admin/login').set('x-forwarded-proto', 'https').set('x-forwarded-for', '203.0.113.9').expect(200);
      const loginCookie = /hub_admin_login=[^;]+/.exec(String(form.headers['set-cookie']))?.[0] ?? '';
      const signed = await request(proxied.app)
        .post('/admin/login')
        .set({ 'x-forwarded-proto': 'https', 'x-forwarded-for': '203.0.113.9', cookie: loginCookie })
        .type('form')
        .send({ token: ADMIN_TOKEN, _csrf: hidden(form.text, '_csrf'), next: '/admin/' });
      assert.equal(signed.status, 303, signed.text);
      assert.match(String(signed.headers['set-cookie']), /hub_admin_session=[^;]+;[^,]*; Secure/);
    });
  });
}
