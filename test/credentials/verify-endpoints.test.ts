import assert from 'node:assert/strict';
import request from 'supertest';
import { buildDegreeCredential } from '../../src/credentials/build.ts';
import { createDevSealKeys, fileSigner, readSealKeys } from '../../src/credentials/keys.ts';
import { seal } from '../../src/credentials/seal.ts';
import { credentialKeysDir } from '../../src/credentials/trust.ts';
import { sealKey } from '../../src/emrex/seal-key.ts';
import { sealElmo } from '../../src/emrex/sign.ts';
import { osloElmo } from '../emrex/helpers/foreign-contact-point.ts';
import { auth, makeHub, type TestHub } from '../helpers/hub.ts';
import { award, issuer, person, programme } from './helpers.ts';

/**
 * Verification as a holder of a credential meets it: the API (`POST /api/v1/credentials/verify`, any
 * token) and the public page `/verify`, against the hub's own trust anchors (development seal keys of the
 * configured institutions). Sealed by lu.lv's key in the hub's keys folder.
 */
describe('credential verification: API and the /verify page', function () {
  this.timeout(60_000);
  let t: TestHub;
  let sealed: string;
  let foreign: string;

  before(async () => {
    t = await makeHub();
    const dir = credentialKeysDir(t.hub.config, t.hub.env.dataDir);
    await createDevSealKeys(dir, 'lu.lv');
    const credential = buildDegreeCredential({ award, person, programme, issuer, credentialId: 'urn:credential:7f1e2d3c-4b5a-4697-8887-968574635241', issuedAt: new Date() });
    sealed = JSON.stringify(await seal(credential, fileSigner(readSealKeys(dir, 'lu.lv')), new Date()));
    // A seal from a CA the hub does not trust (another folder, same institution name).
    const other = `${t.dir}/elsewhere`;
    await createDevSealKeys(other, 'lu.lv');
    foreign = JSON.stringify(await seal(credential, fileSigner(readSealKeys(other, 'lu.lv')), new Date()));
  });
  after(async () => t?.stop());

  const verify = (body: string, type = 'application/json') => request(t.app).post('/api/v1/credentials/verify').set(auth).set('content-type', type).send(body);
  const failed = (checks: { name: string; passed: boolean }[]) => checks.filter((c) => !c.passed).map((c) => c.name);

  it('finds an untouched credential of a configured institution valid, every check passed', async () => {
    const res = await verify(sealed).expect(200);
    assert.equal(res.body.valid, true, JSON.stringify(res.body.checks));
    assert.equal(res.body.issuer, 'lu.lv');
    assert.deepEqual(
      res.body.checks.map((c: { name: string }) => c.name),
      ['format', 'signature', 'chain', 'issuer', 'integrity', 'schema', 'revocation', 'validity'],
    );
    const jose = await verify(sealed, 'application/jose+json').expect(200);
    assert.equal(jose.body.valid, true);
  });

  it('shows tampering, a foreign seal and a malformed document each as the check that failed', async () => {
    const tampered = sealed.replace('B 012345', 'B 999999');
    assert.notEqual(tampered, sealed);
    const t1 = await verify(tampered).expect(200);
    assert.equal(t1.body.valid, false);
    assert.ok(failed(t1.body.checks).includes('signature'), JSON.stringify(t1.body.checks));
    const t2 = await verify(foreign).expect(200);
    assert.deepEqual(failed(t2.body.checks), ['chain']);
    const t3 = await verify('{"payload": 1').expect(200);
    assert.deepEqual(failed(t3.body.checks)[0], 'format');
    assert.equal(t3.body.valid, false);
  });

  it('needs a token and says what it takes; a body over the limit is a clear 413', async () => {
    await request(t.app).post('/api/v1/credentials/verify').set('content-type', 'application/json').send(sealed).expect(401);
    const wrong = await request(t.app).post('/api/v1/credentials/verify').set(auth).set('content-type', 'text/plain').send(sealed).expect(415);
    assert.match(wrong.body.detail, /application\/json or application\/jose\+json/);
    const big = await verify(`"${'x'.repeat(10 * 1024 * 1024)}"`);
    assert.equal(big.status, 413);
    assert.match(String(big.headers['content-type']), /problem\+json/);
  });

  it('lets anyone check a credential on /verify, in Latvian and English, every check with its reason', async () => {
    const form = await request(t.app).get('/verify?lang=en').expect(200);
    assert.match(form.text, /<form method="post" action="\/verify">/);
    assert.match(form.text, /<label for="credential">Sealed credential \(JSON\) or ELMO document \(XML\)<\/label>/);
    assert.match(form.text, /Up to 2 MB; larger documents are checked through the API \(POST \/api\/v1\/elmo\/verify\)/);
    assert.doesNotMatch(form.text, /<script/i);
    const ok = await request(t.app).post('/verify').type('form').send({ credential: sealed, lang: 'lv' }).expect(200);
    assert.match(ok.text, /Derīgs: visas pārbaudes izturētas/);
    assert.match(ok.text, /Izdevējs: lu.lv/);
    const bad = await request(t.app).post('/verify').type('form').send({ credential: foreign, lang: 'en' }).expect(200);
    assert.match(bad.text, /Not valid/);
    assert.match(bad.text, /Certificate chain<\/th><td>✘ failed/);
    const html = await request(t.app).post('/verify').type('form').send({ credential: '{"x": "<script>alert(1)</script>"}', lang: 'en' }).expect(200);
    assert.doesNotMatch(html.text, /<script>alert/);
    assert.match(html.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt;/);
    assert.match(String(html.headers['content-security-policy']), /default-src 'none'/);
    const huge = await request(t.app)
      .post('/verify')
      .type('form')
      .send({ credential: 'x'.repeat(3 * 1024 * 1024) });
    assert.equal(huge.status, 413);
  });

  describe('an ELMO document pasted into /verify', () => {
    const CODE = '140300-12345';
    let elmo: string;
    before(async () => {
      // Sealed with this hub's EMREX seal (made in its keys folder), with the learner's personal code in it.
      const doc = osloElmo({ givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-03-14' }).replace(
        '<citizenship>LV</citizenship>',
        `<citizenship>LV</citizenship><identifier type="nationalIdentifier">${CODE}</identifier>`,
      );
      elmo = sealElmo(doc, await sealKey(t.hub));
    });
    const post = (text: string, lang = 'en') => request(t.app).post('/verify').type('form').send({ credential: text, lang });
    const row = (page: string, name: string) => new RegExp(`<th scope="row">${name}</th><td>(✔ passed|✘ failed)</td><td>([^<]*)</td>`).exec(page);

    it('runs the checks of POST /api/v1/elmo/verify and shows what the document says, never the personal code', async () => {
      const res = await post(elmo).expect(200);
      assert.match(res.text, /Valid: every check passed/);
      for (const name of ['Well-formed XML \\(no DOCTYPE\\)', 'ELMO document', 'Signature over the whole document', 'Trusted, current certificate', 'Attachments \\(PDF\\)']) {
        assert.equal(row(res.text, name)?.[1], '✔ passed', name);
      }
      assert.match(row(res.text, 'Trusted, current certificate')![2]!, /this hub&#39;s seal|this hub's seal/);
      assert.match(res.text, /Learner: Jānis Bērziņš \(born 2000-03-14\)/);
      assert.match(res.text, /<tr><td>uio.no<\/td><td>4<\/td><\/tr>/);
      assert.doesNotMatch(res.text, new RegExp(CODE), 'the personal code is not shown, nor is the document echoed');
      assert.doesNotMatch(res.text, /<script/i);
      assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
      const lv = await post(elmo, 'lv').expect(200);
      assert.match(lv.text, /Derīgs: visas pārbaudes izturētas/);
      assert.match(lv.text, /Students: Jānis Bērziņš/);
      // The API says the same.
      const api = await request(t.app).post('/api/v1/elmo/verify').set(auth).set('content-type', 'application/xml').send(elmo).expect(200);
      assert.equal(api.body.valid, true);
    });

    it('fails the signature of a document changed after it was sealed', async () => {
      const changed = elmo.replace('<resultLabel>C</resultLabel>', '<resultLabel>A</resultLabel>');
      assert.notEqual(changed, elmo);
      const res = await post(changed).expect(200);
      assert.match(res.text, /Not valid/);
      assert.equal(row(res.text, 'Signature over the whole document')?.[1], '✘ failed');
      assert.match(row(res.text, 'Signature over the whole document')![2]!, /changed after it was sealed/);
    });

    it('refuses a DOCTYPE, malformed XML and a foreign root with a verdict page, never a 500', async () => {
      const doctype = await post(`<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY x "y">]>${elmo.replace(/^<\?xml[^>]*\?>/, '')}`).expect(200);
      assert.match(doctype.text, /Not valid/);
      assert.match(row(doctype.text, 'Well-formed XML \\(no DOCTYPE\\)')![2]!, /DOCTYPE or entity declaration is not accepted/);
      const broken = await post('<elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1"><learner>').expect(200);
      assert.equal(row(broken.text, 'Well-formed XML \\(no DOCTYPE\\)')?.[1], '✘ failed');
      const other = await post('<script>alert(1)</script>').expect(200);
      assert.equal(row(other.text, 'ELMO document')?.[1], '✘ failed');
      assert.doesNotMatch(other.text, /<script>alert/);
    });
  });
});
