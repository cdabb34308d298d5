import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { ViisSimulator } from '../../adapters/viis/simulator.ts';
import type { HubConfig } from '../../src/config/types.ts';
import type { Difference, ReconcileReport } from '../../src/reconcile/reconcile.ts';
import { auth, backends, baseConfig, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { HUB_BIN } from '../helpers/process.ts';
import { person, personalCode, PROGRAMME, studyRight } from './fixtures.ts';

const configFor = (endpoint: string): HubConfig =>
  baseConfig({
    sinks: [
      { id: 'out', type: 'file', options: { path: 'out/all.jsonl' } },
      { id: 'viis', type: 'viis', options: { endpoint, timeoutMs: 3000, retryCodes: [] } },
    ],
    routes: [
      {
        id: 'viis',
        sink: 'viis',
        match: { entities: ['person', 'study-right', 'award'], institutions: ['rtu.lv'] },
        legalBasis: 'legal-obligation',
        purpose: 'Student and graduate register (Cabinet Regulation No. 276)',
        concurrency: 1,
        retry: { maxAttempts: 3, initialDelayMs: 20 },
      },
    ],
  });

for (const backend of backends()) {
  describe(`reconciliation with VIIS (${backend})`, function () {
    this.timeout(30_000);
    let sim: ViisSimulator;
    let t: TestHub;
    const ingest = (entity: string, body: object) => request(t.app).post(`/api/v1/ingest/rtu-push/${entity}`).set(auth).send(body).expect(202);
    const settle = async (res: request.Response) => {
      for (const m of res.body.messages as { messageId: string }[]) {
        await eventually(async () => {
          const d = await request(t.app).get(`/api/v1/messages/${m.messageId}`).set(auth).expect(200);
          return ['delivered', 'dead'].includes(d.body.status) ? true : undefined;
        }, 15_000);
      }
    };
    const report = async () => (await request(t.app).get('/api/v1/reconcile/viis?institution=rtu.lv').set(auth).expect(200)).body as ReconcileReport;

    before(async () => {
      sim = new ViisSimulator({ programmes: [PROGRAMME] });
      t = await makeHub({ backend, config: configFor(await sim.start()) });
      await settle(await ingest('person', [person(1), person(2), person(3)]));
      await settle(await ingest('study-right', [studyRight(1), studyRight(2)]));
    });
    after(async () => {
      await t?.stop();
      await sim?.close();
    });

    it('finds no difference when the register holds what the hub holds', async () => {
      const r = await report();
      assert.equal(r.sink, 'viis');
      assert.deepEqual(r.routes, ['viis']);
      assert.deepEqual(r.counts, { hub: { person: 3, 'study-right': 2 }, register: { person: 3, 'study-right': 2 }, matched: 5 });
      assert.deepEqual(r.differences, []);
    });

    it('lists what differs, what is missing (with the failed delivery), and what only the register has', async () => {
      await settle(await ingest('study-right', studyRight(3, { programme: { identifiers: [{ scheme: 'lik', value: '45999001' }] } })));
      sim.tamper('person', 'rtu.lv', 'P00002', (p) => ({ ...p, familyName: 'Labots VIIS' }));
      sim.tamper('studyRight', 'rtu.lv', 'SR00002', () => undefined);
      sim.tamper('person', 'rtu.lv', 'P00001', (p) => ({ ...p, localId: 'GHOST' }));
      const r = await report();
      const by = (kind: string) =>
        r.differences
          .filter((d) => d.kind === kind)
          .map((d) => `${d.entity}:${d.key}`)
          .sort();
      assert.deepEqual(by('different'), ['person:P00002']);
      assert.deepEqual(by('missing-in-register'), ['person:P00001', 'study-right:SR00002', 'study-right:SR00003']);
      assert.deepEqual(by('not-in-hub'), ['person:GHOST']);
      const diff = r.differences.find((d) => d.key === 'P00002') as Difference;
      assert.deepEqual(diff.fields, ['/familyName']);
      assert.equal(diff.hubVersion, 1);
      assert.equal(diff.registerVersion, 1);
      const sr3 = r.differences.find((d) => d.key === 'SR00003') as Difference;
      assert.equal(sr3.lastDelivery?.status, 'dead');
      assert.match(sr3.lastDelivery?.error ?? '', /VIIS-202/);
      const sr2 = r.differences.find((d) => d.key === 'SR00002') as Difference;
      assert.equal(sr2.lastDelivery?.status, 'delivered', 'delivered once, then gone from the register');
      assert.ok(!JSON.stringify(r).includes(personalCode(2)), 'no personal codes in the report');
      assert.ok(!JSON.stringify(r).includes('Labots'), 'no field values in the report');
    });

    it('refuses what it cannot do, with a problem document', async () => {
      const a = await request(t.app).get('/api/v1/reconcile/viis').set(auth).expect(400);
      assert.equal(a.body.errors[0].pointer, '/query/institution');
      await request(t.app).get('/api/v1/reconcile/viis?institution=nowhere.lv').set(auth).expect(404);
      await request(t.app).get('/api/v1/reconcile/out?institution=rtu.lv').set(auth).expect(400);
      await request(t.app).get('/api/v1/reconcile/nothing?institution=rtu.lv').set(auth).expect(404);
      const reader = (
        await request(t.app)
          .post('/api/v1/tokens')
          .set(auth)
          .send({ name: 'r', scopes: ['read:person'] })
          .expect(201)
      ).body.token;
      await request(t.app)
        .get('/api/v1/reconcile/viis?institution=rtu.lv')
        .set({ authorization: `Bearer ${reader}` })
        .expect(403);
    });

    it('reports an unreachable register as a 502 problem', async () => {
      const down = new ViisSimulator();
      const endpoint = await down.start();
      await down.close();
      const t2 = await makeHub({ config: configFor(endpoint) });
      try {
        const r = await request(t2.app).get('/api/v1/reconcile/viis?institution=rtu.lv').set(auth).expect(502);
        assert.equal(r.body.code, 'HUB_ERR_SINK');
      } finally {
        await t2.stop();
      }
    });

    if (backend === 'embedded') {
      it('runs as `hub reconcile viis --institution rtu.lv` (exit 1 on differences)', async () => {
        const file = join(t.dir, 'hub.json');
        writeFileSync(file, JSON.stringify(configFor(sim.url)));
        // Asynchronously: the simulator answers from this process.
        const hub = (...extra: string[]) =>
          new Promise<{ code: number | null; stdout: string; stderr: string }>((resolve) => {
            const env = { ...process.env, HUB_DATA_DIR: t.dir, LOG_LEVEL: 'silent', DATABASE_URL: '', AMQP_URL: '' };
            const child = execFile(process.execPath, [HUB_BIN, 'reconcile', 'viis', '--institution', 'rtu.lv', '--config', file, ...extra], { env, timeout: 20_000 }, (_err, stdout, stderr) =>
              resolve({ code: child.exitCode, stdout, stderr }),
            );
          });
        const run = await hub();
        assert.equal(run.code, 1, run.stderr + run.stdout);
        assert.match(run.stdout, /reconcile viis for rtu\.lv/, run.stderr);
        assert.match(run.stdout, /different\s+person P00002 \(hub v1, register v1\): \/familyName/);
        assert.match(run.stdout, /missing-in-register study-right SR00003/);
        assert.match(run.stdout, /last delivery \(viis\): dead: rejected: VIIS VIIS-202/);
        assert.match(run.stdout, /5 differences/);
        const json = await hub('--json');
        assert.equal((JSON.parse(json.stdout) as ReconcileReport).differences.length, 5);
      });
    }
  });
}
