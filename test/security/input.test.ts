import assert from 'node:assert/strict';
import request from 'supertest';
import { NestingTooDeepError, type ConfigError } from '../../src/core/errors.ts';
import { stableStringify } from '../../src/core/ids.ts';
import { DEFAULT_MAX_DEPTH, tooDeep } from '../../src/core/json-walk.ts';
import { projectRecord } from '../../src/feeds/consumers.ts';
import { jsonDiff } from '../../src/mapping/diff.ts';
import { createBridge } from '../../src/nodered/bridge.ts';
import { locateJsonError } from '../../src/pipeline/json-locate.ts';
import { scrubDeep } from '../../src/privacy/scrub.ts';
import { parseXml } from '../../src/ewp/xml/parse.ts';
import { ADMIN_TOKEN, auth, backends, baseConfig, canonicalPerson, makeHub, schemas, type TestHub } from '../helpers/hub.ts';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';

/** `levels` objects (`{"a":…}`) or arrays (`[…]`) nested in one another around a value. */
function nestedText(levels: number, kind: 'object' | 'array', inner = '1'): string {
  return kind === 'object' ? '{"a":'.repeat(levels) + inner + '}'.repeat(levels) : '['.repeat(levels) + inner + ']'.repeat(levels);
}

function nested(levels: number, kind: 'object' | 'array', inner: unknown = 1): unknown {
  let v = inner;
  for (let i = 0; i < levels; i++) v = kind === 'object' ? { a: v } : [v];
  return v;
}

const PROBLEM = /^application\/problem\+json/;

