import assert from 'node:assert/strict';
import { createRequire } from 'node:module';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import request from 'supertest';
import { ViisSimulator } from '../adapters/viis/simulator.ts';
import { componentName } from '../src/api/openapi/document.ts';
import { createDevSealKey } from '../src/emrex/keys.ts';
import { registerKeywords } from '../src/schemas/keywords.ts';
import { CHROMIUM, needBrowser } from './e2e/browser.ts';
import { auth, baseConfig, eventually, makeHub, type TestHub } from './helpers/hub.ts';
import { person, personalCode, PROGRAMME } from './viis/fixtures.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

type Doc = {
  openapi: string;
  paths: Record<string, Record<string, { responses: Record<string, { content?: Record<string, { schema: object }> }> }>>;
  components: { schemas: Record<string, object> };
};

describe('OpenAPI document', function () {
  this.timeout(30_000);
  let t: TestHub;
  let sim: ViisSimulator;
  let doc: Doc;
  let ajv: Ajv2020;
  const exercised = new Set<string>();
  const validators = new Map<string, ValidateFunction>();

  /**
   * Checks a real answer: it has the status this call must get, the document lists that status for
   * the operation, and the body matches the schema documented for it.
   */
  function check(method: string, path: string, status: number, res: request.Response): request.Response {
    assert.equal(res.status, status, `${method.toUpperCase()} ${path} answered ${res.status}, expected ${status}: ${res.text?.slice(0, 300)}`);
    const op = doc.paths[path]?.[method];
    assert.ok(op, `${method.toUpperCase()} ${path} is not in the document`);
    const r = op.responses[String(res.status)];
    assert.ok(r, `${method.toUpperCase()} ${path} answered ${res.status}, which the document does not list`);
    exercised.add(`${method} ${path}`);
    const ct = String(res.headers['content-type'] ?? '').split(';')[0]!;
    if (!r.content) {
      assert.ok(res.status === 204 || res.status === 304 || !res.text, `${method} ${path} ${res.status}: a body the document does not describe`);
      return res;
    }
    assert.ok(r.content[ct], `${method.toUpperCase()} ${path} ${res.status} answered ${ct}; documented: ${Object.keys(r.content).join(', ')}`);
    if (ct.endsWith('json')) {
      const key = `${method} ${path} ${res.status} ${ct}`;
      let v = validators.get(key);
      if (!v) {
        v = ajv.compile({ $ref: `openapi.json#/paths/${path.replace(/~/g, '~0').replace(/\//g, '~1')}/${method}/responses/${res.status}/content/${ct.replace(/\//g, '~1')}/schema` });
        validators.set(key, v);
      }
      assert.ok(v(res.body), `${method.toUpperCase()} ${path} ${res.status}: ${ajv.errorsText(v.errors)}\n${JSON.stringify(res.body).slice(0, 500)}`);
    }
    return res;
  }

  before(async () => {
    sim = new ViisSimulator({ programmes: [PROGRAMME] });
    const endpoint = await sim.start();
    // The EMREX client of lu.lv, with two Swedish contact points in an EMREG list (a country with several: 409).
    const dir = mkdtempSync(join(tmpdir(), 'openapi-emreg-'));
    const { certificatePem } = await createDevSealKey(dir, 'CN=EMREX test contact point, C=SE');
    const emp = (url: string, acronym: string) => ({ url, acronym, countryCode: 'SE', institutions: ['su.se'], pubKey: certificatePem });
    const emreg = join(dir, 'emreg.json');
    writeFileSync(emreg, JSON.stringify({ emps: [emp('https://emrex.su.example/emrex/', 'One'), emp('https://emrex.kth.example/emrex/', 'Two')], countries: [] }));
    const base = baseConfig();
    t = await makeHub({
      config: baseConfig({
        sources: [...base.sources, { id: 'lu-emrex', institution: 'lu.lv', mappingSet: 'canonical' }],
        emrex: { publicUrl: 'http://127.0.0.1', client: { institutions: [{ id: 'lu.lv', source: 'lu-emrex' }], emreg } },
        sinks: [
          { id: 'out', type: 'file', options: { path: 'out/all.jsonl' } },
          { id: 'viis', type: 'viis', options: { endpoint, timeoutMs: 3000 } },
        ],
        routes: [
          { id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } },
          { id: 'viis', sink: 'viis', match: { entities: ['person'], institutions: ['rtu.lv'] }, legalBasis: 'legal-obligation', purpose: 'register', retry: { maxAttempts: 3, initialDelayMs: 20 } },
        ],
        consumers: [{ id: 'library', entities: ['person'], fields: { person: ['givenNames', 'familyName'] }, legalBasis: 'contract', purpose: 'library' }],
        webhooks: { allowTargets: ['127.0.0.1'] },
      }),
    });
    const res = await request(t.app).get('/api/openapi.json').expect(200);
    doc = res.body as Doc;
    ajv = new Ajv2020({ strict: false, allErrors: true, allowUnionTypes: true });
    addFormats(ajv);
    registerKeywords(ajv);
    ajv.addSchema(doc, 'openapi.json');
  });
  after(async () => {
    await t?.stop();
    await sim?.close();
  });

  it('is an OpenAPI 3.1 document served without credentials', async () => {
    const res = check('get', '/api/openapi.json', 200, await request(t.app).get('/api/openapi.json'));
    assert.equal(res.body.openapi, '3.1.0');
    assert.equal(res.body.jsonSchemaDialect, 'https://json-schema.org/draft/2020-12/schema');
    assert.ok(Object.keys(res.body.paths).length >= 15);
  });

  it('takes its canonical schemas from schemas/, with every reference made internal', () => {
    const files = readdirSync(new URL('../schemas/', import.meta.url)).filter((f) => f.endsWith('.schema.json'));
    assert.ok(files.length >= 17);
    // Turning the internal references back into the files' own gives the files (less $id and $schema).
    const back = (n: unknown, self: string): unknown => {
      if (Array.isArray(n)) return n.map((x) => back(x, self));
      if (!n || typeof n !== 'object') return n;
      return Object.fromEntries(
        Object.entries(n).map(([k, v]) => {
          if (k !== '$ref' || typeof v !== 'string') return [k, back(v, self)];
          const m = /^#\/components\/schemas\/([A-Za-z]+)(.*)$/.exec(v)!;
          const file = m[1]!.replace(/([a-z])([A-Z])/g, '$1-$2').toLowerCase();
          return [k, file === self ? `#${m[2]}` : `${file}.schema.json${m[2] ? `#${m[2]}` : ''}`];
        }),
      );
    };
    for (const f of files) {
      const name = componentName(f.replace(/\.schema\.json$/, ''));
      const { $id: _id, $schema: _s, ...original } = JSON.parse(readFileSync(new URL(`../schemas/${f}`, import.meta.url), 'utf8')) as Record<string, unknown>;
      assert.deepEqual(back(doc.components.schemas[name], f.replace(/\.schema\.json$/, '')), original, name);
    }
  });

  it('is self-contained, names every operation and refers to a schema for every body', () => {
    const refs: string[] = [];
    const walk = (n: unknown): void => {
      if (Array.isArray(n)) n.forEach(walk);
      else if (n && typeof n === 'object') {
        for (const [k, v] of Object.entries(n)) {
          if (k === '$ref') refs.push(String(v));
          else walk(v);
        }
      }
    };
    walk(doc);
    assert.ok(refs.length > 100);
    assert.deepEqual(
      refs.filter((r) => !r.startsWith('#/components/schemas/')),
      [],
      'internal $refs only',
    );
    assert.doesNotMatch(JSON.stringify(doc), /"\$id"/);
    const ids: string[] = [];
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item) as [
        string,
        { operationId?: string; requestBody?: { content: Record<string, { schema: { $ref?: string } }> }; responses: Record<string, { content?: Record<string, { schema: { $ref?: string } }> }> },
      ][]) {
        assert.match(op.operationId ?? '', /^[a-z][A-Za-z]+$/, `${method} ${path}: operationId`);
        ids.push(op.operationId!);
        const bodies = [...Object.entries(op.requestBody?.content ?? {}), ...Object.values(op.responses).flatMap((r) => Object.entries(r.content ?? {}))];
        for (const [ct, media] of bodies) if (ct.endsWith('json')) assert.ok(media.schema.$ref, `${method} ${path} ${ct}: the body names no schema`);
      }
    }
    assert.equal(new Set(ids).size, ids.length, 'operationIds are unique');
    // A record envelope holds one of the canonical entities.
    const record = (doc.components.schemas.RecordEnvelope as { properties: { record: { anyOf: { $ref: string }[] } } }).properties.record;
    assert.ok(record.anyOf.some((r) => r.$ref === '#/components/schemas/Person'));
  });

  it('passes two independent OpenAPI validators', async () => {
    const { Validator } = await import('@seriousme/openapi-schema-validator');
    const result = await new Validator().validate(structuredClone(doc) as unknown as Record<string, unknown>);
    assert.deepEqual(result, { valid: true });
    const { default: SwaggerParser } = await import('@apidevtools/swagger-parser');
    await SwaggerParser.validate(structuredClone(doc) as never);
    // Both can fail: a parameter that does not say where it goes, and a dangling reference.
    const broken = structuredClone(doc) as unknown as { paths: Record<string, Record<string, Record<string, unknown>>> };
    broken.paths['/healthz']!.get!.parameters = [{ name: 'x', schema: { type: 'string' } }];
    assert.equal((await new Validator().validate(structuredClone(broken) as unknown as Record<string, unknown>)).valid, false);
    const dangling = structuredClone(doc) as unknown as { components: { schemas: Record<string, unknown> } };
    delete dangling.components.schemas.Problem;
    await assert.rejects(SwaggerParser.validate(dangling as never));
  });

  it('resolves every response schema it names', () => {
    for (const [path, item] of Object.entries(doc.paths)) {
      for (const [method, op] of Object.entries(item)) {
        for (const [status, r] of Object.entries(op.responses)) {
          for (const ct of Object.keys(r.content ?? {})) {
            if (!ct.endsWith('json')) continue;
            assert.doesNotThrow(
              () => ajv.compile({ $ref: `openapi.json#/paths/${path.replace(/\//g, '~1')}/${method}/responses/${status}/content/${ct.replace(/\//g, '~1')}/schema` }),
              `${method} ${path} ${status}`,
            );
          }
        }
      }
    }
  });

  it('describes the real answers of the API', async () => {
    const a = request(t.app);
    check('get', '/healthz', 200, await a.get('/healthz'));
    check('get', '/readyz', 200, await a.get('/readyz'));
    check('get', '/metrics', 200, await a.get('/metrics').set(auth));
    check('get', '/metrics', 401, await a.get('/metrics'));

    const ok = check(
      'post',
      '/api/v1/ingest/{sourceId}/{entity}',
      202,
      await a
        .post('/api/v1/ingest/rtu-push/person')
        .set(auth)
        .send([person(1), person(2)]),
    );
    const bad = check('post', '/api/v1/ingest/{sourceId}/{entity}', 422, await a.post('/api/v1/ingest/rtu-push/person').set(auth).send({ sourceId: 'X' }));
    check('post', '/api/v1/ingest/{sourceId}/{entity}', 404, await a.post('/api/v1/ingest/nowhere/person').set(auth).send({}));
    check('post', '/api/v1/ingest/{sourceId}/{entity}', 400, await a.post('/api/v1/ingest/rtu-push/person').set(auth).type('json').send('{"oops":'));
    check('post', '/api/v1/ingest/{sourceId}/{entity}', 401, await a.post('/api/v1/ingest/rtu-push/person').send({}));
    const del = '/api/v1/ingest/{sourceId}/{entity}/delete';
    const gone = check(
      'post',
      del,
      202,
      await a
        .post('/api/v1/ingest/rtu-push/person/delete')
        .set(auth)
        .send({ sourceIds: [person(2).sourceId] }),
    );
    assert.equal(gone.body.messages[0].status, 'committed');
    assert.equal((await a.get(`/api/v1/records/person/${gone.body.messages[0].recordId}`).set(auth)).body.deleted, true);
    const missing = check(
      'post',
      del,
      422,
      await a
        .post('/api/v1/ingest/rtu-push/person/delete')
        .set(auth)
        .send({ sourceIds: ['never-sent'] }),
    );
    assert.equal(missing.body.code, 'HUB_ERR_NOT_FOUND');
    check('post', del, 400, await a.post('/api/v1/ingest/rtu-push/person/delete').set(auth).send({ sourceIds: [] }));

    const messageId = ok.body.messages[0].messageId as string;
    const recordId = ok.body.messages[0].recordId as string;
    await eventually(async () => ((await a.get(`/api/v1/messages/${messageId}`).set(auth)).body.status === 'delivered' ? true : undefined));
    check('get', '/api/v1/messages', 200, await a.get('/api/v1/messages?limit=5').set(auth));
    check('get', '/api/v1/messages', 400, await a.get('/api/v1/messages?limit=0').set(auth));
    check('get', '/api/v1/messages/{id}', 200, await a.get(`/api/v1/messages/${messageId}`).set(auth));
    check('get', '/api/v1/messages/{id}', 200, await a.get(`/api/v1/messages/${bad.body.messages[0].messageId}`).set(auth));
    check('get', '/api/v1/messages/{id}', 404, await a.get('/api/v1/messages/nope').set(auth));
    check('post', '/api/v1/messages/{id}/replay', 200, await a.post(`/api/v1/messages/${bad.body.messages[0].messageId}/replay`).set(auth));
    check('post', '/api/v1/messages/{id}/replay', 404, await a.post(`/api/v1/messages/${messageId}/replay`).set(auth));
    check(
      'post',
      '/api/v1/messages/replay',
      200,
      await a
        .post('/api/v1/messages/replay')
        .set(auth)
        .send({ ids: [messageId, 'nope'] }),
    );
    // This hub has no EWP section (test/ewp/two-node.test.ts decides real nominations).
    check('get', '/api/v1/ewp/{heiId}/incoming-mobilities', 404, await a.get('/api/v1/ewp/lu.lv/incoming-mobilities').set(auth));
    check('get', '/api/v1/ewp/{heiId}/incoming-mobilities/{omobilityId}', 404, await a.get('/api/v1/ewp/lu.lv/incoming-mobilities/om-1').set(auth));
    check('post', '/api/v1/ewp/{heiId}/incoming-mobilities/{omobilityId}/approve', 404, await a.post('/api/v1/ewp/lu.lv/incoming-mobilities/om-1/approve').set(auth).send({}));
    check('post', '/api/v1/ewp/{heiId}/incoming-mobilities/{omobilityId}/reject', 404, await a.post('/api/v1/ewp/lu.lv/incoming-mobilities/om-1/reject').set(auth).send({ comment: 'no' }));
    check('post', '/api/v1/messages/replay', 400, await a.post('/api/v1/messages/replay').set(auth).send({ ids: [] }));

    const rec = check('get', '/api/v1/records/{entity}/{id}', 200, await a.get(`/api/v1/records/person/${recordId}`).set(auth));
    check(
      'get',
      '/api/v1/records/{entity}/{id}',
      304,
      await a
        .get(`/api/v1/records/person/${recordId}`)
        .set(auth)
        .set('if-none-match', rec.headers.etag as string),
    );
    check('get', '/api/v1/records/{entity}/{id}', 404, await a.get('/api/v1/records/person/nope').set(auth));

    check('get', '/api/v1/tokens', 200, await a.get('/api/v1/tokens').set(auth));
    const tok = check(
      'post',
      '/api/v1/tokens',
      201,
      await a
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'lib', scopes: ['feed:library'] }),
    );
    check(
      'post',
      '/api/v1/tokens',
      400,
      await a
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'x', scopes: ['root'] }),
    );
    const lib = { authorization: `Bearer ${tok.body.token as string}` };
    check('get', '/api/v1/tokens', 403, await a.get('/api/v1/tokens').set(lib));

    check('get', '/api/v1/feeds', 200, await a.get('/api/v1/feeds').set(lib));
    check('get', '/api/v1/feeds', 404, await a.get('/api/v1/feeds?consumer=nobody').set(auth));
    const page = check('get', '/api/v1/feeds/{entity}', 200, await a.get('/api/v1/feeds/person').set(lib));
    check(
      'get',
      '/api/v1/feeds/{entity}',
      304,
      await a
        .get('/api/v1/feeds/person')
        .set(lib)
        .set('if-none-match', page.headers.etag as string),
    );
    check('get', '/api/v1/feeds/{entity}', 200, await a.get('/api/v1/feeds/person').set(auth));
    check('get', '/api/v1/feeds/{entity}', 400, await a.get('/api/v1/feeds/person?after=x').set(auth));
    check('get', '/api/v1/feeds/{entity}', 403, await a.get('/api/v1/feeds/award').set(lib));
    check('get', '/api/v1/feeds/{entity}', 404, await a.get('/api/v1/feeds/nothing').set(auth));

    const sub = check(
      'post',
      '/api/v1/webhooks',
      201,
      await a
        .post('/api/v1/webhooks')
        .set(lib)
        .send({ url: 'http://127.0.0.1:9/hook', consumer: 'library', retry: { maxAttempts: 1, initialDelayMs: 10 } }),
    );
    check('post', '/api/v1/webhooks', 400, await a.post('/api/v1/webhooks').set(auth).send({ url: 'nope' }));
    check('post', '/api/v1/webhooks', 404, await a.post('/api/v1/webhooks').set(auth).send({ url: 'http://127.0.0.1:9/hook', consumer: 'nobody' }));
    check('get', '/api/v1/webhooks', 200, await a.get('/api/v1/webhooks').set(lib));
    check('get', '/api/v1/webhooks/{id}', 200, await a.get(`/api/v1/webhooks/${sub.body.id}`).set(lib));
    check('get', '/api/v1/webhooks/{id}', 404, await a.get('/api/v1/webhooks/nope').set(lib));
    await a.post('/api/v1/ingest/rtu-push/person').set(auth).send(person(3)).expect(202);
    await eventually(async () => ((await a.get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=dead`).set(lib)).body.items.length ? true : undefined));
    check('get', '/api/v1/webhooks/{id}/deliveries', 200, await a.get(`/api/v1/webhooks/${sub.body.id}/deliveries`).set(lib));
    check('get', '/api/v1/webhooks/{id}/deliveries', 400, await a.get(`/api/v1/webhooks/${sub.body.id}/deliveries?status=lost`).set(lib));
    check('delete', '/api/v1/webhooks/{id}', 204, await a.delete(`/api/v1/webhooks/${sub.body.id}`).set(lib));
    check('delete', '/api/v1/webhooks/{id}', 404, await a.delete(`/api/v1/webhooks/${sub.body.id}`).set(lib));

    check('get', '/api/v1/reconcile/{sink}', 200, await a.get('/api/v1/reconcile/viis?institution=rtu.lv').set(auth));
    check('get', '/api/v1/reconcile/{sink}', 400, await a.get('/api/v1/reconcile/viis').set(auth));
    check('get', '/api/v1/reconcile/{sink}', 403, await a.get('/api/v1/reconcile/viis?institution=rtu.lv').set(lib));

    // Sources (push-only here: no adapter to sync, pause or resume).
    check('get', '/api/v1/sources', 200, await a.get('/api/v1/sources').set(auth));
    check('get', '/api/v1/sources', 403, await a.get('/api/v1/sources').set(lib));
    check('get', '/api/v1/sources/{id}', 200, await a.get('/api/v1/sources/rtu-push').set(auth));
    check('get', '/api/v1/sources/{id}', 400, await a.get('/api/v1/sources/rtu-push?probe=maybe').set(auth));
    check('get', '/api/v1/sources/{id}', 404, await a.get('/api/v1/sources/nowhere').set(auth));
    check('post', '/api/v1/sources/{id}/sync', 409, await a.post('/api/v1/sources/rtu-push/sync').set(auth).send({ full: true }));
    check('post', '/api/v1/sources/{id}/sync', 400, await a.post('/api/v1/sources/rtu-push/sync').set(auth).send({ full: 'yes' }));
    check('post', '/api/v1/sources/{id}/sync', 404, await a.post('/api/v1/sources/nowhere/sync').set(auth).send({}));
    check('post', '/api/v1/sources/{id}/pause', 409, await a.post('/api/v1/sources/rtu-push/pause').set(auth));
    check('post', '/api/v1/sources/{id}/pause', 404, await a.post('/api/v1/sources/nowhere/pause').set(auth));
    check('post', '/api/v1/sources/{id}/resume', 409, await a.post('/api/v1/sources/rtu-push/resume').set(auth));

    // Personal data: subject access, the disclosure log, erasure (last: it changes the person).
    const found = check(
      'post',
      '/api/v1/persons/lookup',
      200,
      await a
        .post('/api/v1/persons/lookup')
        .set(auth)
        .send({ personalCode: personalCode(1) }),
    );
    assert.equal(found.body.persons.length, 1);
    check('post', '/api/v1/persons/lookup', 400, await a.post('/api/v1/persons/lookup').set(auth).send({}));
    check('post', '/api/v1/persons/lookup', 403, await a.post('/api/v1/persons/lookup').set(lib).send({}));
    check('get', '/api/v1/persons/{id}/records', 200, await a.get(`/api/v1/persons/${recordId}/records`).set(auth));
    check('get', '/api/v1/persons/{id}/records', 404, await a.get('/api/v1/persons/00000000-0000-7000-8000-000000000000/records').set(auth));
    check('get', '/api/v1/persons/{id}/elmo', 200, await a.get(`/api/v1/persons/${recordId}/elmo`).set(auth));
    check('get', '/api/v1/persons/{id}/elmo', 400, await a.get(`/api/v1/persons/${recordId}/elmo?institution=nowhere.lv`).set(auth));
    check('get', '/api/v1/persons/{id}/elmo', 404, await a.get('/api/v1/persons/00000000-0000-7000-8000-000000000000/elmo').set(auth));
    const elmoXml = (await a.get(`/api/v1/persons/${recordId}/elmo`).set(auth)).text;
    check('post', '/api/v1/elmo/verify', 200, await a.post('/api/v1/elmo/verify').set(auth).set('content-type', 'application/xml').send(elmoXml));
    check('post', '/api/v1/elmo/verify', 415, await a.post('/api/v1/elmo/verify').set(auth).send({ elmo: true }));
    check('post', '/api/v1/credentials/verify', 200, await a.post('/api/v1/credentials/verify').set(auth).set('content-type', 'application/json').send('{"payload": "not a seal"}'));
    check('post', '/api/v1/credentials/verify', 415, await a.post('/api/v1/credentials/verify').set(auth).set('content-type', 'text/plain').send('x'));
    // EMREX: the hub as the client of lu.lv (results coming in).
    check('get', '/api/v1/emrex/contact-points', 200, await a.get('/api/v1/emrex/contact-points').set(auth));
    check('get', '/api/v1/emrex/contact-points', 401, await a.get('/api/v1/emrex/contact-points'));
    check('get', '/api/v1/emrex/contact-points', 403, await a.get('/api/v1/emrex/contact-points').set(lib));
    const student = check(
      'post',
      '/api/v1/ingest/{sourceId}/{entity}',
      202,
      await a.post('/api/v1/ingest/lu-emrex/person').set(auth).send({ institution: 'lu.lv', sourceId: 'LU-EMREX-1', identifiers: [], givenNames: 'Anna', familyName: 'Ozola' }),
    );
    const studentId = student.body.messages[0].recordId as string;
    const one = 'https://emrex.su.example/emrex/';
    check('post', '/api/v1/emrex/sessions', 201, await a.post('/api/v1/emrex/sessions').set(auth).send({ institution: 'lu.lv', person: studentId, contactPoint: one }));
    check('post', '/api/v1/emrex/sessions', 400, await a.post('/api/v1/emrex/sessions').set(auth).send({ institution: 'rtu.lv', person: studentId, contactPoint: one }));
    check('post', '/api/v1/emrex/sessions', 404, await a.post('/api/v1/emrex/sessions').set(auth).send({ institution: 'lu.lv', person: recordId, contactPoint: one }));
    check('post', '/api/v1/emrex/sessions', 409, await a.post('/api/v1/emrex/sessions').set(auth).send({ institution: 'lu.lv', person: studentId, country: 'SE' }));
    check('post', '/api/v1/emrex/sessions', 415, await a.post('/api/v1/emrex/sessions').set(auth).set('content-type', 'text/plain').send('x'));
    check('post', '/api/v1/emrex/sessions', 401, await a.post('/api/v1/emrex/sessions').send({}));
    check('post', '/api/v1/emrex/sessions', 403, await a.post('/api/v1/emrex/sessions').set(lib).send({}));
    // An answer to a return address no session has is refused and kept (the form's base64: it is no gzip).
    const stray = await a.post('/emrex/return/AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA').set('accept', 'application/json').type('form').send({ sessionId: 'x', returnCode: 'EMP_OK', elmo: 'bm90IGVsbW8=' });
    assert.equal(stray.status, 404);
    const received = check('get', '/api/v1/emrex/received', 200, await a.get('/api/v1/emrex/received?limit=10').set(auth));
    assert.equal(received.body.items[0].reason, 'unknown-session');
    check('get', '/api/v1/emrex/received', 401, await a.get('/api/v1/emrex/received'));
    check('get', '/api/v1/emrex/received', 403, await a.get('/api/v1/emrex/received').set(lib));
    check('get', '/api/v1/emrex/received/{id}/document', 200, await a.get(`/api/v1/emrex/received/${String(received.body.items[0].id)}/document`).set(auth));
    check('get', '/api/v1/emrex/received/{id}/document', 404, await a.get('/api/v1/emrex/received/nope/document').set(auth));
    check('get', '/api/v1/emrex/received/{id}/document', 401, await a.get('/api/v1/emrex/received/nope/document'));
    check('get', '/api/v1/emrex/received/{id}/document', 403, await a.get('/api/v1/emrex/received/nope/document').set(lib));
    // A hub without emrex.client answers 404 (the client is read on each request).
    // (The Hub's parts are readonly; the test swaps this one out under the app for a moment.)
    const live = t.hub as { emrexClient: unknown };
    const client = live.emrexClient;
    live.emrexClient = undefined;
    try {
      check('get', '/api/v1/emrex/contact-points', 404, await a.get('/api/v1/emrex/contact-points').set(auth));
      check('get', '/api/v1/emrex/received', 404, await a.get('/api/v1/emrex/received').set(auth));
    } finally {
      live.emrexClient = client;
    }
    check('get', '/api/v1/credentials', 200, await a.get('/api/v1/credentials?institution=lu.lv').set(auth));
    check('get', '/api/v1/credentials', 400, await a.get('/api/v1/credentials?institution=nowhere.lv').set(auth));
    check('get', '/api/v1/credentials', 401, await a.get('/api/v1/credentials'));
    check('get', '/api/v1/credentials/{id}', 404, await a.get('/api/v1/credentials/00000000-0000-4000-8000-000000000000').set(auth));
    check('get', '/api/v1/credentials/{id}', 400, await a.get('/api/v1/credentials/not-a-uuid').set(auth));
    check('post', '/api/v1/credentials/{id}/revoke', 404, await a.post('/api/v1/credentials/00000000-0000-4000-8000-000000000000/revoke').set(auth).send({ reason: 'test' }));
    check('post', '/api/v1/credentials/{id}/revoke', 400, await a.post('/api/v1/credentials/00000000-0000-4000-8000-000000000000/revoke').set(auth).send({}));
    check('post', '/api/v1/credentials/verify', 401, await a.post('/api/v1/credentials/verify').set('content-type', 'application/json').send('{}'));
    check('post', '/api/v1/elmo/verify', 401, await a.post('/api/v1/elmo/verify').set('content-type', 'application/xml').send(elmoXml));
    const disclosed = check('get', '/api/v1/persons/{id}/disclosures', 200, await a.get(`/api/v1/persons/${recordId}/disclosures`).set(auth));
    assert.ok(disclosed.body.disclosures.length > 0);
    check('get', '/api/v1/persons/{id}/disclosures', 400, await a.get(`/api/v1/persons/${recordId}/disclosures?limit=0`).set(auth));
    check('get', '/api/v1/persons/{id}/disclosures', 404, await a.get('/api/v1/persons/00000000-0000-7000-8000-000000000000/disclosures').set(auth));
    check('get', '/api/v1/audit/disclosures/verify', 200, await a.get('/api/v1/audit/disclosures/verify').set(auth));
    check('get', '/api/v1/audit/disclosures/verify', 403, await a.get('/api/v1/audit/disclosures/verify').set(lib));
    check('get', '/api/v1/audit/disclosures/export', 200, await a.get('/api/v1/audit/disclosures/export').set(auth));
    check('get', '/api/v1/audit/disclosures/export', 400, await a.get('/api/v1/audit/disclosures/export?after=-1').set(auth));
    check('get', '/api/v1/audit/withheld', 200, await a.get('/api/v1/audit/withheld?status=held').set(auth));
    check('get', '/api/v1/audit/withheld', 400, await a.get('/api/v1/audit/withheld?status=lost').set(auth));
    check('post', '/api/v1/persons/{id}/erasure', 200, await a.post(`/api/v1/persons/${recordId}/erasure`).set(auth));
    check('post', '/api/v1/persons/{id}/erasure', 404, await a.post('/api/v1/persons/00000000-0000-7000-8000-000000000000/erasure').set(auth));
    const erasures = check('get', '/api/v1/audit/erasures', 200, await a.get('/api/v1/audit/erasures').set(auth));
    assert.equal(erasures.body.items.length, 1);
    check('get', '/api/v1/audit/erasures', 400, await a.get('/api/v1/audit/erasures?limit=0').set(auth));
    check('delete', '/api/v1/tokens/{id}', 204, await a.delete(`/api/v1/tokens/${tok.body.id as string}`).set(auth));
    check('delete', '/api/v1/tokens/{id}', 404, await a.delete('/api/v1/tokens/nope').set(auth));
    check('get', '/api/docs', 200, await a.get('/api/docs'));
  });

  it('fails an answer that does not match the document (the check above can fail)', () => {
    const fake = (status: number, body: unknown, type = 'application/json') => ({ status, body, text: JSON.stringify(body), headers: { 'content-type': type } }) as unknown as request.Response;
    assert.throws(() => check('get', '/api/v1/messages', 200, fake(200, { items: 'not a list', next: null })), /items/);
    assert.throws(() => check('get', '/api/v1/feeds/{entity}', 200, fake(200, { entity: 'person', consumer: null, after: '0', next: '1', hasMore: false, items: [{ seq: 'one' }] })));
    assert.throws(() => check('get', '/api/v1/messages', 418, fake(418, {})), /does not list/);
    assert.throws(() => check('get', '/api/v1/messages', 200, fake(400, { type: 'about:blank', title: 'x', status: 400 }, 'application/problem+json')), /answered 400, expected 200/);
    assert.throws(() => check('get', '/api/v1/messages', 401, fake(401, {}, 'application/json')), /documented: application\/problem\+json/);
  });

  it('has every documented operation exercised by the test above', () => {
    const documented = Object.entries(doc.paths).flatMap(([p, item]) => Object.keys(item).map((m) => `${m} ${p}`));
    assert.deepEqual(
      documented.filter((d) => !exercised.has(d)),
      [],
    );
  });

  it('serves a readable docs page that needs no network beyond the hub', async () => {
    const page = await request(t.app).get('/api/docs').expect(200);
    assert.match(String(page.headers['content-type']), /^text\/html/);
    assert.match(String(page.headers['content-security-policy']), /default-src 'none'; script-src 'self'/);
    assert.match(page.text, /<script src="swagger-ui\/swagger-ui-bundle.js"><\/script>\n<script src="docs.js"><\/script>/);
    const js = await request(t.app).get('/api/docs.js').expect(200);
    assert.match(String(js.headers['content-type']), /javascript/);
    assert.match(js.text, /url: 'openapi.json'/);
    for (const text of [page.text, js.text]) assert.doesNotMatch(text, /(src|href)=["']?https?:|https?:\/\/(?!json-schema\.org)/, 'no external resources');
    const bundle = await request(t.app).get('/api/swagger-ui/swagger-ui-bundle.js').expect(200);
    assert.match(String(bundle.headers['content-type']), /javascript/);
    await request(t.app).get('/api/swagger-ui/swagger-ui.css').expect(200).expect('content-type', /css/);
    await request(t.app).get('/api/swagger-ui/index.html').expect(404);
    await request(t.app).get('/api/swagger-ui/..%2Fpackage.json').expect(404);
    await request(t.app).get('/api/docs/').expect(301).expect('location', '/api/docs');
    // The bundle is served as a file: the hub never evaluates it (swagger-ui-dist's main module would, at start).
    const loaded = Object.keys(createRequire(import.meta.url).cache);
    assert.ok(
      loaded.some((f) => f.endsWith(join('swagger-ui-dist', 'absolute-path.js'))),
      'the hub found the folder through absolute-path.js',
    );
    assert.ok(!loaded.some((f) => f.endsWith(join('swagger-ui-dist', 'swagger-ui-bundle.js'))), 'the bundle was not loaded as a module');
  });

  it('renders every operation in a browser (Swagger UI) and lets a token holder try one', async function () {
    needBrowser(this);
    const { chromium } = await import('playwright-core');
    const server = t.app.listen(0, '127.0.0.1');
    await new Promise((r) => server.once('listening', r));
    const browser = await chromium.launch({ executablePath: CHROMIUM, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage();
      const errors: string[] = [];
      const outside: string[] = [];
      page.on('console', (m) => void (m.type() === 'error' && errors.push(m.text())));
      page.on('pageerror', (e) => errors.push(String(e)));
      page.on('request', (r) => void (!r.url().startsWith('http://127.0.0.1:') && !r.url().startsWith('data:') && outside.push(r.url())));
      await page.goto(`http://127.0.0.1:${(server.address() as AddressInfo).port}/api/docs`);
      await page.waitForSelector('.opblock');
      const operations = Object.values(doc.paths).reduce((n, item) => n + Object.keys(item).length, 0);
      assert.equal(await page.locator('.opblock').count(), operations);
      // Authorize with the admin token, then try GET /api/v1/tokens.
      await page.locator('button.authorize').first().click();
      await page.locator('.modal-ux input[type=text], .modal-ux input[type=password]').first().fill(auth.authorization.slice('Bearer '.length));
      await page.locator('.modal-ux button.authorize').click();
      await page.locator('.modal-ux button.btn-done').click();
      const op = page.locator('#operations-tokens-listTokens');
      await op.locator('.opblock-summary').click();
      await op.locator('button.try-out__btn').click();
      await op.locator('button.execute').click();
      const status = op.locator('.live-responses-table tbody .response-col_status').first();
      await status.waitFor();
      assert.equal((await status.innerText()).trim(), '200');
      assert.match(await op.locator('.live-responses-table .microlight').first().innerText(), /"items"/);
      assert.deepEqual(errors, []);
      assert.deepEqual(outside, [], 'nothing loaded from elsewhere');
    } finally {
      await browser.close();
      server.close();
    }
  });
});
