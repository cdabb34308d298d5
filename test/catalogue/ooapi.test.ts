import assert from 'node:assert/strict';
import request from 'supertest';
import { backends, baseConfig, makeHub, type TestHub } from '../helpers/hub.ts';
import { OoapiValidator, requireOoapi } from './ooapi-spec.ts';
import { seedCatalogue } from './seed.ts';
import { lt } from '../../src/demo/catalogue-seed.ts';

/** A course whose text holds HTML and a script: served as text, never markup. */
const SCRIPTED = {
  sourceId: 'XSS1',
  identifiers: [{ scheme: 'local-code', value: 'XSS1' }],
  code: 'XSS1',
  name: lt('Drošība <b>tīmeklī</b>', 'Web <b>security</b>'),
  credits: { value: 2, scheme: 'ECTS' },
  description: lt('<script>alert(1)</script> Skriptu uzbrukumi', '<script>alert(1)</script> Script attacks'),
  validFrom: '2024-09-01',
};

for (const backend of backends()) {
  describe(`OOAPI 5 over the catalogue (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let spec: OoapiValidator;
    const seen: string[] = [];

    before(async function () {
      requireOoapi(this);
      spec = await OoapiValidator.load();
      t = await makeHub({ backend, config: baseConfig({ catalogue: { requestsPerMinute: 100_000 } }) });
      await seedCatalogue(t.app, [SCRIPTED]);
      await t.hub.catalogue.catchUp();
    });
    after(async () => t?.stop());

    /** GET, anonymous; every answer is checked against the official document. */
    async function get(path: string, status = 200, lang?: string) {
      const req = request(t.app).get(`/ooapi/v5${path}`);
      if (lang) req.set('Accept-Language', lang);
      const res = await req;
      assert.equal(res.status, status, `${path}: ${res.status} ${JSON.stringify(res.body).slice(0, 400)}`);
      const errors = spec.check(path.split('?')[0]!, res.status, String(res.headers['content-type']), res.body);
      assert.deepEqual(errors, [], `${path} does not validate against OOAPI 5`);
      seen.push(path.split('?')[0]!);
      return res;
    }
    const courseId = async (code: string) => ((await get(`/courses?primaryCode=${code}`)).body.items[0] as { courseId: string }).courseId;

    it('serves service metadata at the root and the institutions as organizations', async () => {
      const root = await get('/');
      assert.ok(root.body.contactEmail);
      const orgs = await get('/organizations');
      assert.deepEqual(
        orgs.body.items.map((o: { primaryCode: { code: string } }) => o.primaryCode.code),
        ['lu.lv', 'rtu.lv'],
      );
      const rtu = orgs.body.items[1].organizationId as string;
      await get(`/organizations/${rtu}`);
      const progs = await get(`/organizations/${rtu}/programs`);
      assert.equal(progs.body.items.length, 1);
      const courses = await get(`/organizations/${rtu}/courses?pageSize=50`);
      assert.equal(courses.body.items.length, 7);
    });

    it('lists, pages and sorts courses; q searches without diacritics', async () => {
      const p1 = await get('/courses?pageSize=10&sort=name');
      assert.equal(p1.body.items.length, 7);
      assert.equal(p1.body.hasNextPage, false);
      const hits = await get('/courses?q=datortikli');
      assert.deepEqual(
        hits.body.items.map((c: { primaryCode: { code: string } }) => c.primaryCode.code),
        ['DIP310'],
      );
      const en = await get('/courses?teachingLanguage=eng&sort=-name', 200, 'en');
      assert.equal(en.headers['content-language'], 'en');
      assert.equal(en.body.items[0].name[0].language, 'en', 'Accept-Language puts English first');
      const filtered = await get('/courses?modeOfDelivery=online&microCredential=true');
      assert.deepEqual(
        filtered.body.items.map((c: { primaryCode: { code: string } }) => c.primaryCode.code),
        ['DIP330'],
      );
    });

    it('serves a course by id with expand, its offerings, and links it to its Europass learning opportunity', async () => {
      const id = await courseId('DIP205');
      const c = await get(`/courses/${id}?expand=organization,programs`);
      assert.equal(c.body.studyLoad.value, 6);
      assert.equal(c.body.organization.primaryCode.code, 'rtu.lv');
      assert.equal(c.body.programs[0].primaryCode.code, 'RDB0');
      assert.match(c.body.ext.europass, new RegExp(`/catalogue/elm/courses/${id}$`));
      const offs = await get(`/courses/${id}/offerings`);
      assert.equal(offs.body.items.length, 1);
      const off = await get(`/offerings/${offs.body.items[0].offeringId}?expand=course,academicSession`);
      assert.equal(off.body.startDate, '2027-02-02');
      assert.equal(off.body.course.courseId, id);
    });

    it('serves programmes with their courses and terms with their offerings', async () => {
      const progs = await get('/programs');
      const prog = progs.body.items[0];
      assert.equal(prog.duration, 'P3Y');
      await get(`/programs/${prog.programId}?expand=organization`);
      const courses = await get(`/programs/${prog.programId}/courses?pageSize=20`);
      assert.equal(courses.body.items.length, 5);
      const sessions = await get('/academic-sessions');
      assert.equal(sessions.body.items.length, 2);
      await get(`/academic-sessions/${sessions.body.items[0].academicSessionId}`);
      const offs = await get(`/academic-sessions/${sessions.body.items[0].academicSessionId}/offerings`);
      assert.equal(offs.body.items.length, 3);
    });

    it('is public, cached and conditional: ETag, Cache-Control, 304', async () => {
      // One server, so that the host in the links (and with it the ETag) stays the same.
      const server = t.app.listen(0, '127.0.0.1');
      try {
        const res = await request(server).get('/ooapi/v5/courses').expect(200);
        assert.match(String(res.headers['cache-control']), /public, max-age=\d+/);
        assert.ok(res.headers.etag);
        await request(server).get('/ooapi/v5/courses').set('If-None-Match', String(res.headers.etag)).expect(304);
      } finally {
        server.close();
      }
    });

    it('answers bad input in the OOAPI error shape, naming the parameter', async () => {
      const unknown = await get('/courses/0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b', 404);
      assert.equal(unknown.body.status, '404');
      await get('/courses/not-a-uuid', 404);
      for (const [query, parameter] of [
        ['pageSize=7', 'pageSize'],
        ['sort=credits', 'sort'],
        ['level=kindergarten', 'level'],
        ['colour=blue', 'colour'],
        [`q=${'x'.repeat(10_240)}`, 'q'],
        ['q=a%00b', 'q'],
      ] as const) {
        const res = await get(`/courses?${query}`, 400);
        assert.equal(res.body.parameter, parameter, query.slice(0, 40));
      }
      await request(t.app).post('/ooapi/v5/courses').send({}).expect(405);
    });

    it('keeps HTML in texts as text (JSON strings, never markup)', async () => {
      const id = await courseId('XSS1');
      const c = await get(`/courses/${id}`);
      assert.equal(c.body.description[0].value, '<script>alert(1)</script> Skriptu uzbrukumi');
      assert.match(String(c.headers['content-type']), /^application\/json/);
    });

    it('limits each address: 429 with Retry-After past the rate', async () => {
      const small = await makeHub({ backend: 'embedded', config: baseConfig({ catalogue: { requestsPerMinute: 3 } }) });
      try {
        for (let i = 0; i < 3; i++) await request(small.app).get('/ooapi/v5/courses').expect(200);
        const res = await request(small.app).get('/ooapi/v5/courses').expect(429);
        assert.ok(Number(res.headers['retry-after']) >= 1);
        assert.deepEqual(spec.check('/courses', 429, String(res.headers['content-type']), res.body), []);
      } finally {
        await small.stop();
      }
    });

    after(() => {
      if (backend === 'embedded') console.log(`      validated ${seen.length} responses of ${new Set(seen.map((p) => spec.template(p))).size} OOAPI operations against the official document`);
    });
  });
}
