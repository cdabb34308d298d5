import assert from 'node:assert/strict';
import pino from 'pino';
import request from 'supertest';
import { viisSink } from '../../adapters/viis/index.ts';
import { ViisSimulator } from '../../adapters/viis/simulator.ts';
import { adapterOptions } from '../../src/config/options.ts';
import type { Sink } from '../../src/core/adapter.ts';
import { SinkError, SinkRejectedError } from '../../src/core/errors.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { compileText, MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { TargetPolicy } from '../../src/core/net/target-policy.ts';
import { auth, backends, baseConfig, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { award, person, PROGRAMME, studyRight } from './fixtures.ts';

const ctx = {
  logger: pino({ level: 'silent' }),
  dataDir: '/tmp',
  secret: () => undefined,
  mappingsDir: MAPPINGS_DIR,
  compileMapping: compileText,
  outbound: { origin: 'config' as const, policy: new TargetPolicy() },
};

function event(entity: string, record: Record<string, unknown>, over: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    eventId: `ev-${Math.random().toString(36).slice(2)}`,
    seq: 1,
    entity,
    op: 'upsert',
    schemaVersion: '1',
    source: 'rtu-push',
    institution: 'rtu.lv',
    occurredAt: new Date().toISOString(),
    recordId: `rec-${String(record.sourceId)}`,
    version: 1,
    record: { institution: 'rtu.lv', ...record },
    ...over,
  };
}

const dctx = (e: ChangeEvent) => ({ attempt: 1, routeId: 'viis', idempotencyKey: e.eventId });

describe('VIIS sink (unit, against the simulator)', () => {
  let sim: ViisSimulator;
  let sink: Sink;
  before(async () => {
    sim = new ViisSimulator({ programmes: [PROGRAMME] });
    sink = viisSink.create(adapterOptions(viisSink, { endpoint: await sim.start(), timeoutMs: 2000, retryCodes: ['VIIS-201'] }), ctx);
  });
  after(async () => {
    await sim.close();
  });

  it('delivers a person and returns the register receipt as the delivery detail', async () => {
    const e = event('person', person(1));
    const r = await sink.deliver(e, dctx(e));
    assert.match(r?.detail ?? '', /^VIIS accepted: receipt VIIS-R-\d+$/);
    assert.deepEqual(sim.holdings('rtu.lv').person[0]?.submitterRef, { recordId: 'rec-P00001', version: 1 });
  });

  it('turns a business rejection into SinkRejectedError with the register code, reason and field', async () => {
    const e = event('study-right', studyRight(1, { programme: { sourceId: 'NOPE' } }));
    const err = await sink.deliver(e, dctx(e)).then(
      () => undefined,
      (x: unknown) => x,
    );
    assert.ok(err instanceof SinkRejectedError);
    assert.equal(err.retryable, false);
    assert.match(err.message, /^VIIS VIIS-202: programme code NOPE is not in the register/);
    assert.deepEqual(err.extra, { registerCode: 'VIIS-202', registerReason: 'programme code NOPE is not in the register of accredited programmes', registerField: 'studyRight/programmeCode' });
  });

  it('retries the codes configured as "not there yet" (a study right before its person)', async () => {
    const e = event('study-right', studyRight(2));
    await assert.rejects(sink.deliver(e, dctx(e)), (x: unknown) => x instanceof SinkError && x.retryable && /VIIS-201/.test(x.message));
  });

  it('withdraws a deleted record; a delete of something never registered is done as well', async () => {
    const e = event('person', person(3));
    await sink.deliver(e, dctx(e));
    const del: ChangeEvent = { ...e, eventId: 'ev-del-3', op: 'delete', version: 2 };
    delete del.record;
    assert.match((await sink.deliver(del, dctx(del)))?.detail ?? '', /withdrew the record/);
    assert.equal(
      sim.holdings('rtu.lv').person.some((p) => p.localId === 'P00003'),
      false,
    );
    const again: ChangeEvent = { ...del, eventId: 'ev-del-3b' };
    assert.match((await sink.deliver(again, dctx(again)))?.detail ?? '', /nothing to withdraw/);
  });

  it('refuses an entity the register does not keep', async () => {
    const e = event('course', { sourceId: 'C1' });
    await assert.rejects(sink.deliver(e, dctx(e)), (x: unknown) => x instanceof SinkRejectedError && /not 'course'/.test(x.message));
  });
});

