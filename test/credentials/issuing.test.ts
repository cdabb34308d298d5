import assert from 'node:assert/strict';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import * as jose from 'jose';
import request from 'supertest';
import type { JsonObject } from '../../src/core/types.ts';
import { createDevSealKeys } from '../../src/credentials/keys.ts';
import { bitOf } from '../../src/credentials/status-list.ts';
import type { HubConfig } from '../../src/config/types.ts';
import { RecordReader } from '../../src/store/records.ts';
import { auth, backends, baseConfig, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { attainment, award, course, edcValidator, errorsOf, person, programme } from './helpers.ts';

const PUBLIC = 'https://diplomas.example.lv';

function config(): HubConfig {
  const base = baseConfig();
  return {
    ...base,
    sources: [...base.sources, { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' }],
    sinks: [...base.sinks, { id: 'diplomas', type: 'edc' }],
    routes: [
      ...base.routes,
      {
        id: 'digital-diplomas',
        sink: 'diplomas',
        match: { entities: ['award', 'attainment'] },
        legalBasis: 'public-task',
        purpose: 'digital-diploma',
        recipient: 'graduate',
        retry: { maxAttempts: 2, initialDelayMs: 20 },
      },
    ],
    credentials: { publicUrl: PUBLIC, sources: ['lu-push'] },
  };
}

/** The canonical records as a source sends them (no hub id or version). */
const plain = (r: JsonObject, extra: JsonObject = {}): JsonObject => {
  const { id: _id, version: _v, ...rest } = r;
  return { ...rest, ...extra };
};

type Sealed = { payload: string; signatures: { protected: string; signature: string }[] };

for (const backend of backends()) {
  describe(`credentials issued by an edc route (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;

    before(async () => {
      const dir = mkdtempSync(join(tmpdir(), 'hub-cred-'));
      await createDevSealKeys(join(dir, 'credential-keys'), 'lu.lv');
      t = await makeHub({ backend, config: config(), dir });
      const ingest = async (entity: string, r: JsonObject) => {
        const [res] = await t.hub.pipeline.ingest('lu-push', entity, [r], 'application/json');
        assert.equal(res?.status, 'committed', `${entity}: ${JSON.stringify(res?.error)}`);
      };
      await ingest('person', plain(person));
      await ingest('programme', plain(programme));
      await ingest('course', plain(course));
      await ingest('attainment', plain(attainment, { studyRight: { sourceId: 'SR-2019-4411' } }));
      await ingest('award', plain(award));
    });
    after(async () => t?.stop());

    const list = async (q = 'institution=lu.lv') => (await request(t.app).get(`/api/v1/credentials?${q}`).set(auth).expect(200)).body.items as JsonObject[];
    const degreeOf = async (awardId: string) => (await list()).filter((c) => c.kind === 'degree' && c.subjectId === awardId);
    const awardRecord = async () => (await new RecordReader(t.hub.store.sql).find({ entity: 'award', institution: 'lu.lv', sourceId: 'AW-2023-1201' }))[0]!;

    it('issues a sealed degree credential for a committed award, and a micro-credential for a flagged attainment', async () => {
      const a = await awardRecord();
      const [degree] = await eventually(async () => {
        const d = await degreeOf(a.id);
        assert.equal(d.length, 1);
        return d;
      });
      assert.equal(degree!.status, 'active');
      assert.deepEqual(degree!.identifiers, [{ scheme: 'diploma-number', value: 'B 012345' }]);
      const micro = await eventually(async () => {
        const m = (await list()).filter((c) => c.kind === 'micro-credential');
        assert.equal(m.length, 1);
        return m[0]!;
      });
      assert.deepEqual(micro.title, course.name);
    });

    it('serves the sealed credential; its payload is an EDC degree credential whose seal an independent JOSE implementation verifies', async function () {
      const validate = edcValidator(this, 'degree-certificate');
      const [degree] = await degreeOf((await awardRecord()).id);
      const res = await request(t.app)
        .get(`/api/v1/credentials/${String(degree!.id)}`)
        .set(auth)
        .expect(200);
      assert.match(String(res.headers['content-type']), /^application\/jose\+json/);
      const sealed = JSON.parse(res.text) as Sealed;
      const credential = JSON.parse(sealed.payload) as JsonObject;
      assert.equal(credential.id, `urn:uuid:${String(degree!.id)}`);
      // Its parts: the attainment of the award's study right, with the course's title.
      const claim = (credential.credentialSubject as JsonObject).hasClaim as JsonObject;
      const parts = (Array.isArray(claim) ? claim[0] : claim) as JsonObject;
      assert.equal((parts.hasPart as JsonObject[]).length, 1);
      // The simplified degree schema admits no credentialStatus (docs/credentials.md, Gaps): everything else is valid.
      const status = credential.credentialStatus as JsonObject;
      assert.equal(status.type, 'BitstringStatusListEntry');
      assert.match(String(status.statusListCredential), new RegExp(`^${PUBLIC}/credentials/status/lu\\.lv/0$`));
      const { credentialStatus: _s, ...rest } = credential;
      assert.ok(validate(rest), errorsOf(validate).join('\n'));
      // jose, not the code that sealed it: flattened JWS with the unencoded payload and the critical sigT.
      const [sig] = sealed.signatures;
      const header = JSON.parse(Buffer.from(sig!.protected, 'base64url').toString('utf8')) as { x5c: string[]; alg: string };
      const key = await jose.importX509(`-----BEGIN CERTIFICATE-----\n${header.x5c[0]!}\n-----END CERTIFICATE-----`, header.alg);
      const out = await jose.flattenedVerify({ payload: sealed.payload, protected: sig!.protected, signature: sig!.signature }, key, { crit: { sigT: true } });
      assert.equal(new TextDecoder().decode(out.payload), sealed.payload);
      // Accept: application/ld+json gives the credential itself.
      const ld = await request(t.app)
        .get(`/api/v1/credentials/urn:uuid:${String(degree!.id)}`)
        .set(auth)
        .set('Accept', 'application/ld+json')
        .expect(200);
      assert.match(String(ld.headers['content-type']), /^application\/ld\+json/);
      assert.equal((JSON.parse(ld.text) as JsonObject).id, credential.id);
    });

    it('writes every issuance to the disclosure log, and a notice of it (a canonical credential record) into the change log', async () => {
      const [degree] = await degreeOf((await awardRecord()).id);
      const log = await request(t.app).get('/api/v1/audit/disclosures/export').set(auth).expect(200);
      const entries = log.text
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l) as JsonObject);
      assert.ok(entries.some((e) => e.route === 'digital-diplomas' && e.entity === 'award' && e.recipient === 'graduate'));
      const notice = await eventually(async () => {
        const [n] = await new RecordReader(t.hub.store.sql).find({ entity: 'credential', institution: 'lu.lv', sourceId: String(degree!.id) });
        assert.ok(n);
        return n;
      });
      assert.equal(notice.data.status, 'active');
      assert.equal(notice.data.credentialId, `urn:uuid:${String(degree!.id)}`);
      // The graduate by hub id and by the student number a register knows (never the personal code).
      assert.deepEqual((notice.data.person as JsonObject).identifiers, [{ scheme: 'student-number', value: 'ab19001', issuer: 'lu.lv' }]);
      assert.doesNotMatch(JSON.stringify(notice.data), /170599/);
    });

    it('verifies the credential, and shows a revocation in its status list and in the verdict at once', async () => {
      const [degree] = await degreeOf((await awardRecord()).id);
      const sealed = (
        await request(t.app)
          .get(`/api/v1/credentials/${String(degree!.id)}`)
          .set(auth)
          .expect(200)
      ).text;
      const before = await request(t.app).post('/api/v1/credentials/verify').set(auth).type('application/jose+json').send(sealed).expect(200);
      assert.equal(before.body.valid, true, JSON.stringify(before.body.checks));
      const listBefore = JSON.parse((await request(t.app).get('/credentials/status/lu.lv/0').expect(200)).text) as Sealed;
      const subject = (JSON.parse(listBefore.payload) as { credentialSubject: { encodedList: string } }).credentialSubject;
      assert.equal(bitOf(subject.encodedList, Number(degree!.listIndex)), false);

      await request(t.app)
        .post(`/api/v1/credentials/${String(degree!.id)}/revoke`)
        .set(auth)
        .send({})
        .expect(400);
      const revoked = await request(t.app)
        .post(`/api/v1/credentials/${String(degree!.id)}/revoke`)
        .set(auth)
        .send({ reason: 'issued in error' })
        .expect(200);
      assert.equal(revoked.body.status, 'revoked');
      assert.equal(revoked.body.revocationReason, 'issued in error');
      await request(t.app)
        .post(`/api/v1/credentials/${String(degree!.id)}/revoke`)
        .set(auth)
        .send({ reason: 'again' })
        .expect(409);

      const after = await request(t.app).post('/api/v1/credentials/verify').set(auth).type('application/jose+json').send(sealed).expect(200);
      assert.equal(after.body.valid, false);
      const check = (after.body.checks as { name: string; passed: boolean; reason: string }[]).find((c) => c.name === 'revocation')!;
      assert.equal(check.passed, false);
      assert.match(check.reason, /revoked/);
      const listAfter = JSON.parse((await request(t.app).get('/credentials/status/lu.lv/0').expect(200)).text) as Sealed;
      assert.equal(bitOf((JSON.parse(listAfter.payload) as { credentialSubject: { encodedList: string } }).credentialSubject.encodedList, Number(degree!.listIndex)), true);
      // The status list is itself sealed by the institution: the verifier's signature check passes on it.
      const listVerdict = await request(t.app).post('/api/v1/credentials/verify').set(auth).type('application/jose+json').send(JSON.stringify(listAfter)).expect(200);
      assert.ok((listVerdict.body.checks as { name: string; passed: boolean }[]).find((c) => c.name === 'signature')!.passed);
      await eventually(async () => {
        const [n] = await new RecordReader(t.hub.store.sql).find({ entity: 'credential', institution: 'lu.lv', sourceId: String(degree!.id) });
        assert.equal(n?.data.status, 'revoked');
        return true;
      });
    });

    it('issues a new credential for a corrected award and revokes the one before', async () => {
      const [first] = await t.hub.pipeline.ingest('lu-push', 'award', [plain(award, { sourceId: 'AW-3', diplomaNumber: 'B 000003', identifiers: [] })], 'application/json');
      const [old] = await eventually(async () => {
        const d = await degreeOf(first!.recordId!);
        assert.equal(d.length, 1);
        return d;
      });
      const [res] = await t.hub.pipeline.ingest(
        'lu-push',
        'award',
        [plain(award, { sourceId: 'AW-3', diplomaNumber: 'B 000003', identifiers: [], diplomaSupplementNumber: 'DP 000003' })],
        'application/json',
      );
      assert.equal(res?.status, 'committed');
      const both = await eventually(async () => {
        const d = await degreeOf(first!.recordId!);
        assert.equal(d.length, 2);
        return d;
      });
      const fresh = both.find((c) => c.subjectVersion === 2)!;
      assert.equal(fresh.status, 'active');
      assert.equal(fresh.replaces, `urn:uuid:${String(old!.id)}`);
      const replaced = both.find((c) => c.id === old!.id)!;
      assert.equal(replaced.status, 'revoked');
      assert.match(String(replaced.revocationReason), /^replaced by urn:uuid:/);
    });

    it('rejects an award without the data a credential needs, naming the fields; after the fix a replay issues it', async () => {
      // A title in neither Latvian nor English: the schema allows it, a credential cannot be built from it.
      const german = [{ lang: 'de', text: 'Bachelor der Naturwissenschaften' }];
      const [w] = await t.hub.pipeline.ingest('lu-push', 'award', [plain(award, { sourceId: 'AW-2', diplomaNumber: 'B 000002', identifiers: [], title: german })], 'application/json');
      assert.equal(w?.status, 'committed');
      await eventually(async () => {
        const m = (await request(t.app).get(`/api/v1/messages/${w.messageId}`).set(auth).expect(200)).body as { deliveries: { routeId: string; status: string }[] };
        assert.equal(m.deliveries.find((x) => x.routeId === 'digital-diplomas')?.status, 'dead');
        return true;
      });
      const attempts = await t.hub.store.listAttempts(w.messageId);
      assert.match(
        attempts
          .filter((a) => a.routeId === 'digital-diplomas')
          .map((a) => a.error ?? '')
          .join(' '),
        /rejected: cannot build the degree credential: \/award\/title/,
      );
      assert.equal((await degreeOf(w.recordId!)).length, 0);
      assert.equal((await awardRecord()).data.diplomaNumber, 'B 012345', 'the award is untouched');
      // The source fixes the award; replaying the dead delivery issues from the award as it is now.
      const [fixed] = await t.hub.pipeline.ingest('lu-push', 'award', [plain(award, { sourceId: 'AW-2', diplomaNumber: 'B 000002', identifiers: [] })], 'application/json');
      assert.equal(fixed?.status, 'committed');
      await request(t.app).post(`/api/v1/messages/${w.messageId}/replay`).set(auth).send({}).expect(200);
      const issued = await eventually(async () => {
        const d = await degreeOf(w.recordId!);
        assert.equal(d.length, 1);
        return d[0];
      });
      assert.equal(issued!.subjectVersion, 2);
      assert.deepEqual(issued!.title, [
        { lang: 'lv', text: 'dabaszinātņu bakalaura grāds datorzinātnēs' },
        { lang: 'en', text: 'Bachelor of Natural Sciences in Computer Science' },
      ]);
    });

    it('retries an award whose person is not held yet, and rejects one of an institution without a seal, naming the files and the command', async () => {
      const [early] = await t.hub.pipeline.ingest(
        'lu-push',
        'award',
        [plain(award, { sourceId: 'AW-4', person: { sourceId: 'P-4' }, diplomaNumber: 'B 000004', identifiers: [] })],
        'application/json',
      );
      assert.equal(early?.status, 'committed');
      const attemptsOf = async (messageId: string) => (await t.hub.store.listAttempts(messageId)).filter((a) => a.routeId === 'digital-diplomas');
      await eventually(async () => (await attemptsOf(early.messageId)).length === 2);
      const tried = await attemptsOf(early.messageId);
      assert.deepEqual(
        tried.map((a) => a.outcome),
        ['retry', 'dead'],
      );
      assert.match(tried[0]!.error ?? '', /the award's person \(\/person\) is not held by the hub/);
      // rtu.lv has no seal in this hub's keys folder.
      const [p] = await t.hub.pipeline.ingest('rtu-push', 'person', [{ institution: 'rtu.lv', sourceId: 'R-1', identifiers: [], givenNames: 'Ilze', familyName: 'Kalna' }], 'application/json');
      assert.equal(p?.status, 'committed');
      const [w] = await t.hub.pipeline.ingest(
        'rtu-push',
        'award',
        [plain(award, { institution: 'rtu.lv', sourceId: 'RAW-1', person: { sourceId: 'R-1' }, programme: undefined, identifiers: [] })],
        'application/json',
      );
      assert.equal(w?.status, 'committed', JSON.stringify(w?.error));
      await eventually(async () => (await attemptsOf(w.messageId)).some((a) => a.outcome === 'dead'));
      const [dead] = await attemptsOf(w.messageId);
      assert.equal(dead!.outcome, 'dead');
      assert.match(
        dead!.error ?? '',
        /^rejected: no seal for rtu\.lv: seal\.key\.pem, seal\.cert\.pem, chain\.pem missing in .* \(npx hub credentials keys --institution rtu\.lv makes a development seal\)/,
      );
      assert.equal((await list('institution=rtu.lv')).length, 0);
    });

    it('lists by person (the person at every institution) and refuses what is not an admin’s or not a credential id', async () => {
      const p = (await new RecordReader(t.hub.store.sql).find({ entity: 'person', institution: 'lu.lv', sourceId: 'P-100231' }))[0]!;
      const mine = await list(`person=${p.id}`);
      assert.ok(mine.length >= 3 && mine.every((c) => c.personId === p.id));
      await request(t.app).get('/api/v1/credentials?person=170599-11230').set(auth).expect(400);
      await request(t.app).get('/api/v1/credentials').expect(401);
      await request(t.app).get('/api/v1/credentials/not-a-uuid').set(auth).expect(400);
      await request(t.app).get('/api/v1/credentials/00000000-0000-4000-8000-000000000000').set(auth).expect(404);
      await request(t.app).get('/credentials/status/lu.lv/7').expect(404);
      await request(t.app).get('/credentials/status/vu.lt/0').expect(404);
    });
  });
}
