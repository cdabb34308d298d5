import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MappingError } from '../src/core/errors.ts';
import { MappingEngine } from '../src/mapping/engine.ts';
import { transform } from '../src/mapping/transform.ts';
import { auth, backends, canonicalPerson, makeHub, schemas, type TestHub } from './helpers/hub.ts';

/** Mapping sets that fail each in their own way, with what the hub must say about each. */
const FAULTY: Record<string, { what: string; mapping: string; error: RegExp }> = {
  'no-compile': { what: 'a file that does not compile', mapping: '{ "givenNames": givenNames', error: /^mapping no-compile\/person does not compile: .*\(at character \d+\)/ },
  throws: {
    what: 'an expression that throws at run time',
    mapping: '$merge([$, { "age": $number("twenty") }])',
    error: /^mapping throws\/person rejected the record: Unable to cast value to a number: "twenty" \[D3030\]/,
  },
  scalar: { what: 'a result that is not an object', mapping: '"a string, not a record"', error: /^mapping scalar\/person did not produce an object \(got "a string, not a record"\)/ },
  nothing: { what: 'no result at all', mapping: 'noSuchField', error: /^mapping nothing\/person did not produce an object \(got nothing\)/ },
  several: { what: 'several records for one', mapping: '[$, $]', error: /^mapping several\/person produced 2 records; one record in gives one record out/ },
};

describe('mappings that fail: the error names the mapping and what went wrong', () => {
  let dir: string;
  let engine: MappingEngine;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-faulty-mappings-'));
    for (const [set, f] of Object.entries(FAULTY)) {
      mkdirSync(join(dir, set));
      writeFileSync(join(dir, set, 'person.jsonata'), f.mapping);
    }
    engine = new MappingEngine(dir);
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const [set, f] of Object.entries(FAULTY)) {
    it(`${f.what}: a MappingError (HUB_ERR_MAPPING, not retryable) that says so`, async () => {
      await assert.rejects(transform(engine, schemas, set, 'person', canonicalPerson(1), { institution: 'rtu.lv', source: `${set}-push` }), (e: unknown) => {
        assert.ok(e instanceof MappingError, String(e));
        assert.equal(e.code, 'HUB_ERR_MAPPING');
        assert.equal(e.retryable, false);
        assert.match(e.message, f.error);
        return true;
      });
    });
  }

  for (const backend of backends()) {
    describe(`through the HTTP push ingest (${backend})`, () => {
      let t: TestHub;
      before(async () => {
        t = await makeHub({
          backend,
          mappings: new MappingEngine(dir),
          config: {
            institutions: [{ id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' }],
            sources: Object.keys(FAULTY).map((set) => ({ id: `${set}-push`, institution: 'rtu.lv', mappingSet: set })),
            sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
            routes: [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive' }],
          },
        });
      });
      after(async () => {
        await t?.stop();
      });

      it('answers 422 with the mapping error per record, keeps the raw input as a rejected message, and commits nothing', async () => {
        for (const [set, f] of Object.entries(FAULTY)) {
          const sent = canonicalPerson(7, { givenNames: `Līga (${set})` });
          const res = await request(t.app).post(`/api/v1/ingest/${set}-push/person`).set(auth).send([sent]).expect(422);
          assert.match(String(res.headers['content-type']), /^application\/problem\+json/);
          assert.equal(res.body.accepted, 0, set);
          const [m] = res.body.messages as { messageId: string; status: string; recordId?: string; error: { code: string; detail: string } }[];
          assert.equal(m!.status, 'rejected', set);
          assert.equal(m!.error.code, 'HUB_ERR_MAPPING', set);
          assert.match(m!.error.detail, f.error, set);
          assert.equal(m!.recordId, undefined, set);
          const kept = await request(t.app).get(`/api/v1/messages/${m!.messageId}`).set(auth).expect(200);
          assert.equal(kept.body.status, 'rejected');
          assert.equal(kept.body.errorCode, 'HUB_ERR_MAPPING');
          assert.deepEqual(JSON.parse(kept.body.raw), sent);
        }
        const rows = await t.hub.store.sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM records');
        assert.equal(Number(rows[0]!.n), 0, 'no record committed');
      });
    });
  }
});
