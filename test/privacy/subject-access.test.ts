import assert from 'node:assert/strict';
import request from 'supertest';
import { verifyExport } from '../../src/privacy/disclosure-log.ts';
import { auth, backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { attainment, award, code, consent, ingest, person, privacyConfig, sinkLines, type Ingested } from './helpers.ts';

/** Two more routes besides the archive and the consent route: a register for persons and awards. */
function config() {
  const base = privacyConfig();
  return {
    ...base,
    sinks: [...base.sinks, { id: 'registry', type: 'file', options: { path: 'out/registry.jsonl' } }],
    routes: [
      ...base.routes,
      {
        id: 'register',
        sink: 'registry',
        match: { entities: ['person', 'award', 'study-right'] },
        legalBasis: 'legal-obligation' as const,
        purpose: 'Student and graduate register',
        recipient: 'viis',
      },
    ],
  };
}

for (const backend of backends()) {
  describe(`subject access (${backend})`, () => {
    let t: TestHub;
    const pc = code(1999, 5, 17, 11);
    const other = code(2002, 9, 1, 77);
    const mine: Ingested[] = [];
    const theirs: Ingested[] = [];
    before(async () => {
      t = await makeHub({ backend, config: config() });
      // One person at two institutions (linked by the personal code), with records at both; another person.
      mine.push(await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU200001', pc)));
      mine.push(await ingest(t, 'lu-push', 'person', person('lu.lv', 'LU-2001', pc, { email: 'dz@edu.lu.lv' })));
      mine.push(await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-21', 'RTU200001', 'given')));
      mine.push(await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-21', 'RTU200001')));
      mine.push(await ingest(t, 'lu-push', 'attainment', attainment('lu.lv', 'ATT-21', 'LU-2001')));
      mine.push(await ingest(t, 'lu-push', 'award', award('lu.lv', 'AW-22', 'LU-2001')));
      // A new version of a record is a second disclosure of it.
      mine.push(await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-21', 'RTU200001', { awardedAt: '2024-06-21' })));
      theirs.push(await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU200002', other, { givenNames: 'Ints' })));
      theirs.push(await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-23', 'RTU200002')));
      const all = [...mine, ...theirs];
      await eventually(
        async () => {
          for (const m of all) {
            // A message the relay has not published yet has no deliveries: not done either.
            const ds = await t.hub.store.listDeliveries(m.messageId);
            if (ds.length === 0 || ds.some((d) => d.status !== 'delivered' && d.status !== 'withheld')) return false;
          }
          return true;
        },
        15_000,
        'every delivery done',
      );
    });
    after(async () => {
      await t?.stop();
    });

    it('lists every delivery made to every recipient about the person, from either linked person record', async () => {
      const ids = new Set(mine.map((m) => m.recordId));
      const delivered = [
        ...sinkLines(t, 'archive.jsonl').map((e) => ['archive', e] as const),
        ...sinkLines(t, 'registry.jsonl').map((e) => ['register', e] as const),
        ...sinkLines(t, 'employer.jsonl').map((e) => ['employer', e] as const),
      ]
        .filter(([, e]) => ids.has(e.recordId))
        .map(([route, e]) => `${route} ${e.entity} ${e.recordId} v${e.version}`)
        .sort();
      // Three routes, three recipients: the archive (all), the register (persons, awards), the employer (awards, by
      // the person's consent, which covers the linked person record at the other institution too).
      assert.ok(delivered.filter((d) => d.startsWith('employer')).length === 3, delivered.join('\n'));
      assert.ok(delivered.filter((d) => d.startsWith('register')).length === 5, delivered.join('\n'));
      for (const m of mine.slice(0, 2)) {
        const res = await request(t.app).get(`/api/v1/persons/${m.recordId}/disclosures`).set(auth).expect(200);
        assert.deepEqual(res.body.persons.map((p: { id: string }) => p.id).sort(), [mine[0]!.recordId, mine[1]!.recordId].sort());
        const listed = (res.body.disclosures as { route: string; entity: string; recordId: string; recordVersion: number }[])
          .map((d) => `${d.route} ${d.entity} ${d.recordId} v${d.recordVersion}`)
          .sort();
        assert.deepEqual(listed, delivered);
        const employer = res.body.disclosures.find((d: { route: string }) => d.route === 'employer');
        assert.equal(employer.recipient, 'cv-verify-lv');
        assert.equal(employer.legalBasis, 'consent');
        assert.equal(employer.purpose, 'employer-verification');
        assert.deepEqual(employer.fields, ['person', 'title', 'awardedAt', 'likCode']);
        assert.match(employer.at, /^\d{4}-\d\d-\d\dT/);
        assert.equal(res.body.disclosures.find((d: { route: string }) => d.route === 'register').recipient, 'viis');
      }
      const paged = await request(t.app).get(`/api/v1/persons/${mine[0]!.recordId}/disclosures?limit=2`).set(auth).expect(200);
      assert.equal(paged.body.disclosures.length, 2);
      const rest = await request(t.app).get(`/api/v1/persons/${mine[0]!.recordId}/disclosures?after=${paged.body.next}`).set(auth).expect(200);
      assert.equal(rest.body.disclosures.length, delivered.length - 2);
      const them = await request(t.app).get(`/api/v1/persons/${theirs[0]!.recordId}/disclosures`).set(auth).expect(200);
      assert.equal(them.body.disclosures.length, 4, 'the other person: person and award, to the archive and the register');
      assert.ok(!them.body.disclosures.some((d: { recordId: string }) => ids.has(d.recordId)));
    });

    it('lists every canonical record about the person across institutions', async () => {
      const res = await request(t.app).get(`/api/v1/persons/${mine[1]!.recordId}/records`).set(auth).expect(200);
      const got = (res.body.records as { entity: string; institution: string; sourceId: string }[]).map((r) => `${r.entity} ${r.institution} ${r.sourceId}`).sort();
      assert.deepEqual(got, ['attainment lu.lv ATT-21', 'award lu.lv AW-22', 'award rtu.lv AW-21', 'consent rtu.lv CONS-21', 'person lu.lv LU-2001', 'person rtu.lv RTU200001']);
      assert.equal(res.body.records.find((r: { sourceId: string }) => r.sourceId === 'AW-21').version, 2);
      await request(t.app).get('/api/v1/persons/00000000-0000-7000-8000-000000000000/records').set(auth).expect(404);
    });

    it('looks a person up by personal code in a POST body, never in a URL', async () => {
      const res = await request(t.app).post('/api/v1/persons/lookup').set(auth).send({ personalCode: pc }).expect(200);
      assert.deepEqual(res.body.persons.map((p: { id: string }) => p.id).sort(), [mine[0]!.recordId, mine[1]!.recordId].sort());
      const none = await request(t.app)
        .post('/api/v1/persons/lookup')
        .set(auth)
        .send({ personalCode: code(1980, 1, 1, 5) })
        .expect(200);
      assert.deepEqual(none.body.persons, []);
      const bad = await request(t.app).post('/api/v1/persons/lookup').set(auth).send({ personalCode: '999999-99999' }).expect(400);
      assert.match(String(bad.headers['content-type']), /application\/problem\+json/);
      assert.deepEqual(
        bad.body.errors.map((e: { pointer: string }) => e.pointer),
        ['/personalCode'],
      );
      assert.ok(!JSON.stringify(bad.body).includes('999999'), 'the code is not echoed');
      const missing = await request(t.app).post('/api/v1/persons/lookup').set(auth).send({}).expect(400);
      assert.deepEqual(
        missing.body.errors.map((e: { pointer: string }) => e.pointer),
        ['/personalCode'],
      );
      await request(t.app).get(`/api/v1/persons/lookup?personalCode=${pc}`).set(auth).expect(404);
    });

    it('needs an admin token', async () => {
      await request(t.app).post('/api/v1/persons/lookup').send({ personalCode: pc }).expect(401);
      const { token } = await t.hub.tokens.create('reader', ['read:*']);
      await request(t.app).get(`/api/v1/persons/${mine[0]!.recordId}/records`).set('authorization', `Bearer ${token}`).expect(403);
      await request(t.app).get(`/api/v1/persons/${mine[0]!.recordId}/disclosures`).set('authorization', `Bearer ${token}`).expect(403);
      await request(t.app).post(`/api/v1/persons/${mine[0]!.recordId}/erasure`).set('authorization', `Bearer ${token}`).expect(403);
    });

    it('keeps the log verifiable, and no personal code in it', async () => {
      const v = await request(t.app).get('/api/v1/audit/disclosures/verify').set(auth).expect(200);
      assert.equal(v.body.ok, true, JSON.stringify(v.body.problems));
      let text = '';
      for await (const l of t.hub.privacy.log.export()) text += l;
      assert.equal(verifyExport(text).entries, v.body.entries);
      for (const c of [pc, other, 'RTU200001', 'Dzintra']) assert.ok(!text.includes(c), `${c} in the log`);
    });
  });
}
