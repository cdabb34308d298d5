import assert from 'node:assert/strict';
import http from 'node:http';
import net, { type AddressInfo } from 'node:net';
import request from 'supertest';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import { ConfigError } from '../../src/core/errors.ts';
import { TargetPolicy, type Resolver } from '../../src/core/net/target-policy.ts';
import { MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { auth, backends, baseConfig, canonicalPerson, eventually, makeHub, schemas, type TestHub } from '../helpers/hub.ts';

/**
 * Webhook subscriptions cannot reach inside (docs/security.md, SSRF): a consumer's token names a URL,
 * and the hub must never connect to a loopback, private, link-local, CGNAT, unique-local or other
 * non-public address for it, however the address is written, whatever a name resolves to (at creation
 * and again at delivery), nor follow a redirect, nor show the target's answer to the consumer.
 *
 * Names are resolved by an injected resolver: nothing is looked up, and every socket the process opens
 * during this file is watched. A connection to any address outside loopback is stopped before it is
 * made and fails the test: the refusals are proven without a packet leaving the machine.
 */

const outside: string[] = [];
const realConnect = net.Socket.prototype.connect;

function watchSockets(): void {
  net.Socket.prototype.connect = function (this: net.Socket, ...args: unknown[]) {
    const o = args[0];
    const host = typeof o === 'object' && o !== null && 'host' in o ? String((o as { host?: string }).host ?? 'localhost') : typeof args[1] === 'string' ? args[1] : 'localhost';
    const port = typeof o === 'object' && o !== null && 'port' in o ? (o as { port?: unknown }).port : undefined;
    const isPath = typeof o === 'object' && o !== null && 'path' in o && (o as { path?: unknown }).path !== undefined;
    if (!isPath && !['localhost', '127.0.0.1', '::1'].includes(host) && !host.startsWith('127.')) {
      outside.push(`${host}:${String(port)}`);
      throw new Error(`test guard: a connection to ${host} was attempted`);
    }
    return (realConnect as (...a: unknown[]) => net.Socket).apply(this, args);
  } as typeof net.Socket.prototype.connect;
}

/** A resolver the test steers: each name answers what `answers` says at the time of the lookup. */
function steeredResolver(answers: Map<string, string[]>): Resolver {
  return async (host) => {
    const a = answers.get(host);
    if (!a) throw Object.assign(new Error(`no such host ${host}`), { code: 'ENOTFOUND' });
    return a;
  };
}

describe('outbound target policy (SSRF)', () => {
  const policy = new TargetPolicy();
  const refused = [
    '127.0.0.1',
    '127.1.2.3',
    '10.0.0.1',
    '172.16.5.4',
    '192.168.1.1',
    '169.254.169.254',
    '100.64.0.1',
    '0.0.0.0',
    '224.0.0.1',
    '255.255.255.255',
    '::1',
    '::',
    'fd00::1',
    'fe80::1',
    'ff02::1',
    '::ffff:127.0.0.1',
    '::ffff:10.0.0.1',
    '::ffff:169.254.169.254',
    '64:ff9b::a9fe:a9fe',
    '2002:7f00:1::',
  ];
  for (const a of refused) {
    it(`refuses ${a}`, () => assert.match(policy.refusal(a) ?? 'allowed', /address$/));
  }
  it('allows public addresses, also IPv4-mapped', () => {
    for (const a of ['193.0.14.129', '2001:67c:2e8::2', '::ffff:193.0.14.129']) assert.equal(policy.refusal(a), undefined, a);
  });
  it('allows what webhooks.allowTargets names, and only that', () => {
    const p = new TargetPolicy(['10.1.2.0/24', 'fd12::/16', 'registry.internal', '*.uni.lv.internal']);
    assert.equal(p.refusal('10.1.2.77'), undefined);
    assert.equal(p.refusal('::ffff:10.1.2.77'), undefined);
    assert.match(p.refusal('10.1.3.1') ?? '', /private/);
    assert.equal(p.refusal('fd12::5'), undefined);
    assert.match(p.refusal('fd13::5') ?? '', /unique-local/);
    assert.ok(p.hostAllowed('registry.internal'));
    assert.ok(p.hostAllowed('lais.uni.lv.internal'));
    assert.ok(!p.hostAllowed('uni.lv.internal.evil.example'));
    assert.throws(() => new TargetPolicy(['10.1.2.0/99']), /not a range/);
  });
  it('refuses a config whose allowTargets entry is not a range, an address or a host name, with its path', () => {
    assert.throws(
      () => validateConfig(baseConfig({ webhooks: { allowTargets: ['10.0.0.0/8', '10.1.2.0/99'] } }), { schemas, adapters, mappingsDir: MAPPINGS_DIR }),
      (e: unknown) => e instanceof ConfigError && e.violations.some((v) => v.path === '/webhooks/allowTargets/1' && /not a CIDR range/.test(v.message)),
    );
  });
});

for (const backend of backends()) {
  describe(`webhook subscriptions cannot reach inside (${backend})`, function () {
    this.timeout(30_000);
    let t: TestHub;
    let library: string;
    let target: http.Server;
    let targetPort = 0;
    let targetHits = 0;
    const answers = new Map<string, string[]>();
    const bearer = () => ({ authorization: `Bearer ${library}` });
    const subscribe = (body: object) =>
      request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer())
        .send({ consumer: 'library', ...body });

    before(async () => {
      watchSockets();
      // A loopback server standing in for an internal service: it must never be reached through a subscription.
      target = http.createServer((req, res) => {
        targetHits++;
        if (req.url === '/redirect') res.writeHead(302, { location: 'http://169.254.169.254/latest/meta-data/' }).end();
        else res.writeHead(422, { 'content-type': 'text/plain' }).end('INTERNAL-SECRET: db password is hunter2');
      });
      await new Promise<void>((r) => target.listen(0, '127.0.0.1', () => r()));
      targetPort = (target.address() as AddressInfo).port;
      t = await makeHub({
        backend,
        resolve: steeredResolver(answers),
        config: baseConfig({
          sinks: [],
          routes: [],
          consumers: [
            { id: 'library', entities: ['person'], institutions: ['rtu.lv'], legalBasis: 'contract', purpose: 'Library accounts' },
            { id: 'archive', entities: ['person'], legalBasis: 'public-task', purpose: 'Archive', allowFullReplay: true },
          ],
          // The only non-public target allowed: a name the deployment runs its own receiver under.
          webhooks: { allowTargets: ['receiver.internal'], maxSubscriptionsPerConsumer: 3, replayWindow: 0 },
        }),
      });
      library = (
        await request(t.app)
          .post('/api/v1/tokens')
          .set(auth)
          .send({ name: 'library', scopes: ['feed:library', 'feed:archive'] })
          .expect(201)
      ).body.token;
    });
    after(async () => {
      net.Socket.prototype.connect = realConnect;
      await t?.stop();
      await new Promise((r) => target?.close(r));
    });
    afterEach(() => assert.deepEqual(outside, [], 'no connection outside loopback was attempted'));

    const deadLetter = async (id: string) =>
      eventually(
        async () => {
          const r = await request(t.app).get(`/api/v1/webhooks/${id}/deliveries?status=dead`).set(bearer()).expect(200);
          return r.body.items[0] as { lastError: string; attempts: number } | undefined;
        },
        10_000,
        'a dead delivery',
      );

    it('refuses loopback, metadata and private targets however they are written (400, path /url), without connecting', async () => {
      const hits = targetHits;
      const urls = [
        `http://127.0.0.1:${targetPort}/`,
        `http://0x7f000001:${targetPort}/`,
        `http://2130706433:${targetPort}/`,
        `http://0177.0.0.1:${targetPort}/`,
        `http://127.1:${targetPort}/`,
        `http://[::1]:${targetPort}/`,
        `http://[::ffff:127.0.0.1]:${targetPort}/`,
        'http://169.254.169.254/latest/meta-data/',
        'http://[fd00::1]/',
        'http://100.64.0.1/',
        'http://0.0.0.0/',
      ];
      for (const url of urls) {
        const res = await subscribe({ url }).expect(400);
        assert.match(res.headers['content-type'] ?? '', /application\/problem\+json/);
        assert.equal(res.body.code, 'HUB_ERR_TARGET_REFUSED', url);
        assert.equal(res.body.errors[0].pointer, '/url');
        assert.match(res.body.errors[0].message, /refused: .* address/, url);
      }
      assert.equal(targetHits, hits, 'the internal service was never called');
    });

    it('refuses a name that resolves to a non-public address, even beside a public one', async () => {
      answers.set('metadata.example', ['169.254.169.254']);
      answers.set('intranet.example', ['10.0.0.1']);
      answers.set('mixed.example', ['193.0.14.129', '192.168.0.10']);
      for (const host of ['metadata.example', 'intranet.example', 'mixed.example']) {
        const res = await subscribe({ url: `https://${host}/hook` }).expect(400);
        assert.equal(res.body.code, 'HUB_ERR_TARGET_REFUSED');
        assert.match(res.body.errors[0].message, new RegExp(`${host.replace('.', '\\.')} refused: it resolves to`));
      }
      const unknown = await subscribe({ url: 'https://nowhere.example/hook' }).expect(400);
      assert.match(unknown.body.errors[0].message, /does not resolve/);
    });

    it('refuses credentials in the URL and other schemes (400)', async () => {
      answers.set('receiver.internal', ['127.0.0.1']);
      const creds = await subscribe({ url: 'http://user:secret@receiver.internal/hook' }).expect(400);
      assert.equal(creds.body.code, 'HUB_ERR_TARGET_REFUSED');
      assert.match(creds.body.errors[0].message, /user name or password/);
      const ftp = await subscribe({ url: 'ftp://receiver.internal/hook' }).expect(400);
      assert.equal(ftp.body.errors[0].pointer, '/url');
    });

    it('checks the address again at delivery: a name rebound to an internal address is refused before connecting', async () => {
      answers.set('rebind.example', ['193.0.14.129']);
      const sub = await subscribe({ url: `http://rebind.example:${targetPort}/hook`, retry: { maxAttempts: 2, initialDelayMs: 10 } }).expect(201);
      answers.set('rebind.example', ['127.0.0.1']);
      const hits = targetHits;
      await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(901)).expect(202);
      const dead = await deadLetter(sub.body.id);
      assert.match(dead.lastError, /^rejected: target rebind\.example:\d+ refused: it resolves to 127\.0\.0\.1 is a loopback address/);
      assert.equal(targetHits, hits, 'the internal service was never called');
      await request(t.app).delete(`/api/v1/webhooks/${sub.body.id}`).set(bearer()).expect(204);
    });

    it('does not follow redirects, and never shows the target’s answer to the consumer', async () => {
      answers.set('receiver.internal', ['127.0.0.1']);
      const redirect = await subscribe({ url: `http://receiver.internal:${targetPort}/redirect`, retry: { maxAttempts: 2, initialDelayMs: 10 } }).expect(201);
      const refuse = await subscribe({ url: `http://receiver.internal:${targetPort}/refuse`, retry: { maxAttempts: 2, initialDelayMs: 10 } }).expect(201);
      const hits = targetHits;
      await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(902)).expect(202);
      const moved = await deadLetter(redirect.body.id);
      assert.match(moved.lastError, /answered HTTP 302 Found \(redirects are not followed\)$/);
      const refused = await deadLetter(refuse.body.id);
      assert.match(refused.lastError, /answered HTTP 422 Unprocessable Entity$/);
      assert.doesNotMatch(JSON.stringify(refused), /INTERNAL-SECRET|hunter2/);
      assert.equal(targetHits - hits, 2, 'one call each, the redirect not followed');
      for (const s of [redirect, refuse]) await request(t.app).delete(`/api/v1/webhooks/${s.body.id}`).set(bearer()).expect(204);
    });

    it('limits the subscriptions of a consumer, and a full replay to consumers allowed one', async () => {
      answers.set('receiver.internal', ['127.0.0.1']);
      const ids: string[] = [];
      for (let i = 0; i < 3; i++) ids.push((await subscribe({ url: `http://receiver.internal:${targetPort}/${i}` }).expect(201)).body.id);
      const fourth = await subscribe({ url: `http://receiver.internal:${targetPort}/3` }).expect(409);
      assert.match(fourth.body.detail ?? fourth.body.title, /3 active subscriptions/);
      for (const id of ids) await request(t.app).delete(`/api/v1/webhooks/${id}`).set(bearer()).expect(204);
      // Changes are held (the tests above ingested two): 'start' lies outside a replay window of 0.
      const start = await subscribe({ url: `http://receiver.internal:${targetPort}/all`, from: 'start' }).expect(403);
      assert.equal(start.body.errors[0].pointer, '/from');
      await subscribe({ url: `http://receiver.internal:${targetPort}/cursor`, from: '0' }).expect(403);
      const archive = await request(t.app)
        .post('/api/v1/webhooks')
        .set(bearer())
        .send({ consumer: 'archive', url: `http://receiver.internal:${targetPort}/all`, from: 'start' })
        .expect(201);
      await request(t.app).delete(`/api/v1/webhooks/${archive.body.id}`).set(bearer()).expect(204);
    });

    it('answers 415 to a body that is not JSON, and 400 to fields over their length', async () => {
      const res = await request(t.app).post('/api/v1/webhooks').set(bearer()).set('content-type', 'text/plain').send(`url=http://receiver.internal:${targetPort}/`).expect(415);
      assert.equal(res.body.code, 'HUB_ERR_UNSUPPORTED_MEDIA_TYPE');
      const long = await subscribe({ url: `http://receiver.internal:${targetPort}/`, entities: ['x'.repeat(300)] }).expect(400);
      assert.equal(long.body.errors[0].pointer, '/entities/0');
    });
  });
}
