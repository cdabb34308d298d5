import assert from 'node:assert/strict';
import { join } from 'node:path';
import request from 'supertest';
import type { JsonObject } from '../../src/core/types.ts';
import { createDevSealKeys } from '../../src/credentials/keys.ts';
import { RecordReader } from '../../src/store/records.ts';
import { Learner, startContactPoint, type ContactPointSetup } from '../emrex/helpers/contact-point.ts';
import { auth } from '../helpers/hub.ts';
import { award } from './helpers.ts';
import { requireSpecs, validateAgainst } from '../ewp/helpers/xsd.ts';

describe("the learner's digital diplomas on the learner's page", function () {
  this.timeout(60_000);
  let s: ContactPointSetup;
  let credentialId: string;

  before(async () => {
    s = await startContactPoint();
    await createDevSealKeys(join(s.t.dir, 'credential-keys'), 'lu.lv');
    const { id: _id, version: _v, ...plain } = award;
    const [r] = await s.t.hub.pipeline.ingest('lu-push', 'award', [{ ...plain, person: { sourceId: 'LU-1' }, programme: undefined } as JsonObject], 'application/json');
    assert.equal(r?.status, 'committed', JSON.stringify(r?.error));
    const record = await new RecordReader(s.t.hub.store.sql).byId(r.recordId!);
    const [out] = await s.t.hub.credentials.issue([record!]);
    assert.equal(out?.outcome, 'issued');
    credentialId = (out as { id: string }).id;
  });
  after(async () => s?.stop());

  const signIn = async (account: string) => {
    const learner = new Learner();
    await learner.request(`${s.hubUrl}/learner/sign-in?lang=en`);
    const uid = /\/interaction\/([\w-]+)/.exec(learner.url)?.[1];
    await learner.request(`${s.op.issuer}/interaction/${uid}/login`, { form: { account } });
    assert.equal(learner.status, 200);
    return learner;
  };
  const download = (learner: Learner, id: string) => fetch(`${s.hubUrl}/learner/credentials/${id}`, { headers: { cookie: `hub_learner_session=${learner.cookie('hub_learner_session')!}` } });

  it('lists the diploma issued to the learner and lets her download the sealed file, which verifies; a disclosure in the log', async () => {
    const anna = await signIn('anna');
    assert.match(anna.body, /Digital diplomas/);
    assert.match(anna.body, /Bachelor of Natural Sciences in Computer Science/);
    assert.ok(anna.body.includes(`/learner/credentials/${credentialId}`));
    const res = await download(anna, credentialId);
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^application\/jose\+json/);
    const sealed = await res.text();
    const verdict = await request(s.t.app).post('/api/v1/credentials/verify').set(auth).type('application/jose+json').send(sealed).expect(200);
    assert.equal(verdict.body.valid, true, JSON.stringify(verdict.body.checks));
    const log = await request(s.t.app).get('/api/v1/audit/disclosures/export').set(auth).expect(200);
    assert.ok(log.text.split('\n').some((l) => l.includes('"route":"learner:credentials"')));
  });

  it("attaches the diploma to the learner's ELMO (the award's LOI refers to it), valid against the ELMO 1.7 XSD", async function () {
    const [lu1] = await new RecordReader(s.t.hub.store.sql).find({ entity: 'person', institution: 'lu.lv', sourceId: 'LU-1' });
    const res = await request(s.t.app).get(`/api/v1/persons/${lu1!.id}/elmo`).set(auth).set('Accept', 'application/xml').expect(200);
    const xml = res.text;
    assert.ok(xml.includes(`<ref>edc-${credentialId}</ref>`), 'the award refers to its diploma');
    const content = new RegExp(
      `<identifier type="internal">edc-${credentialId}</identifier>[\\s\\S]*?<type>Diploma</type>[\\s\\S]*?<content>data:application/jose\\+json;base64,([A-Za-z0-9+/=]+)</content>`,
    ).exec(xml);
    assert.ok(content, 'the report has the diploma attachment');
    const sealed = Buffer.from(content[1]!, 'base64').toString('utf8');
    const verdict = await request(s.t.app).post('/api/v1/credentials/verify').set(auth).type('application/jose+json').send(sealed).expect(200);
    assert.equal(verdict.body.valid, true);
    const v = await validateAgainst(requireSpecs(this), 'elmo-schemas/schema.xsd', xml);
    assert.deepEqual(v.errors, [], 'valid ELMO 1.7');
  });

  it("does not list or hand out someone else's diploma", async () => {
    const janis = await signIn('janis');
    assert.doesNotMatch(janis.body, /Bachelor of Natural Sciences/);
    assert.equal((await download(janis, credentialId)).status, 404);
  });

  it("knows the learner's signed-in sessions as her personal data: subject access lists them, her erasure ends them", async () => {
    const anna = await signIn('anna');
    const [lu1] = await new RecordReader(s.t.hub.store.sql).find({ entity: 'person', institution: 'lu.lv', sourceId: 'LU-1' });
    const kept = (await request(s.t.app).get(`/api/v1/persons/${lu1!.id}/records`).set(auth).expect(200)).body.kept as Record<string, { sessions: { kind: string }[] }>;
    assert.ok(kept['emrex-sessions']!.sessions.some((x) => x.kind === 'learner'));
    assert.doesNotMatch(JSON.stringify(kept['emrex-sessions']), /csrf|id_hash/i);
    const report = await request(s.t.app).post(`/api/v1/persons/${lu1!.id}/erasure`).set(auth).expect(200);
    assert.ok(report.body.counts.emrex_sessions >= 1, JSON.stringify(report.body.counts));
    await anna.request(`${s.hubUrl}/learner/?lang=en`);
    assert.doesNotMatch(anna.body, /Signed in: Anna/);
  });
});
