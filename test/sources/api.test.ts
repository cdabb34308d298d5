import assert from 'node:assert/strict';
import request from 'supertest';
import { parseCursor } from '../../adapters/lais/source.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { SourceAdmin } from '../../src/sources/admin.ts';
import { SourceStates } from '../../src/sources/state.ts';
import { auth, backends, eventually } from '../helpers/hub.ts';
import { Backing, laisSourceConfig, passDone, recordOf, runner, sourceConfig, type OpenHub } from './helpers.ts';

for (const backend of backends()) {
  describe(`sources admin API (${backend})`, function () {
    this.timeout(60_000);
    let sim: LaisSimulator;
    let backing: Backing;
    let t: OpenHub;

    before(async () => {
      sim = new LaisSimulator({ students: 40, resultsPerStudent: 2, latencyMs: 5 });
      await sim.start();
      backing = new Backing(backend);
      const config = sourceConfig([{ id: 'rtu-push', institution: 'rtu.lv', mappingSet: 'canonical' }, laisSourceConfig(sim.url, { pageSize: 10 })]);
      // Requests written by another process are read every 2 s; every 200 ms here.
      t = await backing.open(config, { sourceControlIntervalMs: 200 });
      await passDone(t.hub, 'lu-lais');
    });
    after(async () => {
      await t?.stop();
      await backing?.drop();
      await sim?.close();
    });

    it('needs an admin token', async () => {
      await request(t.app).get('/api/v1/sources').expect(401);
      const { token } = await t.hub.tokens.create('reader', ['read:person']);
      const res = await request(t.app).get('/api/v1/sources').set('authorization', `Bearer ${token}`).expect(403);
      assert.equal(res.body.code, 'HUB_ERR_FORBIDDEN');
      await request(t.app).post('/api/v1/sources/lu-lais/pause').set('authorization', `Bearer ${token}`).expect(403);
    });

    it('lists every source with its health: last successful read, cursor, lag, error count', async () => {
      const res = await request(t.app).get('/api/v1/sources').set(auth).expect(200);
      const byId = Object.fromEntries(res.body.items.map((s: { id: string }) => [s.id, s]));
      assert.equal(byId['rtu-push'].adapter, null);
      assert.equal(byId['rtu-push'].health, 'push-only');
      const lais = byId['lu-lais'];
      assert.equal(lais.adapter, 'lais');
      assert.equal(lais.health, 'ok');
      assert.equal(lais.institution, 'lu.lv');
      assert.ok(Date.parse(lais.lastSuccessAt) > 0);
      assert.equal(typeof lais.lagSeconds, 'number');
      assert.equal(lais.errorCount, 0);
      assert.ok(lais.recordsRead > 0);
      assert.ok(parseCursor(lais.cursor).r.studenti?.since);
      assert.equal(lais.phase, 'idle');
      const one = await request(t.app).get('/api/v1/sources/lu-lais?probe=true').set(auth).expect(200);
      assert.deepEqual(one.body.probe, { ok: true });
    });

    it('answers unknown and push-only sources and bad bodies with problem+json', async () => {
      const a = await request(t.app).post('/api/v1/sources/nope/sync').set(auth).expect(404);
      assert.equal(a.body.code, 'HUB_ERR_UNKNOWN_SOURCE');
      assert.match(a.headers['content-type']!, /application\/problem\+json/);
      const b = await request(t.app).post('/api/v1/sources/rtu-push/pause').set(auth).expect(409);
      assert.equal(b.body.code, 'HUB_ERR_CONFLICT');
      const c = await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).send({ full: 'yes' }).expect(400);
      assert.deepEqual(c.body.errors, [{ pointer: '/full', message: 'must be a boolean' }]);
      const d = await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).send({ fully: true }).expect(400);
      assert.equal(d.body.errors[0].pointer, '/fully');
      await request(t.app).get('/api/v1/sources/lu-lais?probe=maybe').set(auth).expect(400);
    });

    it('triggers a sync that reads the changes at once', async () => {
      const before = runner(t.hub, 'lu-lais').passes;
      const changed = sim.change('studenti', 2, (r) => ({ ...r, uzvards: 'Ābele' }));
      const res = await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).expect(202);
      assert.equal(res.body.id, 'lu-lais');
      await passDone(t.hub, 'lu-lais', before);
      assert.equal((await recordOf(t.hub, 'person', 'lais', String(changed.studenta_id)))?.data.familyName, 'Ābele');
    });

    it('pause stops a pass at the next page; resume continues it from the cursor', async () => {
      sim.setLatency(60);
      const total = sim.count('studenti');
      const served = sim.recordsServed;
      await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).send({ full: true }).expect(202);
      await eventually(async () => sim.recordsServed - served >= 20, 10_000, 'a full sync under way');
      const paused = await request(t.app).post('/api/v1/sources/lu-lais/pause').set(auth).expect(200);
      assert.equal(paused.body.paused, true);
      assert.equal(paused.body.health, 'paused');
      await eventually(async () => runner(t.hub, 'lu-lais').phase === 'paused', 10_000, 'the runner paused');
      assert.equal(runner(t.hub, 'lu-lais').lastPass?.result, 'aborted');
      const st = await new SourceStates(t.hub.store.sql).get('lu-lais');
      assert.ok(JSON.stringify(parseCursor(st?.cursor ?? undefined).r).includes('token'), 'the cursor stays inside the listing');
      // A request aborted by the pause may still be answered: count once the simulator has none open.
      await eventually(() => sim.inFlight === 0, 10_000, 'no request open at the simulator');
      const stopped = sim.recordsServed;
      const requests = sim.requests.length;
      // A sync is due (asked for in the row, as another process would) and the runner is woken up:
      // it looks at its row twice more and stays paused, reading nothing.
      await t.hub.store.sql.run('UPDATE source_state SET sync_requested_at = ? WHERE source_id = ?', [new Date().toISOString(), 'lu-lais']);
      const sql = t.hub.store.sql;
      const query = sql.query.bind(sql);
      let looks = 0;
      sql.query = ((text: string, params?: unknown[]) => {
        if (/FROM source_state WHERE source_id/.test(text)) looks++;
        return query(text, params);
      }) as typeof sql.query;
      try {
        for (let i = 0; i < 2; i++) {
          const before = looks;
          runner(t.hub, 'lu-lais').wake();
          await eventually(() => looks > before, 10_000, 'the runner to look at its row');
        }
      } finally {
        delete (sql as { query?: unknown }).query;
      }
      assert.equal(runner(t.hub, 'lu-lais').phase, 'paused');
      await eventually(() => sim.inFlight === 0, 10_000, 'no request open at the simulator');
      assert.equal(sim.requests.length, requests, 'no request while paused');
      assert.equal(sim.recordsServed, stopped, 'nothing is read while paused');
      const refused = await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).expect(409);
      assert.match(refused.body.detail, /paused/);
      sim.setLatency(0);
      const before = runner(t.hub, 'lu-lais').passes;
      const resumed = await request(t.app).post('/api/v1/sources/lu-lais/resume').set(auth).expect(200);
      assert.equal(resumed.body.paused, false);
      await request(t.app).post('/api/v1/sources/lu-lais/sync').set(auth).expect(202);
      await passDone(t.hub, 'lu-lais', before);
      assert.ok(sim.recordsServed - served < 2 * (total + 300), 'the full sync was not restarted from scratch');
    });

    it('takes pause and sync requests written by another process (API-only) within the control interval', async () => {
      const admin = new SourceAdmin(t.hub.config, t.hub.store.sql, undefined);
      await admin.pause('lu-lais');
      await eventually(async () => runner(t.hub, 'lu-lais').phase === 'paused', 10_000, 'paused from another process');
      await admin.resume('lu-lais');
      const before = runner(t.hub, 'lu-lais').passes;
      sim.change('studenti', 4, (r) => ({ ...r, vards: 'Žanis' }));
      const view = await admin.sync('lu-lais', false);
      assert.equal(view.syncRequested, true);
      assert.equal(view.phase, null, 'no runner of it in an API-only process');
      await passDone(t.hub, 'lu-lais', before, 15_000);
      assert.equal((await recordOf(t.hub, 'person', 'lais', String(sim.record('studenti', 4)!.studenta_id)))?.data.givenNames, 'Žanis');
    });

    it('exports source metrics: records read, errors, last success, lag', async () => {
      // The lag gauge shows what the manager last read from the store (every control interval): wait for a reading.
      const res = await eventually(
        async () => {
          const r = await request(t.app).get('/metrics').set(auth).expect(200);
          return /hub_source_lag_seconds\{source="lu-lais"\} [\d.]+/.test(r.text) && r;
        },
        15_000,
        'a lag reading in /metrics',
      );
      assert.match(res.text, /hub_source_records_total\{source="lu-lais",entity="person"\} \d+/);
      assert.match(res.text, /hub_source_last_success_timestamp_seconds\{source="lu-lais"\} \d+/);
      assert.match(res.text, /hub_source_lag_seconds\{source="lu-lais"\} [\d.]+/);
      assert.match(res.text, /hub_source_passes_total\{source="lu-lais",result="ok"\} \d+/);
      assert.match(res.text, /hub_source_paused\{source="lu-lais"\} 0/);
    });
  });
}
