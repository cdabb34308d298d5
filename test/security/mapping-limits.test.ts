import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MappingLimitError } from '../../src/core/errors.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { evaluateSandboxed } from '../../src/mapping/sandbox.ts';
import { ADMIN_TOKEN, auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';

/**
 * Item 7 of the security issue: a mapping cannot freeze the hub. A mapping tried out in the admin
 * console runs in a child process with a time and a memory limit (the hub keeps answering while it
 * runs, and says which limit stopped it); a mapping file on live data runs under JSONata's guard
 * (limits.mappingTimeoutMs, limits.mappingMaxDepth) and a record it cannot map in time is rejected
 * and kept with HUB_ERR_MAPPING_LIMIT.
 */

const hidden = (text: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1] ?? '';

/** Recursion without end (a tail call: JSONata runs it as a loop, forever). */
const ENDLESS = '($f := function($n){ $f($n+1) }; $f(0))';
/** A product of a million by a million. */
const HUGE = '($x := [1..1000000]; $x.($x))';
/** Finite, but slow: 200,000 calls (over a second unguarded). */
const SLOW = '($f := function($n){ $n > 200000 ? 0 : $f($n+1) }; {"n": $f(0)})';
/** Finite recursion, 3,000 calls deep. */
const DEEP = '($f := function($n){ $n > 3000 ? 0 : 1 + $f($n+1) }; {"n": $f(0)})';

describe('security: the mapping sandbox', function () {
  this.timeout(60_000);
  const bindings = { institution: 'rtu.lv', source: 'rtu-push' };

  it('maps a record like the engine does, with the native functions and bindings', async () => {
    const out = await evaluateSandboxed('{"institution": $institution, "source": $source, "born": $dateDMY(born, "born")}', 'try/person', { born: '01.02.2001' }, bindings);
    assert.deepEqual(out, [{ institution: 'rtu.lv', source: 'rtu-push', born: '2001-02-01' }]);
    await assert.rejects(evaluateSandboxed('$dateDMY(born, "born")', 'try/person', { born: 'x' }, bindings), {
      code: 'HUB_ERR_MAPPING',
      message: "mapping try/person rejected the record: born: 'x' is not a valid date dd.mm.yyyy",
    });
    await assert.rejects(evaluateSandboxed('{ "a": ', 'try/person', {}, bindings), { code: 'HUB_ERR_MAPPING', message: /^mapping try\/person does not compile/ });
  });

  const limits = { timeoutMs: 1000, memoryMb: 64, maxDepth: 500 };
  for (const [what, text, limit, message] of [
    ['endless recursion', ENDLESS, /^time$/, /ran longer than 1000 ms/],
    ['a million times a million', HUGE, /^(memory|time)$/, /used more than 64 MB|ran longer than 1000 ms/],
    ['ten million numbers at once', '[1..10000000]', /^memory$/, /used more than 64 MB/],
    ['recursion 3,000 deep', DEEP, /^depth$/, /went deeper than 500 evaluation steps/],
    ['a result of megabytes', '{"a": [1..500000]}', /^result$/, /more than the 1000000 a tried-out mapping may give back/],
  ] as const) {
    it(`stops ${what} at a limit (${limit.source}) with HUB_ERR_MAPPING_LIMIT`, async () => {
      await assert.rejects(evaluateSandboxed(text, 'try/person', {}, bindings, limits), (e: unknown) => {
        assert.ok(e instanceof MappingLimitError, String(e));
        assert.equal(e.code, 'HUB_ERR_MAPPING_LIMIT');
        assert.equal(e.status, 422);
        assert.match(String(e.extra.limit), limit);
        assert.match(e.message, message);
        return true;
      });
    });
  }
});

describe('security: a mapping tried out in the admin console cannot freeze a running hub', function () {
  this.timeout(120_000);
  let dir: string;
  let hub: HubProcess;
  let base: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-sec-mapping-'));
    writeFileSync(join(dir, 'hub.json'), JSON.stringify(baseConfig({ limits: { tryTimeoutMs: 1500 } })));
    const port = await freePort();
    base = `http://127.0.0.1:${port}`;
    hub = runHub(['start'], {
      HUB_CONFIG: join(dir, 'hub.json'),
      HUB_DATA_DIR: join(dir, 'data'),
      PORT: String(port),
      HOST: '127.0.0.1',
      HUB_ADMIN_TOKEN: ADMIN_TOKEN,
      HUB_NODERED: 'off',
      DATABASE_URL: '',
      AMQP_URL: '',
    });
    await eventually(async () => (await fetch(`${base}/healthz`)).status === 200, 60_000, 'the hub to answer /healthz', 100);
  });
  after(async () => {
    await hub?.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  });

  async function signIn() {
    const agent = request.agent(base);
    const form = await agent.get('/admin/login').expect(200);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ token: ADMIN_TOKEN, _csrf: hidden(form.text, '_csrf'), next: '/admin/' })
      .expect(303);
    const page = await agent.get('/admin/mappings/try').expect(200);
    return { agent, csrf: hidden(page.text, '_csrf') };
  }

  for (const [what, expression, message] of [
    ['endless recursion', ENDLESS, /ran longer than 1500 ms/],
    ['a million times a million', HUGE, /used more than 64 MB|ran longer than 1500 ms/],
  ] as const) {
    it(`${what}: /healthz answers 200 while it runs, the tester answers 422 HUB_ERR_MAPPING_LIMIT`, async () => {
      const { agent, csrf } = await signIn();
      const form = { set: 'canonical', entity: 'person', institution: 'rtu.lv', source: 'rtu-push', record: JSON.stringify(canonicalPerson(1)), expression, _csrf: csrf };
      let answered = false;
      const trial = agent
        .post('/admin/mappings/try')
        .type('form')
        .send(form)
        .then((r) => {
          answered = true;
          return r;
        });
      // Health is asked over and over while the trial runs (at least its 1.5 s): every answer is 200.
      const whileRunning: number[] = [];
      while (!answered) {
        const status = (await fetch(`${base}/healthz`)).status;
        if (!answered) whileRunning.push(status);
        await new Promise((r) => setTimeout(r, 50));
      }
      assert.ok(whileRunning.length >= 3, `health answered ${whileRunning.length} time(s) while the mapping ran`);
      assert.ok(
        whileRunning.every((s) => s === 200),
        whileRunning.join(' '),
      );
      const res = await trial;
      assert.equal(res.status, 422, res.text.slice(0, 500));
      assert.match(res.text, /HUB_ERR_MAPPING_LIMIT/);
      assert.match(res.text, message);
      // The hub is still whole: a good mapping is tried out as before.
      const ok = await agent
        .post('/admin/mappings/try')
        .type('form')
        .send({ ...form, expression: '' })
        .expect(200);
      assert.match(ok.text, /data-try-valid/);
    });
  }
});

