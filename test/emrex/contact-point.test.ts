import assert from 'node:assert/strict';
import { gunzipSync } from 'node:zlib';
import request from 'supertest';
import { readSealKey } from '../../src/emrex/keys.ts';
import { sealKeysDir } from '../../src/emrex/seal-key.ts';
import { isCI } from '../helpers/ci.ts';
import { jdkAvailable, jdkVerifyXmlDsig } from './helpers/jdk.ts';
import { auth, backends } from '../helpers/hub.ts';
import { requireSpecs, validateAgainst } from '../ewp/helpers/xsd.ts';
import { appOf, deliverAnswer, entries, hiddenFields, Learner, signInAtContactPoint, startContactPoint, type ContactPointSetup } from './helpers/contact-point.ts';

/**
 * The EMREX contact point (issue 19, item 2): a test EMREX client sends a learner to the hub, the learner
 * signs in at the development OpenID provider, chooses results, and the client receives a sealed ELMO
 * document; and every way it must refuse or answer otherwise.
 */
for (const backend of backends())
  describe(`EMREX contact point (${backend})`, function () {
    this.timeout(60_000);
    let s: ContactPointSetup;

    before(async () => {
      s = await startContactPoint({ backend });
    });
    after(async () => s?.stop());

    it('round trip: the client receives EMP_OK and the chosen results as a sealed ELMO 1.7 document the JDK verifies; the transfer is a consent and disclosures', async function () {
      const learner = new Learner();
      await signInAtContactPoint(s, learner, { sessionId: 'round-trip-1', account: 'anna' });
      assert.equal(learner.status, 200, learner.body.slice(0, 500));
      assert.match(learner.url, /\/emrex\/choose\?lang=lv$/);
      assert.match(learner.body, /Izvēlieties nosūtāmos rezultātus/);
      assert.match(learner.body, /vu\.lt/);
      // Anna's three results across lu.lv and rtu.lv, all ticked; Jānis's are not there.
      const offered = entries(learner.body);
      assert.equal(offered.length, 3);
      assert.match(learner.body, /Programmēšanas pamati/);
      assert.match(learner.body, /Datu struktūras/);
      // The language switch: the same page in English.
      // Without the session's cookie, nothing of Anna's.
      const stranger = await new Learner().request(`${s.hubUrl}/emrex/choose`);
      assert.equal(stranger.status, 400);
      assert.doesNotMatch(stranger.body, /Programmēšanas/);
      await learner.request(`${s.hubUrl}/emrex/choose?lang=en`);
      assert.match(learner.body, /Choose the results to send/);
      assert.match(learner.body, /Foundations of Programming/);
      // The personal code is in no URL the learner passed and on no page.
      assert.doesNotMatch(learner.url + learner.body, /170599/);

      // Two of three chosen: Calculus is left out.
      const fields = hiddenFields(learner.body);
      const left = offered.find((id) => learner.body.includes(`for="e-${id}">Calculus`));
      assert.ok(left, 'Calculus is offered');
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: fields._csrf!, lang: 'en', action: 'send', entry: offered.filter((id) => id !== left) } });
      assert.equal(learner.status, 200, learner.body.slice(0, 500));
      const csp = await fetch(`${s.hubUrl}/emrex/`).then((r) => r.headers.get('content-security-policy'));
      assert.match(String(csp), /default-src 'none'/);
      assert.match(learner.body, /<script src="\/emrex\/static\/submit\.js" defer><\/script>/);
      assert.match(learner.body, /<button type="submit">Continue<\/button>/, 'a button for browsers without script');
      await deliverAnswer(learner);
      assert.equal(learner.body, 'received by the test EMREX client');

      assert.equal(s.received.length, 1);
      const got = s.received[0]!;
      assert.equal(got.sessionId, 'round-trip-1');
      assert.equal(got.returnCode, 'EMP_OK');
      assert.match(got.returnMessage!, /2 result/);
      const xml = gunzipSync(Buffer.from(got.elmo!, 'base64')).toString('utf8');
      assert.match(xml, /Foundations of Programming|Programmēšanas pamati/);
      assert.match(xml, /Datu struktūras/);
      assert.doesNotMatch(xml, /Matemātiskā analīze/, 'what the learner left out is not sent');
      assert.equal((xml.match(/<report>/g) ?? []).length, 2, 'one report per institution');

      const v = await validateAgainst(requireSpecs(this), 'elmo-schemas/schema.xsd', xml);
      assert.deepEqual(v.errors, [], 'valid against the ELMO 1.7 XSD');
      const key = readSealKey(sealKeysDir(s.t.config, s.t.dir));
      assert.ok(key);
      if (!jdkAvailable()) {
        if (isCI()) throw new Error('java (JDK 11+) is needed to verify the seal independently');
        console.log('      skipped: no java on this machine to verify the seal independently');
      } else {
        assert.equal(jdkVerifyXmlDsig(xml, key.certificatePem), 'VALID', 'the JDK verifies the seal');
      }

      // The learner's control: a consent record and the disclosures, in subject access.
      const [p] = await s.t.hub.store.sql.query<{ id: string }>("SELECT id FROM records WHERE entity = 'person' AND source_id = 'LU-1'");
      const records = await request(appOf(s)).get(`/api/v1/persons/${p!.id}/records`).set(auth).expect(200);
      const consents = (records.body as { records: { entity: string; record: Record<string, unknown> }[] }).records.filter((r) => r.entity === 'consent');
      assert.equal(consents.length, 1);
      assert.equal(consents[0]!.record.purpose, 'emrex-transfer');
      assert.equal(consents[0]!.record.recipient, 'vu.lt');
      assert.equal(consents[0]!.record.status, 'given');
      const log = await request(appOf(s)).get(`/api/v1/persons/${p!.id}/disclosures`).set(auth).expect(200);
      const sent = (log.body as { disclosures: { route: string; recipient: string; entity: string; legalBasis: string }[] }).disclosures.filter((d) => d.route === 'emrex:contact-point');
      assert.deepEqual(sent.map((d) => d.entity).sort(), ['attainment', 'attainment', 'person']);
      assert.ok(sent.every((d) => d.recipient === 'vu.lt' && d.legalBasis === 'consent'));

      // The session is answered: a second answer is refused, and nothing more reaches the client.
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: fields._csrf!, lang: 'en', action: 'send', entry: offered } });
      assert.equal(learner.status, 409);
      assert.match(learner.body, /used already/);
      assert.equal(s.received.length, 1);
    });

    it('refuses a returnUrl of no configured client with a page (400), never a redirect to it', async () => {
      for (const returnUrl of ['https://evil.example/return', `${s.clientUrl}/other`, `${s.clientUrl.replace('127.0.0.1', 'user:pw@127.0.0.1')}/return`, 'javascript:alert(1)', '']) {
        const res = await request(appOf(s)).post('/emrex/').type('form').send({ sessionId: 'x1', returnUrl }).expect(400);
        assert.equal(res.headers.location, undefined);
        assert.match(res.text, /nav reģistrēta kā EMREX klients/);
        assert.doesNotMatch(res.text, /evil\.example/);
      }
    });

    it('refuses a sessionId over 32 characters, none, and a body that is not a form', async () => {
      await request(appOf(s))
        .post('/emrex/')
        .type('form')
        .send({ sessionId: 'x'.repeat(33), returnUrl: s.returnUrl })
        .expect(400);
      await request(appOf(s)).post('/emrex/').type('form').send({ returnUrl: s.returnUrl }).expect(400);
      const ok = await request(appOf(s))
        .post('/emrex/')
        .type('form')
        .send({ sessionId: 'x'.repeat(32), returnUrl: s.returnUrl })
        .expect(303);
      assert.ok(String(ok.headers.location).startsWith(`${s.op.issuer}/`), 'to the provider');
      assert.match(String(ok.headers['set-cookie']), /hub_emrex_session=[^;]+; Path=\/emrex; HttpOnly; SameSite=Lax/);
      await request(appOf(s)).post('/emrex/').set('content-type', 'application/json').send({ sessionId: 'j1', returnUrl: s.returnUrl }).expect(415);
    });

    it('refuses a client session id sent again (a replay) and a callback replayed after sign-in', async () => {
      await request(appOf(s)).post('/emrex/').type('form').send({ sessionId: 'once-only', returnUrl: s.returnUrl }).expect(303);
      const again = await request(appOf(s)).post('/emrex/').type('form').send({ sessionId: 'once-only', returnUrl: s.returnUrl }).expect(409);
      assert.match(again.text, /jau ir izmantota/);
      // The provider's answer replayed: the session is past the sign-in.
      const learner = new Learner();
      await learner.request(`${s.hubUrl}/emrex/`, { form: { sessionId: 'replay-cb', returnUrl: s.returnUrl } });
      const uid = /\/interaction\/([\w-]+)/.exec(learner.url)?.[1];
      await learner.request(`${s.op.issuer}/interaction/${uid}/login`, { form: { account: 'anna' }, follow: false });
      while (learner.location && !learner.location.startsWith(`${s.hubUrl}/emrex/callback`)) await learner.request(learner.location, { follow: false });
      const callback = learner.location;
      assert.ok(callback, 'the provider sends the learner back with a code');
      await learner.request(callback);
      assert.equal(learner.status, 200);
      assert.match(learner.url, /\/emrex\/choose/);
      await learner.request(callback);
      assert.equal(learner.status, 409, 'the same code and state again');
      assert.match(learner.body, /jau ir izmantota/);
    });

    it('answers EMP_CANCEL when the learner cancels on the choice page, and when they cancel at the provider', async () => {
      const learner = new Learner();
      await signInAtContactPoint(s, learner, { sessionId: 'cancel-1', account: 'anna' });
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: hiddenFields(learner.body)._csrf!, action: 'cancel' } });
      await deliverAnswer(learner);
      assert.deepEqual(
        s.received.filter((r) => r.sessionId === 'cancel-1').map((r) => [r.returnCode, r.elmo]),
        [['EMP_CANCEL', undefined]],
      );
      const other = new Learner();
      await signInAtContactPoint(s, other, { sessionId: 'cancel-2', account: 'anna', cancelAtProvider: true });
      await deliverAnswer(other);
      assert.deepEqual(
        s.received.filter((r) => r.sessionId === 'cancel-2').map((r) => r.returnCode),
        ['EMP_CANCEL'],
      );
    });

    it('answers EMP_NO_RESULTS for a person with no results and for someone the hub does not know', async () => {
      for (const [sessionId, account] of [
        ['none-1', 'janis'],
        ['none-2', 'peteris'],
      ] as const) {
        const learner = new Learner();
        await signInAtContactPoint(s, learner, { sessionId, account });
        await deliverAnswer(learner);
        const got = s.received.filter((r) => r.sessionId === sessionId);
        assert.deepEqual(
          got.map((r) => [r.returnCode, r.elmo]),
          [['EMP_NO_RESULTS', undefined]],
        );
      }
    });

    it('refuses an answer without the CSRF token, or with another one (403), and an empty choice (422)', async () => {
      const learner = new Learner();
      await signInAtContactPoint(s, learner, { sessionId: 'csrf-1', account: 'anna' });
      const ids = entries(learner.body);
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { action: 'send', entry: ids } });
      assert.equal(learner.status, 403);
      assert.match(learner.body, /Veidlapa netika nosūtīta/);
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: 'x'.repeat(43), action: 'send', entry: ids } });
      assert.equal(learner.status, 403);
      await learner.request(`${s.hubUrl}/emrex/choose`);
      const csrf = hiddenFields(learner.body)._csrf!;
      await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: csrf, action: 'send', entry: ['00000000-0000-4000-8000-000000000000'] } });
      assert.equal(learner.status, 422, 'an id not in the learner’s record is no choice');
      assert.match(learner.body, /Atzīmējiet vismaz vienu/);
      assert.equal(s.received.filter((r) => r.sessionId === 'csrf-1').length, 0);
    });
  });

