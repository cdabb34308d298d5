import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';
import { seedCatalogue } from './seed.ts';
import { lt } from '../../src/demo/catalogue-seed.ts';
import { STANDARDS_DIR } from './ooapi-spec.ts';
import { need } from '../helpers/ci.ts';
import { existsSync } from 'node:fs';

const SCRIPTED = {
  sourceId: 'XSS1',
  identifiers: [{ scheme: 'local-code', value: 'XSS1' }],
  code: 'XSS1',
  name: lt('Drošība <img src=x onerror=alert(1)>', 'Web <b>security</b>'),
  credits: { value: 2, scheme: 'ECTS' },
  description: lt('<script>alert(1)</script> Skriptu uzbrukumi', '<script>alert(1)</script> Script attacks'),
  validFrom: '2024-09-01',
};

describe('catalogue pages (/catalogue) and Europass learning opportunities', function () {
  this.timeout(60_000);
  let t: TestHub;
  const ids = new Map<string, string>();

  before(async () => {
    t = await makeHub({ config: baseConfig({ catalogue: { requestsPerMinute: 100_000 } }) });
    await seedCatalogue(t.app, [SCRIPTED]);
    await t.hub.catalogue.catchUp();
    for (const kind of ['course', 'programme'] as const) for (const i of (await t.hub.catalogue.store.search({ kind, limit: 100, offset: 0 })).items) ids.set(i.code ?? i.sourceId, i.id);
  });
  after(async () => t?.stop());

  it('searches without an account and without JavaScript: a GET form, results rendered on the server', async () => {
    const res = await request(t.app).get('/catalogue?q=datortikli').expect(200);
    assert.match(String(res.headers['content-type']), /^text\/html/);
    assert.match(res.text, /<html lang="lv">/);
    assert.match(res.text, /<form method="get" action="\/catalogue" role="search">/);
    assert.match(res.text, /Datortīkli/);
    assert.match(res.text, /Atrasti: 1/);
    assert.doesNotMatch(res.text, /<script/i, 'no script on the page');
    assert.match(String(res.headers['content-security-policy']), /default-src 'none'/);
    assert.match(String(res.headers['cache-control']), /public/);
  });

  it('speaks English on ?lang=en and by Accept-Language, and offers the switch', async () => {
    const en = await request(t.app).get('/catalogue?q=networks&lang=en').expect(200);
    assert.match(en.text, /<html lang="en">/);
    assert.match(en.text, /Computer Networks/);
    assert.match(en.text, /href="\/catalogue\?q=networks&amp;lang=lv"[^>]*>Latviski/);
    const accept = await request(t.app).get('/catalogue').set('Accept-Language', 'en-GB,en;q=0.8').expect(200);
    assert.match(accept.text, /Study catalogue/);
  });

  it('filters with facet counts: institution, language, mode, term, flags', async () => {
    const res = await request(t.app).get('/catalogue?mode=online&micro=on&lang=en').expect(200);
    assert.match(res.text, /Found: 1/);
    assert.match(res.text, /Cyber Security Essentials/);
    const all = await request(t.app).get('/catalogue?lang=en').expect(200);
    assert.match(all.text, /<option value="rtu.lv">Rīgas Tehniskā universitāte \(7\)<\/option>/);
    assert.match(all.text, /Spring semester 2026\/2027 \(Rīgas Tehniskā universitāte\) \(3\)/);
  });

  it('shows a course page and a programme page with their links', async () => {
    const course = await request(t.app)
      .get(`/catalogue/courses/${ids.get('DIP205')}?lang=en`)
      .expect(200);
    assert.match(course.text, /<h1>Software Engineering/);
    assert.match(course.text, /6 ECTS \(6 KP\)/);
    assert.match(course.text, /Computer Systems<\/a>/, 'the programme it belongs to');
    assert.match(course.text, /Spring semester 2026\/2027/, 'its offering');
    assert.match(course.text, new RegExp(`/ooapi/v5/courses/${ids.get('DIP205')}`));
    const prog = await request(t.app)
      .get(`/catalogue/programmes/${ids.get('43481002')}`)
      .expect(200);
    assert.match(prog.text, /<h1>Datorsistēmas/);
    assert.match(prog.text, /3500 EUR gadā/);
    assert.equal((prog.text.match(/href="\/catalogue\/courses\//g) ?? []).length, 5);
  });

  it('shows HTML and script in texts as text, never as markup', async () => {
    const page = await request(t.app)
      .get(`/catalogue/courses/${ids.get('XSS1')}`)
      .expect(200);
    assert.match(page.text, /&lt;script&gt;alert\(1\)&lt;\/script&gt; Skriptu uzbrukumi/);
    assert.match(page.text, /Drošība &lt;img src=x onerror=alert\(1\)&gt;/);
    assert.doesNotMatch(page.text, /<script>|<img src=x/);
    const list = await request(t.app).get('/catalogue?q=skriptu').expect(200);
    assert.doesNotMatch(list.text, /<script>|<img src=x/);
  });

  it('answers bad input and unknown ids plainly', async () => {
    await request(t.app).get('/catalogue/courses/not-an-id').expect(404);
    await request(t.app).get('/catalogue/courses/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b').expect(404);
    const long = await request(t.app)
      .get(`/catalogue?q=${'x'.repeat(10_240)}`)
      .expect(400);
    assert.match(long.text, /q is longer than 200 characters/);
    await request(t.app).get('/catalogue?q=a%01b').expect(400);
    await request(t.app).get('/catalogue?minCredits=lots').expect(400);
    await request(t.app).post('/catalogue').expect(405);
  });

  it('serves each course and programme as an ELM 3 learning opportunity whose terms are all in the official EDC context', async function () {
    const ctxFile = join(STANDARDS_DIR, 'elm/elm-v3/edc-ap-context.jsonld');
    need(this, [!existsSync(ctxFile) && `the official EDC context (${ctxFile}; set STANDARDS_DIR)`]);
    const terms = new Set(Object.keys((JSON.parse(readFileSync(ctxFile, 'utf8')) as { '@context': Record<string, unknown> })['@context']));
    for (const [path, code] of [
      ['courses', 'DIP101'],
      ['programmes', '43481002'],
    ] as const) {
      const res = await request(t.app)
        .get(`/catalogue/elm/${path}/${ids.get(code)}`)
        .expect(200);
      assert.match(String(res.headers['content-type']), /^application\/ld\+json/);
      const doc = JSON.parse(res.text) as Record<string, unknown>;
      assert.deepEqual(doc['@context'], ['http://data.europa.eu/snb/model/context/edc-ap', { id: '@id', type: '@type' }]);
      // id and type are aliased by the document's own context entry; every other term is the EDC context's.
      terms.add('id').add('type');
      assert.equal(doc.type, 'LearningOpportunity');
      const unknown: string[] = [];
      const walk = (v: unknown) => {
        if (Array.isArray(v)) v.forEach(walk);
        else if (v && typeof v === 'object')
          for (const [k, x] of Object.entries(v)) {
            const isLangMap = ['title', 'description', 'prefLabel', 'legalName', 'noteLiteral'].includes(k);
            if (!k.startsWith('@') && !terms.has(k)) unknown.push(k);
            if (typeof x === 'object' && x && !isLangMap) walk(x);
            const type = (x as { type?: string } | null)?.type;
            if (type && !terms.has(type)) unknown.push(`type ${type}`);
          }
      };
      walk(doc);
      assert.deepEqual([...new Set(unknown)], [], `${path}: terms not in the EDC context`);
      const spec = doc.learningAchievementSpecification as Record<string, unknown>;
      assert.equal(spec.type, path === 'programmes' ? 'Qualification' : 'LearningAchievementSpecification');
      assert.equal((spec.eqfLevel as { id: string }).id, 'http://data.europa.eu/snb/eqf/6');
      assert.equal((spec.thematicArea as { id: string }[])[0]!.id, 'http://data.europa.eu/snb/isced-f/0612');
    }
  });
});