for (const backend of backends()) {
  describe(`security: a mapping file on live data runs under a guard (${backend})`, function () {
    this.timeout(60_000);
    let dir: string;
    let t: TestHub;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), 'hub-sec-guard-'));
      for (const [set, text] of Object.entries({ slow: SLOW, deep: DEEP, fine: '$' })) {
        mkdirSync(join(dir, set));
        writeFileSync(join(dir, set, 'person.jsonata'), text);
      }
      t = await makeHub({
        backend,
        mappings: new MappingEngine(dir),
        config: {
          institutions: [{ id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' }],
          sources: ['slow', 'deep', 'fine'].map((set) => ({ id: `${set}-push`, institution: 'rtu.lv', mappingSet: set })),
          sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
          routes: [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive' }],
          limits: { mappingTimeoutMs: 200, mappingMaxDepth: 300 },
        },
      });
    });
    after(async () => {
      await t?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const [set, limit, message] of [
      ['slow', 'time', /^mapping slow\/person ran longer than 200 ms and was stopped$/],
      ['deep', 'depth', /^mapping deep\/person went deeper than 300 evaluation steps/],
    ] as const) {
      it(`a ${set} mapping: the record is rejected with HUB_ERR_MAPPING_LIMIT (${limit}) and kept, the next one is taken`, async () => {
        const sent = canonicalPerson(3);
        const res = await request(t.app).post(`/api/v1/ingest/${set}-push/person`).set(auth).send([sent]).expect(422);
        const [m] = res.body.messages as { messageId: string; status: string; error: { code: string; detail: string } }[];
        assert.equal(m!.status, 'rejected');
        assert.equal(m!.error.code, 'HUB_ERR_MAPPING_LIMIT');
        assert.match(m!.error.detail, message);
        const kept = await request(t.app).get(`/api/v1/messages/${m!.messageId}`).set(auth).expect(200);
        assert.equal(kept.body.status, 'rejected');
        assert.equal(kept.body.errorCode, 'HUB_ERR_MAPPING_LIMIT');
        assert.deepEqual(JSON.parse(kept.body.raw), sent);
        await request(t.app).get('/healthz').expect(200);
        await request(t.app)
          .post('/api/v1/ingest/fine-push/person')
          .set(auth)
          .send([canonicalPerson(4)])
          .expect(202);
      });
    }
  });
}
