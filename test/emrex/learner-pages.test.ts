import assert from 'node:assert/strict';
import { validateConfig } from '../../src/config/load.ts';
import { checkContactPoint } from '../../src/emrex/contact-point/settings.ts';
import type { LearnerCredential, LearnerCredentials } from '../../src/emrex/learner/types.ts';
import { adapters } from '../../adapters/index.ts';
import { baseConfig, schemas } from '../helpers/hub.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { deliverAnswer, entries, hiddenFields, Learner, signInAtContactPoint, startContactPoint, type ContactPointSetup } from './helpers/contact-point.ts';

/** A fake of the digital-diploma part: one credential of Anna's person record, one of someone else. */
function fakeCredentials(): LearnerCredentials & { annaIds: string[]; asked: string[][] } {
  const fake = {
    annaIds: [] as string[],
    asked: [] as string[][],
    list: [
      { id: 'cred-anna', owner: 'anna', title: { lv: 'Bakalaura diploms', en: "Bachelor's diploma" }, institution: 'lu.lv', issuedAt: '2024-06-20T10:00:00Z', status: 'active' as const },
      { id: 'cred-other', owner: 'other', title: { lv: 'Cits diploms', en: 'Another diploma' }, institution: 'rtu.lv', issuedAt: '2024-06-20T10:00:00Z', status: 'active' as const },
    ],
    mine(personIds: string[]) {
      return fake.list.filter((c) => c.owner === 'anna' && personIds.some((id) => fake.annaIds.includes(id)));
    },
    ofPersons(personIds: string[]): Promise<LearnerCredential[]> {
      fake.asked.push(personIds);
      return Promise.resolve(fake.mine(personIds).map(({ owner: _owner, ...c }) => c));
    },
    download(personIds: string[], id: string) {
      const c = fake.mine(personIds).find((x) => x.id === id);
      return Promise.resolve(c ? { contentType: 'application/json', filename: `${c.id}.json`, body: JSON.stringify({ credential: c.id }) } : undefined);
    },
  };
  return fake;
}