describe('EMREX contact point: an expired session', function () {
  this.timeout(60_000);
  let s: ContactPointSetup;
  before(async () => {
    s = await startContactPoint({ emrex: { sessionMinutes: 1 } });
  });
  after(async () => s?.stop());

  it('refuses the choice and the answer once the session is over (410), with a clear message', async () => {
    const learner = new Learner();
    await signInAtContactPoint(s, learner, { sessionId: 'late-1', account: 'anna' });
    const csrf = hiddenFields(learner.body)._csrf!;
    // A minute later, as far as the sessions table knows.
    await s.t.hub.store.sql.run('UPDATE emrex_sessions SET expires_at = ?', [new Date(Date.now() - 1000).toISOString()]);
    await learner.request(`${s.hubUrl}/emrex/choose`);
    assert.equal(learner.status, 410);
    assert.match(learner.body, /Sesijas laiks ir beidzies/);
    await learner.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: csrf, action: 'send', entry: [] } });
    assert.equal(learner.status, 410);
    assert.equal(s.received.length, 0);
  });
});

describe('EMREX contact point: the rate limit', function () {
  this.timeout(60_000);
  let s: ContactPointSetup;
  before(async () => {
    s = await startContactPoint({ emrex: { requestsPerMinute: 3 } });
  });
  after(async () => s?.stop());

  it('answers 429 with Retry-After and a page past emrex.requestsPerMinute per address', async () => {
    const app = appOf(s);
    for (let i = 0; i < 3; i++) await request(app).get('/emrex/').expect(200);
    const res = await request(app).post('/emrex/').type('form').send({ sessionId: 'rl-1', returnUrl: s.returnUrl }).expect(429);
    assert.ok(Number(res.headers['retry-after']) >= 1);
    assert.match(res.text, /Pārāk daudz pieprasījumu/);
  });
});