for (const backend of backends()) {
  describe(`security: every input is kept, nesting and lengths are bounded (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend });
    });
    after(async () => {
      await t?.stop();
    });

    const ingest = (path: string, body: string, type = 'application/json') => request(t.app).post(`/api/v1/ingest/${path}`).set(auth).set('content-type', type).send(body);
    const message = async (id: string) =>
      (await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body as { status: string; errorCode: string; raw: string; rawSize: number; sourceId: string };

    for (const levels of [2500, 20_000]) {
      for (const kind of ['object', 'array'] as const) {
        // The canonical mapping (rtu-push), a source mapping (lu-lais) and consents (src/privacy's input).
        for (const path of ['rtu-push/person', 'lu-lais/person', 'rtu-push/consent']) {
          it(`refuses ${levels} levels of ${kind}s on /ingest/${path} with 400 problem+json and keeps the raw bytes`, async () => {
            const body = nestedText(levels, kind);
            const res = await ingest(path, body);
            assert.equal(res.status, 400, res.text.slice(0, 300));
            assert.match(res.headers['content-type']!, PROBLEM);
            assert.equal(res.body.code, 'HUB_ERR_NESTING_TOO_DEEP');
            assert.equal(res.body.maxDepth, DEFAULT_MAX_DEPTH);
            // The pointer of the container one level too deep (a record may nest maxDepth levels; a body array adds one).
            const step = kind === 'object' ? '/a' : '/0';
            const levelsShown = kind === 'array' ? DEFAULT_MAX_DEPTH + 1 : DEFAULT_MAX_DEPTH;
            assert.equal(res.body.errors[0].pointer, step.repeat(levelsShown));
            assert.match(res.body.detail, /limits\.maxDepth \(64 levels/);
            const m = await message(res.body.messageId);
            assert.equal(m.status, 'rejected');
            assert.equal(m.errorCode, 'HUB_ERR_NESTING_TOO_DEEP');
            assert.equal(m.raw, body, 'the raw bytes are kept as they came');
            assert.equal(m.rawSize, Buffer.byteLength(body));
            await request(t.app).get('/healthz').expect(200);
          });
        }
      }
    }

    it('takes a record nested exactly limits.maxDepth deep, alone or in an array, and refuses one level more', async () => {
      const deepField = (levels: number) => ({ ...canonicalPerson(70), extra: nested(levels - 1, 'object') });
      // Not refused for depth (the canonical schema may still reject the unknown field: 422, kept).
      for (const body of [deepField(DEFAULT_MAX_DEPTH), [deepField(DEFAULT_MAX_DEPTH)]]) {
        const ok = await ingest('rtu-push/person', JSON.stringify(body));
        assert.notEqual(ok.body.code, 'HUB_ERR_NESTING_TOO_DEEP', ok.text.slice(0, 300));
        assert.ok(ok.status === 202 || ok.status === 422, ok.text.slice(0, 300));
      }
      const single = await ingest('rtu-push/person', JSON.stringify(deepField(DEFAULT_MAX_DEPTH + 1))).expect(400);
      assert.equal(single.body.code, 'HUB_ERR_NESTING_TOO_DEEP');
      const inArray = await ingest('rtu-push/person', JSON.stringify([canonicalPerson(71), deepField(DEFAULT_MAX_DEPTH + 1)])).expect(400);
      assert.match(inArray.body.errors[0].pointer, /^\/1\/extra\/a\/a/);
      assert.equal((await message(inArray.body.messageId)).status, 'rejected');
    });

    it('still answers and ingests after deep input', async () => {
      await ingest('rtu-push/person', nestedText(20_000, 'object')).expect(400);
      await request(t.app).get('/healthz').expect(200);
      const ok = await ingest('rtu-push/person', JSON.stringify(canonicalPerson(72))).expect(202);
      assert.equal(ok.body.messages[0].status, 'committed');
    });

    it('replays a message rejected for its depth without an internal error (rejected again, same reason)', async () => {
      const res = await ingest('rtu-push/person', nestedText(2500, 'object')).expect(400);
      const replay = await request(t.app).post(`/api/v1/messages/${res.body.messageId}/replay`).set(auth).expect(200);
      assert.equal(replay.body.status, 'rejected');
      assert.equal(replay.body.errorCode, 'HUB_ERR_NESTING_TOO_DEEP');
    });

    it('refuses deep JSON bodies on every other JSON endpoint with 400 problem+json', async () => {
      const deep = nestedText(20_000, 'object');
      for (const path of ['/api/v1/tokens', '/api/v1/messages/replay', '/api/v1/persons/lookup', '/api/v1/sources/lu-lais/sync', '/api/v1/webhooks']) {
        const res = await request(t.app).post(path).set(auth).set('content-type', 'application/json').send(deep);
        assert.equal(res.status, 400, `${path}: ${res.text.slice(0, 200)}`);
        assert.match(res.headers['content-type']!, PROBLEM);
        assert.equal(res.body.code, 'HUB_ERR_NESTING_TOO_DEEP', path);
      }
      await request(t.app).get('/healthz').expect(200);
    });

    it('keeps deep records that do not come over HTTP (sources, flows) as rejected messages with their JSON text', async () => {
      const record = { ...canonicalPerson(73), extra: nested(20_000, 'array') };
      const [r] = await t.hub.pipeline.ingest('rtu-push', 'person', [record], 'application/json');
      assert.equal(r!.status, 'rejected');
      assert.equal(r!.error!.code, 'HUB_ERR_NESTING_TOO_DEEP');
      const m = await message(r!.messageId);
      assert.equal(m.raw.length, JSON.stringify(canonicalPerson(73)).length - 1 + ',"extra":'.length + 2 * 20_000 + 2);
      assert.ok(m.raw.startsWith('{"institution":"rtu.lv"') && m.raw.endsWith(`1${']'.repeat(20_000)}}`));
    });

    it('Node-RED bridge: a deep value from a flow is refused by map and validate, not a stack overflow', async () => {
      const { bridge, stop } = createBridge(t.hub);
      try {
        await assert.rejects(bridge.map('canonical', 'person', nested(20_000, 'object'), { institution: 'rtu.lv' }), NestingTooDeepError);
        const v = bridge.validate('person', { ...canonicalPerson(74), extra: nested(20_000, 'object') });
        assert.equal(v[0]!.keyword, 'maxDepth');
        assert.match(v[0]!.path, /^\/extra\/a\/a/);
      } finally {
        await stop();
      }
    });

    it('admin console: the page of a message rejected for its depth renders (the raw payload as text)', async () => {
      const res = await ingest('rtu-push/person', nestedText(20_000, 'array')).expect(400);
      const agent = request.agent(t.app);
      const form = await agent.get('/admin/login').expect(200);
      const csrf = /name="_csrf" value="([^"]*)"/.exec(form.text)![1]!;
      await agent.post('/admin/login').type('form').send({ token: ADMIN_TOKEN, _csrf: csrf, next: '/admin/' }).expect(303);
      const page = await agent.get(`/admin/messages/${res.body.messageId}`).expect(200);
      assert.match(page.text, /HUB_ERR_NESTING_TOO_DEEP/);
    });

    it('an unknown source in the ingest path is a 404 and nothing is stored; a malformed or 3,000-character one a 400', async () => {
      const created = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'any source', scopes: ['ingest:*'] })
        .expect(201);
      const tok = { authorization: `Bearer ${created.body.token}` };
      const long = 's'.repeat(3000);
      for (const [source, entity, status, code] of [
        [long, 'person', 400, 'HUB_ERR_BAD_REQUEST'],
        ['rtu-push', long, 400, 'HUB_ERR_BAD_REQUEST'],
        ['Not A Source', 'person', 400, 'HUB_ERR_BAD_REQUEST'],
        ['no-such-source', 'person', 404, 'HUB_ERR_UNKNOWN_SOURCE'],
      ] as const) {
        const res = await request(t.app)
          .post(`/api/v1/ingest/${encodeURIComponent(source)}/${entity}`)
          .set(tok)
          .send(canonicalPerson(75));
        assert.equal(res.status, status, res.text.slice(0, 200));
        assert.match(res.headers['content-type']!, PROBLEM);
        assert.equal(res.body.code, code);
        assert.equal(res.body.messageId, undefined, 'nothing stored');
        const kept = await request(t.app).get('/api/v1/messages').query({ source, entity }).set(auth).expect(200);
        assert.deepEqual(kept.body.items, []);
      }
      // The same for a body the parser refuses (too large): nothing under an unknown source.
      const big = await request(t.app)
        .post('/api/v1/ingest/no-such-source/person')
        .set(tok)
        .set('content-type', 'application/json')
        .send(JSON.stringify({ pad: 'x'.repeat(6 * 1024 * 1024) }));
      assert.equal(big.status, 404);
    });

    it('limits what a caller can name: token names and scopes, replay ids (400 problem+json with pointers)', async () => {
      const name = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'n'.repeat(3000), scopes: ['read:*'] })
        .expect(400);
      assert.match(name.headers['content-type']!, PROBLEM);
      assert.equal(name.body.errors[0].pointer, '/name');
      const ctl = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'line\nbreak', scopes: ['read:*'] })
        .expect(400);
      assert.equal(ctl.body.errors[0].pointer, '/name');
      const scope = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'ok', scopes: [`ingest:${'s'.repeat(3000)}`] })
        .expect(400);
      assert.equal(scope.body.errors[0].pointer, '/scopes/0');
      assert.ok(scope.text.length < 2000);
      const many = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'ok', scopes: Array.from({ length: 51 }, () => 'read:*') })
        .expect(400);
      assert.equal(many.body.errors[0].pointer, '/scopes');
      await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'n'.repeat(100), scopes: ['read:*'] })
        .expect(201);
      const replay = await request(t.app)
        .post('/api/v1/messages/replay')
        .set(auth)
        .send({ ids: ['i'.repeat(3000)] })
        .expect(400);
      assert.equal(replay.body.errors[0].pointer, '/ids');
    });

    it('answers 415 for a body that is not JSON on every JSON route (it is never acted on)', async () => {
      const cases: [string, string, string][] = [
        ['/api/v1/sources/lu-lais/sync', 'application/x-www-form-urlencoded', 'full=true'],
        ['/api/v1/sources/lu-lais/sync', 'text/plain', '{"full":true}'],
        ['/api/v1/tokens', 'text/plain', '{"name":"x","scopes":["admin"]}'],
        ['/api/v1/messages/replay', 'text/csv', 'a,b'],
        ['/api/v1/persons/lookup', 'application/xml', '<personalCode/>'],
        ['/api/v1/sources/lu-lais/pause', 'text/plain', 'now'],
      ];
      for (const [path, type, body] of cases) {
        const res = await request(t.app).post(path).set(auth).set('content-type', type).send(body);
        assert.equal(res.status, 415, `${path} ${type}: ${res.text.slice(0, 200)}`);
        assert.match(res.headers['content-type']!, PROBLEM);
        assert.equal(res.body.code, 'HUB_ERR_UNSUPPORTED_MEDIA_TYPE');
      }
      // Without a body the body-less routes answer as before (a push-only source cannot sync: 409).
      await request(t.app).post('/api/v1/sources/rtu-push/sync').set(auth).expect(409);
      // Ingest: 415, and the input is kept (a configured source).
      const ing = await ingest('rtu-push/person', JSON.stringify(canonicalPerson(76)), 'text/plain').expect(415);
      assert.equal((await message(ing.body.messageId)).status, 'rejected');
    });
  });
}

describe('security: limits.maxDepth and the iterative walks', () => {
  it('limits.maxDepth is configurable (2 to 1000) and applied to ingest bodies', async () => {
    const mappings = new MappingEngine();
    assert.throws(
      () => validateConfig({ ...baseConfig(), limits: { maxDepth: 5000 } }, { schemas, adapters, mappingsDir: mappings.dir }),
      (e: ConfigError) => e.violations.some((v) => v.path === '/limits/maxDepth'),
    );
    const t = await makeHub({ config: { ...baseConfig(), limits: { maxDepth: 4 } } });
    try {
      const body = JSON.stringify({ ...canonicalPerson(80), extra: nested(4, 'object') });
      const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).set('content-type', 'application/json').send(body).expect(400);
      assert.equal(res.body.maxDepth, 4);
      assert.equal(res.body.errors[0].pointer, '/extra/a/a/a');
    } finally {
      await t.stop();
    }
  });

  it('walk untrusted values of any depth without recursion: stable text, diff, projection, erasure, JSON error position, XML', () => {
    const deep = nested(20_000, 'object', { b: 1, a: 2 });
    const text = stableStringify(deep);
    assert.equal(text, `${'{"a":'.repeat(20_000)}{"a":2,"b":1}${'}'.repeat(20_000)}`);
    // The stable form is hashed (idempotency keys, the disclosure log's chain): it stays as it was.
    assert.equal(stableStringify({ b: [1, undefined, { d: new Date(0), c: null }], a: 'ā', u: undefined, f: () => 1 }), '{"a":"ā","b":[1,null,{"c":null,"d":{}}],"f":null}');
    assert.equal(tooDeep(deep, 20_001), undefined);
    assert.equal(tooDeep(deep, 20_000)!.depth, 20_001);
    const diff = jsonDiff(deep, nested(20_000, 'object', { b: 1, a: 3 }));
    assert.deepEqual(
      diff.map((d) => d.expected),
      [2],
    );
    const projected = projectRecord(
      { id: 'x', sourceId: 's', institution: 'rtu.lv', version: 1, nested: nested(20_000, 'array', { identifiers: [{ scheme: 'lv-personas-kods', value: '010101-10006' }] }) },
      undefined,
      [],
    );
    assert.ok(!JSON.stringify(stableStringify(projected)).includes('010101-10006'));
    const terms = { global: [], scoped: ['Liepiņa'], identifierValues: new Set<string>(), pseudoById: new Map(), pseudoByKey: new Map() };
    const erased = stableStringify(scrubDeep(nested(20_000, 'array', 'Anna Liepiņa'), terms));
    assert.ok(erased.includes('Anna [erased]') && !erased.includes('Liepiņa'));
    assert.equal(locateJsonError(`${'['.repeat(200_000)}}`), 200_000);
    assert.throws(
      () => parseXml(`${'<a>'.repeat(20_000)}x${'</a>'.repeat(20_000)}`),
      (e: Error & { code?: string }) => e.code === 'HUB_ERR_MALFORMED_INPUT',
    );
  });
});