describe("the learner's page (/learner/)", function () {
  this.timeout(60_000);
  let s: ContactPointSetup;
  const creds = fakeCredentials();

  before(async () => {
    s = await startContactPoint({ credentials: creds });
    creds.annaIds = (await s.t.hub.store.sql.query<{ id: string }>("SELECT id FROM records WHERE entity = 'person' AND source_id IN ('LU-1', 'RTU-7')")).map((r) => r.id);
  });
  after(async () => s?.stop());

  const signIn = async (account: string) => {
    const learner = new Learner();
    await learner.request(`${s.hubUrl}/learner/`);
    assert.match(learner.body, /Pierakstīties/);
    await learner.request(`${s.hubUrl}/learner/sign-in?lang=en`);
    assert.ok(learner.url.startsWith(s.op.issuer), 'at the provider');
    const uid = /\/interaction\/([\w-]+)/.exec(learner.url)?.[1];
    return learner.request(`${s.op.issuer}/interaction/${uid}/login`, { form: { account } });
  };

  it('lists what was sent where and when, and the learner’s digital diplomas with a download link each', async () => {
    // Anna sends one result to vu.lt first.
    const cp = new Learner();
    await signInAtContactPoint(s, cp, { sessionId: 'learner-1', account: 'anna' });
    const offered = entries(cp.body);
    await cp.request(`${s.hubUrl}/emrex/answer`, { form: { _csrf: hiddenFields(cp.body)._csrf!, action: 'send', entry: [offered[0]!] } });
    await deliverAnswer(cp);

    const learner = await signIn('anna');
    assert.equal(learner.status, 200);
    assert.match(learner.url, /\/learner\/\?lang=en$/);
    assert.match(learner.body, /Signed in: Anna Liepiņa/);
    assert.match(learner.body, /<h2 id="transfers">Results sent<\/h2>/);
    assert.match(learner.body, /<td>vu\.lt<\/td>/);
    assert.equal((learner.body.match(/<li>/g) ?? []).length, 1, 'the one result sent');
    assert.match(learner.body, /Digital diplomas/);
    assert.match(learner.body, /Bachelor&#39;s diploma/);
    assert.doesNotMatch(learner.body, /Another diploma/);
    assert.deepEqual(creds.asked.at(-1)?.slice().sort(), creds.annaIds.slice().sort(), "the part is asked with the learner's person ids");
    // In Latvian.
    await learner.request(`${s.hubUrl}/learner/?lang=lv`);
    assert.match(learner.body, /Digitālie diplomi/);
    assert.match(learner.body, /Nosūtītie rezultāti/);
    // The download: hers only.
    const res = await fetch(`${s.hubUrl}/learner/credentials/cred-anna`, { headers: { cookie: `hub_learner_session=${learner.cookie('hub_learner_session')!}` } });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-disposition')), /attachment; filename="cred-anna\.json"/);
    assert.deepEqual(await res.json(), { credential: 'cred-anna' });
    await learner.request(`${s.hubUrl}/learner/credentials/cred-other`);
    assert.equal(learner.status, 404);
    // Without the session: nothing.
    await new Learner().request(`${s.hubUrl}/learner/credentials/cred-anna`).then((x) => assert.equal(x.status, 401));
  });

  it('shows another learner only their own: nothing of Anna’s', async () => {
    const learner = await signIn('janis');
    assert.match(learner.body, /Signed in: Jānis Liepiņa/);
    assert.match(learner.body, /Nothing has been sent/);
    assert.doesNotMatch(learner.body, /vu\.lt|Bachelor/);
    await learner.request(`${s.hubUrl}/learner/credentials/cred-anna`);
    assert.equal(learner.status, 404);
  });

  it('signs out with the CSRF token only, and the cookie opens nothing after', async () => {
    const learner = await signIn('anna');
    const csrf = hiddenFields(learner.body)._csrf!;
    await learner.request(`${s.hubUrl}/learner/sign-out`, { form: {} });
    assert.equal(learner.status, 403);
    const cookie = learner.cookie('hub_learner_session')!;
    await learner.request(`${s.hubUrl}/learner/sign-out`, { form: { _csrf: csrf } });
    assert.match(learner.body, /Pierakstīties|Sign in/);
    const again = await fetch(`${s.hubUrl}/learner/`, { headers: { cookie: `hub_learner_session=${cookie}` } }).then((r) => r.text());
    assert.doesNotMatch(again, /Anna/);
  });
});

describe('the contact point’s configuration', () => {
  const emrex = (e: object) => baseConfig({ emrex: e as never });
  it('is checked at start: client prefixes, the issuer, the sign-in and the consent source', () => {
    const v = checkContactPoint(
      emrex({
        clients: [
          { name: 'a', returnUrlPrefix: 'http://a.example/return' },
          { name: 'a', returnUrlPrefix: 'https://b.example' },
        ],
        oidc: { issuer: 'http://idp.example', clientId: 'x', scope: 'profile' },
        consentSource: 'lu-lais',
      }),
    ).map((x) => `${x.path}: ${x.message}`);
    assert.deepEqual(v, [
      '/emrex/clients/0/returnUrlPrefix: must be https (http only on a loopback host)',
      "/emrex/clients/1/name: 'a' is listed twice",
      "/emrex/clients/1/returnUrlPrefix: must start with https://b.example/ (the host and at least the '/' after it)",
      '/emrex/oidc/issuer: must be https (http only on a loopback host)',
      "/emrex/oidc/scope: must include 'openid'",
      "/emrex/consentSource: source 'lu-lais' must use the mapping set 'canonical' (the hub writes canonical consent records through it)",
    ]);
    assert.deepEqual(
      checkContactPoint(emrex({ clients: [{ name: 'a', returnUrlPrefix: 'https://a.example/r' }] })).map((x) => x.path),
      ['/emrex/oidc', '/emrex/consentSource'],
    );
    assert.throws(
      () => validateConfig(emrex({ clients: [{ name: 'a', returnUrlPrefix: 'https://a.example/r' }] }), { schemas, adapters, mappingsDir: new MappingEngine().dir }),
      (e: Error & { violations?: { path: string }[] }) => !!e.violations?.some((x) => x.path === '/emrex/oidc'),
    );
    assert.deepEqual(
      checkContactPoint(emrex({ clients: [{ name: 'a', returnUrlPrefix: 'https://a.example/r' }], oidc: { issuer: 'https://idp.example', clientId: 'x' }, consentSource: 'rtu-push' })),
      [],
    );
  });
});
