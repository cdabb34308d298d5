import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createDevSealKey, readSealKey } from '../../src/emrex/keys.ts';
import { sealElmo } from '../../src/emrex/sign.ts';
import { sealKeysDir } from '../../src/emrex/seal-key.ts';
import { isCI } from '../helpers/ci.ts';
import { jdkAvailable, jdkVerifyXmlDsig } from './helpers/jdk.ts';
import request from 'supertest';
import { validateAgainst, requireSpecs } from '../ewp/helpers/xsd.ts';
import { PERSONAL_CODE, seed } from '../ewp/helpers/data.ts';
import { personalCode } from '../viis/fixtures.ts';
import { course, learner, result } from './helpers/records.ts';
import { attr, parseXml, children, childText, text, type XElem } from '../../src/ewp/xml/parse.ts';
import { auth, backends, baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';

/**
 * A learner's consolidated record as ELMO 1.7 (issue 19, item 1): one report per institution that holds
 * results or awards of the person (linked across institutions by personal code), valid against the
 * official ELMO 1.7 XSD, and every transcript a disclosure in the log.
 */
const CODE = PERSONAL_CODE;

for (const backend of backends()) {
  describe(`ELMO 1.7 of a learner's record (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let personId = '';

    before(async () => {
      t = await makeHub({
        backend,
        config: baseConfig({
          sources: [
            { id: 'rtu-push', institution: 'rtu.lv', mappingSet: 'canonical' },
            { id: 'lu-push', institution: 'lu.lv', mappingSet: 'canonical' },
          ],
          sinks: [],
          routes: [],
        }),
      });
      await seed(t.hub, 'lu-push', {
        person: [learner('LU-1')],
        course: [course('C-1', 'DatZ1234', 'Programmēšanas pamati', 'Foundations of Programming')],
        attainment: [result('A-1', 'LU-1', 'C-1', '9', '2024-01-20'), result('A-2', 'LU-1', 'C-1', '3', '2023-06-10')],
      });
      await seed(t.hub, 'rtu-push', {
        person: [learner('RTU-7')],
        course: [course('C-9', 'DIP101', 'Datu struktūras', 'Data Structures')],
        attainment: [result('A-9', 'RTU-7', 'C-9', '10', '2025-01-15')],
        // Another person's result: never in Anna's record.
        ...{ 'study-right': [] },
      });
      await seed(t.hub, 'rtu-push', {
        person: [learner('RTU-8', CODE, { identifiers: [{ scheme: 'lv-personas-kods', value: personalCode(8) }], givenNames: 'Jānis' })],
        attainment: [result('A-10', 'RTU-8', 'C-9', '8', '2025-01-15')],
      });
      const [p] = await t.hub.store.sql.query<{ id: string }>("SELECT id FROM records WHERE entity = 'person' AND source_id = 'LU-1'");
      personId = p!.id;
    });
    after(async () => t?.stop());

    const elmo = async (query = '') => {
      const res = await request(t.app).get(`/api/v1/persons/${personId}/elmo${query}`).set(auth).expect(200);
      assert.match(String(res.headers['content-type']), /application\/xml/);
      return res.text;
    };

    it('holds one report per institution, each result with its date, grade, status and credits; valid against the ELMO 1.7 XSD', async function () {
      const xml = await elmo();
      const dir = requireSpecs(this);
      const v = await validateAgainst(dir, 'elmo-schemas/schema.xsd', xml);
      assert.deepEqual(v.errors, [], 'valid ELMO 1.7');
      const root = parseXml(xml);
      const learner = children(root, 'learner')[0]!;
      assert.equal(childText(learner, 'givenNames'), 'Anna');
      assert.equal(childText(learner, 'bday'), '2001-01-01');
      const reports = children(root, 'report');
      assert.deepEqual(
        reports.map((r) => childText(children(r, 'issuer')[0]!, 'identifier')),
        ['lu.lv', 'rtu.lv'],
      );
      const grades = (r: XElem) =>
        children(r, 'learningOpportunitySpecification').map((l) => {
          const i = children(children(l, 'specifies')[0]!, 'learningOpportunityInstance')[0]!;
          return [childText(l, 'title'), childText(i, 'date'), childText(i, 'resultLabel'), childText(i, 'status')];
        });
      assert.deepEqual(grades(reports[0]!), [
        ['Programmēšanas pamati', '2023-06-10', '3', 'failed'],
        ['Programmēšanas pamati', '2024-01-20', '9', 'passed'],
      ]);
      assert.deepEqual(grades(reports[1]!), [['Datu struktūras', '2025-01-15', '10', 'passed']], 'the other person’s result is not there');
      assert.match(xml, /<gradingScheme localId="LV_10"><description xml:lang="en">Latvian 10-point scale/);
      // The EMREX transcript: a PDF in Latvian and in English, outside the reports, with a font that has every Latvian letter.
      const [attachment] = children(root, 'attachment');
      assert.ok(attachment, 'an attachment at the top level');
      assert.equal(childText(attachment, 'type'), 'EMREX transcript');
      const pdfs = children(attachment, 'content').map((c) => ({
        lang: attr(c, 'lang', 'http://www.w3.org/XML/1998/namespace'),
        pdf: Buffer.from(text(c).replace(/^data:application\/pdf;base64,/, ''), 'base64'),
      }));
      assert.deepEqual(
        pdfs.map((p) => p.lang),
        ['lv', 'en'],
      );
      for (const { pdf } of pdfs) {
        assert.equal(pdf.subarray(0, 5).toString('latin1'), '%PDF-');
        assert.match(pdf.subarray(-8).toString('latin1'), /%%EOF/);
        assert.match(pdf.toString('latin1'), /\/BaseFont \/[A-Z]{6}\+DejaVuSans/);
      }
    });

    it('is sealed with an enveloped XML-DSig signature that an independent implementation (the JDK) verifies; a changed grade breaks it', async function () {
      const xml = await elmo();
      const key = readSealKey(sealKeysDir(t.config, t.dir));
      assert.ok(key, 'a development seal key was made in the data dir');
      assert.match(xml, /<ds:Signature xmlns:ds="http:\/\/www\.w3\.org\/2000\/09\/xmldsig#">[\s\S]*<ds:X509Certificate>[\s\S]*<\/ds:Signature><\/elmo>$/);
      if (!jdkAvailable()) {
        if (isCI()) throw new Error('java (JDK 11+) is needed to verify ELMO seals independently');
        console.log('      skipped: no java on this machine to verify the seal independently');
        this.skip();
      }
      assert.equal(jdkVerifyXmlDsig(xml, key.certificatePem), 'VALID');
      assert.match(jdkVerifyXmlDsig(xml.replace('<resultLabel>9</resultLabel>', '<resultLabel>10</resultLabel>'), key.certificatePem), /^INVALID/);
      const v = await validateAgainst(requireSpecs(this), 'elmo-schemas/schema.xsd', xml);
      assert.deepEqual(v.errors, [], 'the sealed document is valid ELMO 1.7 too');
    });

    it('verifies a received document: every check with its reason, for a good, a changed, a foreign and a hostile one', async () => {
      const xml = await elmo();
      const verify = (body: string, type = 'application/xml') => request(t.app).post('/api/v1/elmo/verify').set(auth).set('content-type', type).send(body);
      const good = (await verify(xml).expect(200)).body as {
        valid: boolean;
        checks: { name: string; passed: boolean; reason: string }[];
        learner: { familyName: string };
        reports: { issuer: string; results: number }[];
      };
      assert.equal(good.valid, true, JSON.stringify(good.checks));
      assert.deepEqual(
        good.checks.map((c) => c.name),
        ['well-formed', 'elmo', 'signature', 'certificate', 'attachments'],
      );
      assert.equal(good.learner.familyName, 'Liepiņa');
      assert.deepEqual(good.reports, [
        { issuer: 'lu.lv', results: 2 },
        { issuer: 'rtu.lv', results: 1 },
      ]);
      const failed = async (body: string) => ((await verify(body).expect(200)).body.checks as { name: string; passed: boolean; reason: string }[]).filter((c) => !c.passed);
      assert.deepEqual(
        (await failed(xml.replace('<resultLabel>9</resultLabel>', '<resultLabel>10</resultLabel>'))).map((c) => c.name),
        ['signature'],
      );
      assert.deepEqual(
        (await failed(`<!DOCTYPE elmo [<!ENTITY x "y">]>${xml.replace(/^<\?xml[^>]*>/, '')}`)).map((c) => c.name),
        ['well-formed'],
      );
      assert.deepEqual(
        (await failed('<elmo><unclosed></elmo>')).map((c) => c.name),
        ['well-formed'],
      );
      const dir = mkdtempSync(join(tmpdir(), 'foreign-seal-'));
      try {
        const foreign = await createDevSealKey(dir, 'CN=Some other contact point, C=NO');
        const resealed = sealElmo(xml.replace(/<ds:Signature[\s\S]*<\/ds:Signature>/, ''), foreign);
        const f = await failed(resealed);
        assert.deepEqual(
          f.map((c) => c.name),
          ['certificate'],
          'a good signature by a certificate this hub does not trust',
        );
        assert.match(f[0]!.reason, /not one this hub trusts/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      await verify('{"elmo": true}', 'application/json').expect(415);
      await request(t.app).post('/api/v1/elmo/verify').set('content-type', 'application/xml').send(xml).expect(401);
    });

    it('gives one institution’s report on request, and refuses an unknown institution', async () => {
      const xml = await elmo('?institution=rtu.lv');
      assert.deepEqual(children(parseXml(xml), 'report').length, 1);
      await request(t.app).get(`/api/v1/persons/${personId}/elmo?institution=nowhere.lv`).set(auth).expect(400);
      await request(t.app).get('/api/v1/persons/00000000-0000-7000-8000-000000000000/elmo').set(auth).expect(404);
    });

    it('logs each transcript as a disclosure of every record in it', async () => {
      const list = async () => (await request(t.app).get(`/api/v1/persons/${personId}/disclosures`).set(auth).expect(200)).body.disclosures as { seq: number; route: string; recipient: string }[];
      const seen = new Set((await list()).map((e) => e.seq));
      await elmo();
      const added = (await list()).filter((e) => !seen.has(e.seq) && e.route === 'api:persons/elmo');
      assert.ok(added.length >= 4, `person records and results logged (${added.length})`);
      assert.ok(added.every((e) => e.recipient.startsWith('admin:')));
    });
  });
}
