import assert from 'node:assert/strict';
import { backends, makeHub, type TestHub } from '../helpers/hub.ts';
import { seedCatalogue } from './seed.ts';
import { lt } from '../../src/demo/catalogue-seed.ts';

/** A course of another institution's kind of data: Latvian diacritics in the title and the text. */
const SCIENCE = {
  sourceId: 'ZIN100',
  identifiers: [{ scheme: 'local-code', value: 'ZIN100' }],
  code: 'ZIN100',
  name: lt('Zinātnes vēsture', 'History of Science'),
  credits: { value: 2, scheme: 'LV_KP_LEGACY' },
  eqfLevel: 7,
  language: 'lv',
  iscedF: '0222',
  description: lt('Zinātne un sabiedrība: EKONOMIKA, tehnika un idejas.', 'Science and society: economics, technology and ideas.'),
  teachingLanguages: ['lv'],
  levelOfStudy: 'master',
  validFrom: '2020-09-01',
};

for (const backend of backends()) {
  describe(`catalogue read model (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;

    before(async () => {
      t = await makeHub({ backend });
      await seedCatalogue(t.app, [SCIENCE]);
      await t.hub.catalogue.catchUp();
    });
    after(async () => t?.stop());

    const search = (q: Parameters<TestHub['hub']['catalogue']['store']['search']>[0]) => t.hub.catalogue.store.search(q);
    const codes = async (q: Omit<Parameters<TestHub['hub']['catalogue']['store']['search']>[0], 'limit' | 'offset'>) => (await search({ limit: 100, offset: 0, ...q })).items.map((i) => i.code);

    it('holds every programme, course, offering and term committed', async () => {
      assert.equal(await t.hub.catalogue.store.count('course'), 7);
      assert.equal(await t.hub.catalogue.store.count('programme'), 1);
      assert.equal(await t.hub.catalogue.store.count('offering'), 6);
      assert.equal(await t.hub.catalogue.store.count('academic-term'), 2);
    });

    it('finds words without diacritics and in any case, in Latvian and English, by prefix', async () => {
      assert.deepEqual(await codes({ kind: 'course', q: 'zinatne' }), ['ZIN100']);
      assert.deepEqual(await codes({ kind: 'course', q: 'EKONOMIKA' }), ['ZIN100']);
      assert.deepEqual(await codes({ kind: 'course', q: 'datortīkli' }), ['DIP310']);
      assert.deepEqual(await codes({ kind: 'course', q: 'networks' }), ['DIP310']);
      assert.deepEqual(await codes({ kind: 'course', q: 'masinmac' }), ['DIP320']);
      assert.deepEqual(await codes({ kind: 'course', q: 'nothing-like-this' }), []);
    });

    it('ranks a title match above a match in the description', async () => {
      const hits = await codes({ kind: 'course', q: 'economics' });
      assert.equal(hits[0], 'EKO110', `title match first: ${hits.join(', ')}`);
      assert.ok(hits.includes('ZIN100'));
    });

    it('filters by institution, level, language, mode, flags, credits (in ECTS) and term', async () => {
      assert.deepEqual(await codes({ kind: 'course', eqfLevel: 7 }), ['ZIN100']);
      assert.deepEqual(await codes({ kind: 'course', levelOfStudy: 'master' }), ['ZIN100']);
      assert.deepEqual((await codes({ kind: 'course', language: 'en', sort: 'code' })).sort(), ['DIP205', 'DIP320', 'DIP330']);
      assert.deepEqual((await codes({ kind: 'course', mode: 'online', sort: 'code' })).sort(), ['DIP320', 'DIP330']);
      assert.deepEqual(await codes({ kind: 'course', microCredential: true }), ['DIP330']);
      assert.deepEqual(await codes({ kind: 'course', openToOtherInstitutions: false }), ['DIP310']);
      // 2 legacy KP are 3 ECTS.
      assert.deepEqual((await codes({ kind: 'course', minCredits: 3, maxCredits: 3, sort: 'code' })).sort(), ['DIP330', 'EKO110', 'ZIN100']);
      assert.deepEqual((await codes({ kind: 'course', term: '2026/2027-P', sort: 'code' })).sort(), ['DIP205', 'DIP320', 'EKO110']);
      assert.deepEqual(await codes({ kind: 'course', institutions: ['lu.lv'] }), []);
      assert.deepEqual(await codes({ kind: 'course', term: '2026/2027-P', institutions: ['lu.lv'] }), [], 'a term code names the terms of the institutions asked for');
      assert.deepEqual(await codes({ kind: 'course', iscedF: '0311' }), ['EKO110']);
    });

    it('links a programme to its courses and a course to its offerings', async () => {
      const [prog] = (await search({ kind: 'programme', limit: 1, offset: 0 })).items;
      assert.equal(prog?.code, '43481002');
      assert.deepEqual((await codes({ kind: 'course', parent: { kind: 'programme', id: prog!.id }, sort: 'code' })).sort(), ['DIP101', 'DIP205', 'DIP310', 'DIP320', 'DIP330']);
      const [course] = (await search({ kind: 'course', code: 'DIP205', limit: 1, offset: 0 })).items;
      assert.deepEqual(await codes({ kind: 'offering', parent: { kind: 'course', id: course!.id } }), ['DIP205-2026P']);
    });

    it('counts facets over the hits', async () => {
      const f = await t.hub.catalogue.store.facets({ kind: 'course' });
      assert.deepEqual(f.institution, [{ value: 'rtu.lv', count: 7 }]);
      assert.deepEqual(
        f.micro?.find((x) => x.value === 'true'),
        { value: 'true', count: 1 },
      );
      assert.equal(
        f.term?.reduce((n, x) => n + x.count, 0),
        6,
      );
      const online = await t.hub.catalogue.store.facets({ kind: 'course', mode: 'online' });
      assert.deepEqual(online.mode, [{ value: 'online', count: 2 }]);
    });

    it('sorts by name in either language and pages', async () => {
      const lv = (await search({ kind: 'course', sort: 'name', lang: 'lv', limit: 3, offset: 0 })).items.map((i) => i.titleLv);
      assert.deepEqual(lv, ['Datortīkli', 'Datoru arhitektūra', 'Inženierekonomika']);
      const en = await search({ kind: 'course', sort: '-name', lang: 'en', limit: 2, offset: 2 });
      assert.equal(en.total, 7);
      assert.deepEqual(
        en.items.map((i) => i.titleEn),
        ['Foundations of Machine Learning', 'Engineering Economics'],
      );
    });

    it('is current within moments of a commit: the follower applies it by itself, woken by the commit', async () => {
      const { default: request } = await import('supertest');
      const { auth, eventually } = await import('../helpers/hub.ts');
      const course = { ...SCIENCE, sourceId: 'AST200', code: 'AST200', identifiers: [{ scheme: 'local-code', value: 'AST200' }], name: lt('Astronomijas pamati', 'Foundations of Astronomy') };
      await request(t.app).post('/api/v1/ingest/rtu-push/course').set(auth).send(course).expect(202);
      // No catchUp here: the follower alone (woken on commit, polling every 2 s besides) must bring it in.
      await eventually(async () => (await codes({ kind: 'course', q: 'astronomijas' })).includes('AST200'), 5000, 'the new course in the catalogue');
      await request(t.app)
        .post('/api/v1/ingest/rtu-push/course')
        .set(auth)
        .send({ ...course, name: lt('Kosmoloģija', 'Cosmology') })
        .expect(202);
      await eventually(async () => (await codes({ kind: 'course', q: 'kosmologija' })).includes('AST200'), 5000, 'the corrected title in the catalogue');
      assert.deepEqual(await codes({ kind: 'course', q: 'astronomijas' }), []);
    });

    it('keeps up with corrections: a changed title is found by its new words only; a rebuild gives the same', async () => {
      const { default: request } = await import('supertest');
      const { auth } = await import('../helpers/hub.ts');
      const { rtuCourses } = await import('../../src/demo/catalogue-seed.ts');
      const c = { ...rtuCourses()[2]!, name: lt('Datortīkli un mākoņdatošana', 'Computer Networks and Cloud Computing') };
      await request(t.app).post('/api/v1/ingest/rtu-push/course').set(auth).send(c).expect(202);
      await t.hub.catalogue.catchUp();
      assert.deepEqual(await codes({ kind: 'course', q: 'makondatosana' }), ['DIP310']);
      const before = await codes({ kind: 'course', sort: 'code' });
      const applied = await t.hub.catalogue.rebuild();
      assert.ok(applied >= 17, `rebuild applied ${applied}`);
      assert.deepEqual(await codes({ kind: 'course', sort: 'code' }), before);
      assert.deepEqual(await codes({ kind: 'course', q: 'makondatosana' }), ['DIP310']);
    });

    it("takes LAIS's course, semester and offering, and a term code covers every institution's term of that code", async () => {
      const { default: request } = await import('supertest');
      const { auth } = await import('../helpers/hub.ts');
      const { laisCourse, laisOffering, laisTerm, laisTerms } = await import('../../adapters/lais/simulator-records.ts');
      const { COURSES } = await import('../../adapters/_sim/simulator-data.ts');
      const terms = laisTerms('2026-10-01');
      const course = COURSES.find((c) => c.code === 'DatZ1002')!;
      const send = (entity: string, body: object) => request(t.app).post(`/api/v1/ingest/lu-lais/${entity}`).set(auth).send(body).expect(202);
      await send('course', laisCourse(course, Date.now()));
      await send(
        'academic-term',
        terms.map((x) => laisTerm(x, Date.now())),
      );
      const offering = laisOffering(course, terms, Date.now());
      await send('offering', offering);
      await t.hub.catalogue.catchUp();
      const code = terms.find((x) => x.id === offering.semestris)!.code;
      assert.deepEqual(await codes({ kind: 'course', term: code, institutions: ['lu.lv'] }), ['DatZ1002']);
      const everywhere = await codes({ kind: 'course', term: code });
      assert.ok(everywhere.includes('DatZ1002') && everywhere.length > 1, `both institutions' terms named ${code}: ${everywhere.join(', ')}`);
    });
  });
}