for (const backend of backends()) {
  describe(`VIIS delivery through the hub (${backend})`, function () {
    this.timeout(30_000);
    let sim: ViisSimulator;
    let t: TestHub;
    before(async () => {
      sim = new ViisSimulator({ programmes: [PROGRAMME], slow: { every: 7, ms: 150 } });
      const endpoint = await sim.start();
      t = await makeHub({
        backend,
        config: baseConfig({
          sinks: [{ id: 'viis', type: 'viis', options: { endpoint, timeoutMs: 3000 } }],
          routes: [
            {
              id: 'viis',
              sink: 'viis',
              match: { entities: ['person', 'study-right', 'award'], institutions: ['rtu.lv'] },
              legalBasis: 'legal-obligation',
              purpose: 'Student and graduate register (Cabinet Regulation No. 276)',
              concurrency: 1,
              retry: { maxAttempts: 6, initialDelayMs: 50, maxDelayMs: 400 },
            },
          ],
        }),
      });
    });
    after(async () => {
      await t?.stop();
      await sim?.close();
    });

    const ingest = (entity: string, body: object) => request(t.app).post(`/api/v1/ingest/rtu-push/${entity}`).set(auth).send(body).expect(202);
    const detail = async (id: string) => (await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body;
    const settled = (id: string, status: string) => eventually(async () => ((await detail(id)).status === status ? detail(id) : undefined), 20_000, `message ${id} ${status}`);

    it('delivers persons, study rights and awards ingested through a source to the register', async () => {
      const persons = await ingest('person', [person(1), person(2), person(3)]);
      await Promise.all(persons.body.messages.map((m: { messageId: string }) => settled(m.messageId, 'delivered')));
      const rights = await ingest('study-right', [studyRight(1), studyRight(2)]);
      await Promise.all(rights.body.messages.map((m: { messageId: string }) => settled(m.messageId, 'delivered')));
      const aw = await ingest('award', award(1));
      const d = await settled(aw.body.messages[0].messageId, 'delivered');
      const h = sim.holdings('rtu.lv');
      assert.deepEqual(h.person.map((p) => p.localId).sort(), ['P00001', 'P00002', 'P00003']);
      assert.deepEqual(h.studyRight.map((p) => p.localId).sort(), ['SR00001', 'SR00002']);
      assert.equal(h.award[0]?.diplomaNumber, 'PB 000001');
      assert.equal(h.award[0]?.submitterRef?.recordId, aw.body.messages[0].recordId);
      const attempt = d.deliveries[0].attempts[0];
      assert.equal(attempt.outcome, 'delivered');
      assert.match(attempt.detail, /VIIS accepted: receipt VIIS-R-/);
    });

    it('shows a business rejection with the register code and reason, does not retry it, and delivers it after the fix by a replay', async () => {
      const res = await ingest('study-right', studyRight(3, { programme: { identifiers: [{ scheme: 'lik', value: '45999003' }] } }));
      const id = res.body.messages[0].messageId;
      const d = await settled(id, 'dead');
      const delivery = d.deliveries[0];
      assert.equal(delivery.routeId, 'viis');
      assert.equal(delivery.status, 'dead');
      assert.match(delivery.lastError, /VIIS-202/);
      assert.match(delivery.lastError, /programme code 45999003 is not in the register of accredited programmes/);
      assert.equal(delivery.attempts.length, 1, 'a business rejection is not retried');
      assert.equal(delivery.attempts[0].outcome, 'dead');
      const list = await request(t.app).get('/api/v1/messages?status=dead').set(auth).expect(200);
      assert.ok(list.body.items.some((m: { id: string }) => m.id === id));

      sim.addProgramme('45999003'); // the fix: the programme is registered (accredited) in VIIS
      const replay = await request(t.app).post(`/api/v1/messages/${id}/replay`).set(auth).expect(200);
      assert.deepEqual(replay.body.replayed, ['viis']);
      const after = await settled(id, 'delivered');
      assert.equal(after.deliveries[0].attempts.at(-1).outcome, 'delivered');
      assert.ok(sim.holdings('rtu.lv').studyRight.some((s) => s.localId === 'SR00003' && s.programmeCode === '45999003'));
    });

    it('retries transport failures (503, dropped connection) until the register answers', async () => {
      sim.failNext(1, 'http-503');
      sim.failNext(1, 'drop');
      const res = await ingest('person', person(10));
      const d = await settled(res.body.messages[0].messageId, 'delivered');
      const outcomes = d.deliveries[0].attempts.map((a: { outcome: string }) => a.outcome);
      assert.deepEqual(outcomes, ['retry', 'retry', 'delivered']);
      assert.match(d.deliveries[0].attempts[0].error, /HTTP 503/);
    });

    it('retries a study right that overtook its person until the person is registered', async () => {
      const sr = await ingest('study-right', studyRight(11));
      const id = sr.body.messages[0].messageId;
      await eventually(async () => ((await detail(id)).deliveries[0]?.attempts.some((a: { error: string | null }) => /VIIS-201/.test(a.error ?? '')) ? true : undefined), 10_000, 'a VIIS-201 retry');
      await ingest('person', person(11));
      await settled(id, 'delivered');
      assert.ok(sim.holdings('rtu.lv').studyRight.some((s) => s.localId === 'SR00011'));
    });

    it('sends a new version of a record; the register keeps the latest', async () => {
      const res = await ingest('person', person(2, { familyName: 'Kalniņa', givenNames: 'Anna' }));
      assert.equal(res.body.messages[0].version, 2);
      await settled(res.body.messages[0].messageId, 'delivered');
      const p = sim.holdings('rtu.lv').person.find((x) => x.localId === 'P00002');
      assert.equal(p?.familyName, 'Kalniņa');
      assert.equal(p?.submitterRef?.version, 2);
    });
  });
}
