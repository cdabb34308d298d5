import assert from 'node:assert/strict';
import { ViisClient } from '../../adapters/viis/client.ts';
import { RequestMapper } from '../../adapters/viis/mapping.ts';
import type { ViisEntity, ViisRecord } from '../../adapters/viis/records.ts';
import { ViisSimulator } from '../../adapters/viis/simulator.ts';
import { RegisterRejectedError, SinkError } from '../../src/core/errors.ts';
import { compileText, MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { award, person, PROGRAMME, studyRight } from './fixtures.ts';

const mapper = new RequestMapper({ mappingsDir: MAPPINGS_DIR, compileMapping: compileText });
let seq = 0;
const submitter = () => ({ institution: 'rtu.lv', system: 'test', submissionId: `sub-${++seq}` });

async function req(entity: ViisEntity, canonical: Record<string, unknown>, version = 1): Promise<ViisRecord> {
  const r = await mapper.map(entity, { institution: 'rtu.lv', ...canonical }, { institution: 'rtu.lv', programmeCodes: {} });
  r.submitterRef = { recordId: `rec-${entity}-${String(canonical.sourceId)}`, version };
  return r;
}

async function rejectsWith(p: Promise<unknown>, code: string): Promise<RegisterRejectedError> {
  let got: unknown;
  await p.catch((e: unknown) => (got = e));
  assert.ok(got instanceof RegisterRejectedError, `expected a business fault ${code}, got ${String(got)}`);
  assert.equal(got.registerCode, code, got.message);
  return got;
}

describe('VIIS simulator and client (SOAP)', () => {
  let sim: ViisSimulator;
  let client: ViisClient;
  before(async () => {
    sim = new ViisSimulator({ programmes: [PROGRAMME] });
    client = new ViisClient({ endpoint: await sim.start(), timeoutMs: 5000 });
  });
  after(async () => {
    await sim.close();
  });

  it('accepts a person, answers a resent submission with its first receipt, and lists what it holds', async () => {
    const p = await req('person', person(1));
    const s = submitter();
    const r1 = await client.register('RegisterPerson', s, 'person', p);
    assert.equal(r1.status, 'ACCEPTED');
    assert.equal(r1.duplicate, false);
    const r2 = await client.register('RegisterPerson', s, 'person', p);
    assert.equal(r2.duplicate, true);
    assert.equal(r2.receiptId, r1.receiptId);
    const h = await client.holdings('rtu.lv');
    assert.deepEqual(h.person, [p]);
    assert.deepEqual(h.studyRight, []);
  });

  it('keeps a study right with periods and an award; ListHoldings gives them back field for field', async () => {
    const sr = await req('study-right', studyRight(1));
    await client.register('RegisterStudyRight', submitter(), 'studyRight', sr);
    const aw = await req('award', award(1));
    await client.register('RegisterAward', submitter(), 'award', aw);
    const h = await client.holdings('rtu.lv');
    assert.deepEqual(h.studyRight, [sr]);
    assert.deepEqual(h.award, [aw]);
    assert.deepEqual((await client.holdings('lu.lv')).person, []);
  });

  it('rejects a study right for a person it does not hold (VIIS-201)', async () => {
    const f = await rejectsWith(client.register('RegisterStudyRight', submitter(), 'studyRight', await req('study-right', studyRight(99))), 'VIIS-201');
    assert.match(f.reason, /no person P00099/);
    assert.equal(f.field, 'studyRight/personLocalId');
  });

  it('rejects an unknown programme code (VIIS-202) and accepts it once the programme is registered', async () => {
    await client.register('RegisterPerson', submitter(), 'person', await req('person', person(2)));
    const sr = await req('study-right', studyRight(2, { programme: { identifiers: [{ scheme: 'lik', value: '45999001' }] } }));
    await rejectsWith(client.register('RegisterStudyRight', submitter(), 'studyRight', sr), 'VIIS-202');
    sim.addProgramme('45999001');
    assert.equal((await client.register('RegisterStudyRight', submitter(), 'studyRight', sr)).status, 'ACCEPTED');
  });

  it('rejects overlapping status periods (VIIS-203) and a period that ends before it starts (VIIS-204)', async () => {
    const overlap = studyRight(2, {
      statusPeriods: [
        { status: 'active', start: '2022-09-01', end: '2023-03-01' },
        { status: 'academic-leave', start: '2023-02-01' },
      ],
    });
    const f = await rejectsWith(client.register('RegisterStudyRight', submitter(), 'studyRight', await req('study-right', overlap)), 'VIIS-203');
    assert.match(f.reason, /overlap/);
    const open = studyRight(2, {
      statusPeriods: [
        { status: 'active', start: '2022-09-01' },
        { status: 'academic-leave', start: '2023-02-01' },
      ],
    });
    await rejectsWith(client.register('RegisterStudyRight', submitter(), 'studyRight', await req('study-right', open)), 'VIIS-203');
    const backwards = studyRight(2, { statusPeriods: [{ status: 'active', start: '2022-09-01', end: '2022-08-01' }] });
    await rejectsWith(client.register('RegisterStudyRight', submitter(), 'studyRight', await req('study-right', backwards)), 'VIIS-204');
  });

  it('checks identities: none (VIIS-101), an invalid personal code (VIIS-102), a changed one (VIIS-103)', async () => {
    await rejectsWith(client.register('RegisterPerson', submitter(), 'person', await req('person', person(3, { identifiers: [{ scheme: 'student-number', value: 'P00003' }] }))), 'VIIS-101');
    const bad = await req('person', person(3));
    bad.personalCode = '010101-10000';
    const f = await rejectsWith(client.register('RegisterPerson', submitter(), 'person', bad), 'VIIS-102');
    assert.doesNotMatch(f.message, /010101/, 'the reason must not repeat the personal code');
    const changed = await req('person', person(1));
    changed.personalCode = '329999-99999';
    await rejectsWith(client.register('RegisterPerson', submitter(), 'person', changed), 'VIIS-103');
  });

  it('checks awards: unknown study right (VIIS-302), diploma number used twice (VIIS-303)', async () => {
    await rejectsWith(client.register('RegisterAward', submitter(), 'award', await req('award', award(2, { studyRight: { sourceId: 'nope' } }))), 'VIIS-302');
    await rejectsWith(client.register('RegisterAward', submitter(), 'award', await req('award', award(2, { diplomaNumber: 'PB 000001' }))), 'VIIS-303');
  });

  it('keeps a newer version when an older one arrives late', async () => {
    const v3 = await req('person', person(4, { familyName: 'Jaunā' }), 3);
    await client.register('RegisterPerson', submitter(), 'person', v3);
    const v2 = await req('person', person(4, { familyName: 'Vecā' }), 2);
    assert.equal((await client.register('RegisterPerson', submitter(), 'person', v2)).status, 'IGNORED_OLDER');
    assert.equal((await client.holdings('rtu.lv')).person.find((p) => p.localId === 'P00004')?.familyName, 'Jaunā');
  });

  it('withdraws a record by the submitter reference; a person with study rights cannot be withdrawn', async () => {
    await rejectsWith(client.withdraw(submitter(), 'PERSONA', 'rec-person-P00001'), 'VIIS-402');
    assert.equal((await client.withdraw(submitter(), 'DIPLOMS', 'rec-award-AW00001')).status, 'WITHDRAWN');
    assert.equal((await client.holdings('rtu.lv')).award.length, 0);
    await rejectsWith(client.withdraw(submitter(), 'DIPLOMS', 'rec-award-AW00001'), 'VIIS-401');
  });

  it('reports transport failures as retryable SinkErrors: 503, a dropped connection, a server fault', async () => {
    const p = await req('person', person(5));
    for (const kind of ['http-503', 'drop', 'server-fault'] as const) {
      sim.failNext(1, kind);
      await assert.rejects(client.register('RegisterPerson', submitter(), 'person', p), (e: unknown) => e instanceof SinkError && e.retryable, kind);
    }
    assert.equal((await client.register('RegisterPerson', submitter(), 'person', p)).status, 'ACCEPTED');
  });

  it('answers slowly when told to; a client timeout is a SinkError', async () => {
    sim.setLatency(400);
    const slowClient = new ViisClient({ endpoint: sim.url, timeoutMs: 100 });
    try {
      await assert.rejects(slowClient.holdings('rtu.lv'), (e: unknown) => e instanceof SinkError && /no answer in time/.test(e.message));
    } finally {
      sim.setLatency(0);
    }
  });

  it('refuses a connection that is not there as a SinkError', async () => {
    const nowhere = new ViisClient({ endpoint: 'http://127.0.0.1:9/viis/studenti', timeoutMs: 2000 });
    await assert.rejects(nowhere.holdings('rtu.lv'), (e: unknown) => e instanceof SinkError && /ECONNREFUSED/.test(e.message));
  });

  it('requires credentials when configured with them', async () => {
    const guarded = new ViisSimulator({ basicAuth: { username: 'rtu', password: 's3cret' } });
    const url = await guarded.start();
    try {
      await assert.rejects(new ViisClient({ endpoint: url, timeoutMs: 2000 }).holdings('rtu.lv'), (e: unknown) => e instanceof SinkError && /HTTP 401/.test(e.message));
      const ok = new ViisClient({ endpoint: url, timeoutMs: 2000, basicAuth: { username: 'rtu', password: 's3cret' } });
      assert.deepEqual((await ok.holdings('rtu.lv')).person, []);
    } finally {
      await guarded.close();
    }
  });
});
