import assert from 'node:assert/strict';
import { adapters } from '../adapters/index.ts';
import { EMREG_SCHEMA } from '../src/emrex/client/emreg.ts';
import { FACTSHEET_SCHEMA } from '../src/ewp/factsheet-file.ts';
import { SchemaRegistry } from '../src/schemas/registry.ts';
import { SUBSCRIPTION_REQUEST_SCHEMA } from '../src/webhooks/schema.ts';
import type { Violation } from '../src/core/errors.ts';

/** The canonical entities; listed here so a missing schema file fails the suite. */
const ENTITIES = [
  'organisation',
  'person',
  'programme',
  'course',
  'academic-term',
  'offering',
  'study-right',
  'course-enrolment',
  'attainment',
  'award',
  'mobility-period',
  'learning-agreement',
  'inter-institutional-agreement',
  'consent',
  'internship',
  'course-evaluation',
  'credential',
] as const;

const RECORD_FIELDS = ['id', 'version', 'institution', 'sourceId', 'sourceUpdatedAt', 'identifiers'] as const;

type Json = Record<string, unknown>;

const registry = new SchemaRegistry();

function schemaOf(name: string): Json {
  const loaded = registry.get(name);
  assert.ok(loaded, `schema ${name} is not loaded`);
  return loaded.schema;
}

/** A deep copy of one of the schema's own examples. */
function example(entity: string, index = 0): Json {
  const examples = schemaOf(entity).examples;
  assert.ok(Array.isArray(examples) && examples[index] !== undefined, `${entity} has no example ${index}`);
  return structuredClone(examples[index]) as Json;
}

/** Sets (or, for undefined, removes) the value at a JSON pointer. */
function setAt(root: Json, pointer: string, value: unknown): void {
  const parts = pointer
    .split('/')
    .slice(1)
    .map((p) => p.replace(/~1/g, '/').replace(/~0/g, '~'));
  const last = parts.pop();
  assert.ok(last !== undefined, `bad pointer ${pointer}`);
  let node: unknown = root;
  for (const part of parts) {
    node = (node as Json)[part];
    assert.ok(node !== null && typeof node === 'object', `nothing at ${part} of ${pointer}`);
  }
  if (value !== undefined) (node as Json)[last] = value;
  else if (Array.isArray(node)) node.splice(Number(last), 1);
  else delete (node as Json)[last];
}

/** Example `index` of `entity` with the given pointers changed. */
function variant(entity: string, changes: Record<string, unknown>, index = 0): Json {
  const record = example(entity, index);
  for (const [pointer, value] of Object.entries(changes)) setAt(record, pointer, value);
  return record;
}

function assertFailsAt(entity: string, record: unknown, path: string, keyword?: string): Violation[] {
  const violations = registry.validate(entity, record);
  assert.ok(
    violations.some((v) => v.path === path && (keyword === undefined || v.keyword === keyword)),
    `expected a ${keyword ?? 'violation'} at "${path}" for ${entity}, got ${JSON.stringify(violations)}`,
  );
  return violations;
}

function assertValid(entity: string, record: unknown): void {
  assert.deepEqual(registry.validate(entity, record), [], `${entity} record should be valid`);
}

/** Calls fn for every `properties` map of a schema, skipping conditional and negated subschemas. */
function walkProperties(node: unknown, at: string, fn: (props: Json, at: string, owner: Json) => void): void {
  if (Array.isArray(node)) {
    node.forEach((item, i) => walkProperties(item, `${at}/${i}`, fn));
    return;
  }
  if (node === null || typeof node !== 'object') return;
  const obj = node as Json;
  if (obj.properties && typeof obj.properties === 'object') fn(obj.properties as Json, at, obj);
  for (const [key, value] of Object.entries(obj)) {
    if (['if', 'then', 'else', 'not', 'examples', 'anyOf'].includes(key)) continue;
    walkProperties(value, `${at}/${key}`, fn);
  }
}

describe('canonical JSON Schemas', () => {
  describe('registry and metadata', () => {
    it('has only valid JSON Schemas (2020-12 meta-schema; the hub does not check this at start)', () => {
      assert.deepEqual(registry.checkAll(), []);
      // The check can fail: a schema with a type that does not exist.
      const broken = new SchemaRegistry();
      (broken.get('person')!.schema as Json).type = 'thing';
      assert.deepEqual(
        broken.checkAll().map((p) => p.name),
        ['person'],
      );
    });

    it('has adapters whose options schemas are valid JSON Schemas (not checked at start either)', () => {
      const types = [...adapters.sources, ...adapters.sinks];
      assert.ok(types.length > 5);
      for (const t of types) assert.ok(registry.ajv.validateSchema(t.optionsSchema), `${t.type}: ${JSON.stringify(registry.ajv.errors)}`);
      // And the schemas the hub's modules compile themselves.
      for (const [name, schema] of Object.entries({ EMREG_SCHEMA, SUBSCRIPTION_REQUEST_SCHEMA, FACTSHEET_SCHEMA })) {
        assert.ok(registry.ajv.validateSchema(schema), `${name}: ${JSON.stringify(registry.ajv.errors)}`);
      }
    });

    it('has every canonical entity', () => {
      const entities = registry.entities();
      for (const name of ENTITIES) assert.ok(entities.includes(name), `entity ${name} missing from the registry`);
      assert.ok(registry.has('common'));
      assert.ok(!entities.includes('common'));
    });

    it('gives common definitions a stable $id', () => {
      const common = schemaOf('common');
      assert.equal(common.$id, 'https://schemas.studyhub.lv/common.schema.json');
      const defs = common.$defs as Json;
      walkProperties(common, '#', (props, at) => {
        for (const [key, value] of Object.entries(props)) {
          if (typeof value !== 'boolean') assert.ok(typeof (value as Json).description === 'string', `${at}/properties/${key} has no description`);
        }
      });
      for (const name of ['id', 'version', 'institution', 'sourceId', 'sourceUpdatedAt', 'identifier', 'identifiers', 'ref', 'credits', 'grade', 'localizedString', 'date', 'period']) {
        assert.ok(defs[name], `common $defs.${name} missing`);
      }
    });

    for (const name of registry.entities()) {
      describe(name, () => {
        const schema = schemaOf(name);

        it('has $schema, $id, title, description and at least two examples', () => {
          assert.equal(schema.$schema, 'https://json-schema.org/draft/2020-12/schema');
          assert.equal(schema.$id, `https://schemas.studyhub.lv/${name}.schema.json`);
          assert.equal(typeof schema.title, 'string');
          assert.ok(String(schema.description).length > 20, 'description too short');
          assert.ok(Array.isArray(schema.examples) && schema.examples.length >= 2, 'needs at least 2 examples');
        });

        it('accepts every one of its examples', () => {
          for (const [i, ex] of (schema.examples as unknown[]).entries()) {
            assert.deepEqual(registry.validate(name, ex), [], `example ${i} of ${name} is invalid`);
          }
        });

        it('is closed at the top level and carries the common record fields', () => {
          assert.equal(schema.additionalProperties, false);
          const props = schema.properties as Json;
          for (const field of RECORD_FIELDS) assert.ok(props[field], `property ${field} missing`);
          for (const field of ['institution', 'sourceId', 'identifiers']) {
            assert.ok((schema.required as string[]).includes(field), `${field} must be required`);
          }
          assert.ok(!(schema.required as string[]).includes('id') && !(schema.required as string[]).includes('version'));
        });

        it('describes every property', () => {
          walkProperties(schema, '#', (props, at) => {
            for (const [key, value] of Object.entries(props)) {
              if (typeof value === 'boolean') continue;
              assert.ok(typeof (value as Json).description === 'string', `${at}/properties/${key} has no description`);
            }
          });
        });

        it('rejects an unknown top-level property at its path', () => {
          assertFailsAt(name, { ...example(name), institutoin: 'lu.lv' }, '/institutoin', 'additionalProperties');
        });
      });
    }
  });

  describe('common record fields', () => {
    it('requires institution, sourceId and identifiers', () => {
      assertFailsAt('course', variant('course', { '/institution': undefined }), '/institution', 'required');
      assertFailsAt('course', variant('course', { '/sourceId': undefined }), '/sourceId', 'required');
      assertFailsAt('course', variant('course', { '/identifiers': undefined }), '/identifiers', 'required');
    });

    it('allows empty identifiers and leaves id and version to the hub', () => {
      assertValid('course', variant('course', { '/identifiers': [], '/id': undefined, '/version': undefined }));
    });

    it('checks the form of id, version, institution, sourceId and sourceUpdatedAt', () => {
      assertFailsAt('course', variant('course', { '/id': 'C-DatZ1234' }), '/id', 'format');
      assertFailsAt('course', variant('course', { '/version': 0 }), '/version', 'minimum');
      assertFailsAt('course', variant('course', { '/version': 1.5 }), '/version', 'type');
      assertFailsAt('course', variant('course', { '/institution': 'LU' }), '/institution', 'pattern');
      assertFailsAt('course', variant('course', { '/sourceId': '' }), '/sourceId', 'minLength');
      assertFailsAt('course', variant('course', { '/sourceId': '   ' }), '/sourceId', 'pattern');
      assertFailsAt('course', variant('course', { '/sourceUpdatedAt': '2024-06-30' }), '/sourceUpdatedAt', 'format');
    });

    it('checks identifiers: shape, scheme and duplicates', () => {
      assertFailsAt('course', variant('course', { '/identifiers/0/value': undefined }), '/identifiers/0/value', 'required');
      assertFailsAt('course', variant('course', { '/identifiers/0/scheme': 'Local Code' }), '/identifiers/0/scheme', 'pattern');
      assertFailsAt('course', variant('course', { '/identifiers/0/code': 'x' }), '/identifiers/0/code', 'additionalProperties');
      const twice = variant('course', {});
      setAt(twice, '/identifiers/1', { scheme: 'local-code', value: 'DatZ1234' });
      assertFailsAt('course', twice, '/identifiers', 'uniqueItems');
    });

    it('accepts refs by id, sourceId or identifiers, and rejects an empty one', () => {
      assertValid('course', variant('course', { '/programme': { id: '7c2e9a14-3d5b-4f81-a6c0-8b1d2e3f4a55' } }));
      assertValid('course', variant('course', { '/programme': { identifiers: [{ scheme: 'lik', value: '43481001' }], institution: 'lu.lv' } }));
      assertFailsAt('course', variant('course', { '/programme': {} }), '/programme', 'anyOf');
      assertFailsAt('course', variant('course', { '/programme': { institution: 'lu.lv' } }), '/programme', 'anyOf');
      assertFailsAt('course', variant('course', { '/programme': { identifiers: [] } }), '/programme/identifiers', 'minItems');
      assertFailsAt('course', variant('course', { '/programme': { code: 'DatZ-BA' } }), '/programme/code', 'additionalProperties');
      assertFailsAt('course', variant('course', { '/programme': { id: 'PRG-43481' } }), '/programme/id', 'format');
    });

    it('checks localized strings', () => {
      assertFailsAt('course', variant('course', { '/name': [] }), '/name', 'minItems');
      assertFailsAt('course', variant('course', { '/name/0/lang': 'Latvian' }), '/name/0/lang', 'pattern');
      assertFailsAt('course', variant('course', { '/name/0/text': '' }), '/name/0/text', 'minLength');
      assertFailsAt('course', variant('course', { '/name': 'Programmēšanas pamati' }), '/name', 'type');
    });
  });

  describe('organisation', () => {
    it('requires the country of an institution but not of a unit', () => {
      assertFailsAt('organisation', variant('organisation', { '/country': undefined }), '/country', 'required');
      assertValid('organisation', variant('organisation', { '/country': undefined }, 1));
    });

    it('checks scheme-specific identifier values', () => {
      assertFailsAt('organisation', variant('organisation', { '/identifiers/0/value': 'LU.LV' }), '/identifiers/0/value', 'pattern');
      assertFailsAt('organisation', variant('organisation', { '/identifiers/2/value': '99986513' }), '/identifiers/2/value', 'pattern');
      assertFailsAt('organisation', variant('organisation', { '/identifiers/3/value': 'LV90000076669' }), '/identifiers/3/value', 'pattern');
    });

    it('rejects a misspelt property and an unknown type', () => {
      assertFailsAt('organisation', variant('organisation', { '/nmae': [{ lang: 'lv', text: 'LU' }] }), '/nmae', 'additionalProperties');
      assertFailsAt('organisation', variant('organisation', { '/type': 'university' }), '/type', 'enum');
    });
  });

  describe('person', () => {
    it('rejects a personal code with a wrong check digit', () => {
      assertFailsAt('person', variant('person', { '/identifiers/0/value': '170599-11234' }), '/identifiers/0/value', 'format');
    });

    it('rejects a personal code with an impossible birth date, accepts the new form', () => {
      assertFailsAt('person', variant('person', { '/identifiers/0/value': '310299-11230' }), '/identifiers/0/value', 'format');
      assertValid('person', variant('person', { '/identifiers/0/value': '32123456789' }));
    });

    it('does not apply the personal-code format to other schemes', () => {
      assertValid('person', variant('person', { '/identifiers/1/value': '170599-11234' }));
    });

    it('requires the country of a foreign id', () => {
      assertFailsAt('person', variant('person', { '/identifiers/0/country': undefined }, 2), '/identifiers/0/country', 'required');
      assertFailsAt('person', variant('person', { '/identifiers/0/country': 'Lithuania' }, 2), '/identifiers/0/country', 'pattern');
    });

    it('checks the ESI form', () => {
      assertFailsAt('person', variant('person', { '/identifiers/2/value': 'ab19001@lu.lv' }), '/identifiers/2/value', 'pattern');
    });

    it('checks names, birth date, gender and e-mail', () => {
      assertFailsAt('person', variant('person', { '/familyName': undefined }), '/familyName', 'required');
      assertFailsAt('person', variant('person', { '/birthDate': '17.05.1999' }), '/birthDate', 'format');
      assertFailsAt('person', variant('person', { '/gender': 'M' }), '/gender', 'enum');
      assertFailsAt('person', variant('person', { '/email': 'ab19001 at lu.lv' }), '/email', 'format');
    });
  });

  describe('programme', () => {
    it('checks the LIK code, ISCED-F field and EQF level', () => {
      assertFailsAt('programme', variant('programme', { '/likCode': '4348100' }), '/likCode', 'pattern');
      assertFailsAt('programme', variant('programme', { '/likCode': '4348100A' }), '/likCode', 'pattern');
      assertFailsAt('programme', variant('programme', { '/iscedF': '613' }), '/iscedF', 'pattern');
      assertFailsAt('programme', variant('programme', { '/eqfLevel': 9 }), '/eqfLevel', 'maximum');
    });

    it('needs credits with a scheme and a known study form', () => {
      assertFailsAt('programme', variant('programme', { '/credits': { value: 180 } }), '/credits/scheme', 'required');
      assertFailsAt('programme', variant('programme', { '/credits': 180 }), '/credits', 'type');
      assertFailsAt('programme', variant('programme', { '/studyForm': 'evening' }), '/studyForm', 'enum');
    });
  });

  describe('course', () => {
    it('rejects credits without a scheme, with an unknown scheme or negative', () => {
      assertFailsAt('course', variant('course', { '/credits/scheme': undefined }), '/credits/scheme', 'required');
      assertFailsAt('course', variant('course', { '/credits/scheme': 'KP' }), '/credits/scheme', 'enum');
      assertFailsAt('course', variant('course', { '/credits/value': -1 }), '/credits/value', 'minimum');
    });

    it('accepts legacy Latvian credit points', () => {
      assertValid('course', variant('course', { '/credits': { value: 4, scheme: 'LV_KP_LEGACY' } }));
    });
  });

  describe('academic-term', () => {
    it('requires ISO dates for start and end', () => {
      assertFailsAt('academic-term', variant('academic-term', { '/start': '02.09.2024' }), '/start', 'format');
      assertFailsAt('academic-term', variant('academic-term', { '/end': undefined }), '/end', 'required');
      assertFailsAt('academic-term', variant('academic-term', { '/academicYear': '2024-2025' }), '/academicYear', 'pattern');
    });
  });

  describe('offering', () => {
    it('requires course and term refs and a non-negative capacity', () => {
      assertFailsAt('offering', variant('offering', { '/term': undefined }), '/term', 'required');
      assertFailsAt('offering', variant('offering', { '/course': 'DatZ1234' }), '/course', 'type');
      assertFailsAt('offering', variant('offering', { '/capacity': -1 }), '/capacity', 'minimum');
    });
  });

  describe('study-right', () => {
    it('rejects empty status periods', () => {
      assertFailsAt('study-right', variant('study-right', { '/statusPeriods': [] }), '/statusPeriods', 'minItems');
    });

    it('rejects an unknown status and a period without start', () => {
      assertFailsAt('study-right', variant('study-right', { '/statusPeriods/0/status': 'on-leave' }), '/statusPeriods/0/status', 'enum');
      assertFailsAt('study-right', variant('study-right', { '/statusPeriods/1/start': undefined }), '/statusPeriods/1/start', 'required');
    });

    it('requires the exmatriculation once the right has ended', () => {
      assertFailsAt('study-right', variant('study-right', { '/exmatriculation': undefined }), '/exmatriculation', 'required');
      assertFailsAt('study-right', variant('study-right', { '/exmatriculation/orderNumber': undefined }), '/exmatriculation/orderNumber', 'required');
      assertFailsAt('study-right', variant('study-right', { '/exmatriculation/reason': 'finished' }), '/exmatriculation/reason', 'enum');
    });

    it('checks matriculation and funding', () => {
      assertFailsAt('study-right', variant('study-right', { '/matriculation/orderNumber': undefined }), '/matriculation/orderNumber', 'required');
      assertFailsAt('study-right', variant('study-right', { '/funding': 'budget' }), '/funding', 'enum');
    });
  });

  describe('course-enrolment', () => {
    it('checks status, enrolment time and programme part', () => {
      assertFailsAt('course-enrolment', variant('course-enrolment', { '/status': 'dropped' }), '/status', 'enum');
      assertFailsAt('course-enrolment', variant('course-enrolment', { '/enrolledAt': '2024-08-20' }), '/enrolledAt', 'format');
      assertFailsAt('course-enrolment', variant('course-enrolment', { '/offering': undefined }), '/offering', 'required');
      assertFailsAt('course-enrolment', variant('course-enrolment', { '/programmePart': 'D' }), '/programmePart', 'enum');
    });
  });

  describe('attainment', () => {
    it('rejects an LV_10 grade outside 1..10', () => {
      assertFailsAt('attainment', variant('attainment', { '/grade/value': '11' }), '/grade/value', 'enum');
      assertFailsAt('attainment', variant('attainment', { '/grade/value': '0' }), '/grade/value', 'enum');
    });

    it('accepts only passed/failed for PASS_FAIL and A..F for ECTS_AF', () => {
      assertFailsAt('attainment', variant('attainment', { '/grade/value': 'ieskaitīts' }, 1), '/grade/value', 'enum');
      assertFailsAt('attainment', variant('attainment', { '/grade/value': 'G' }, 2), '/grade/value', 'enum');
      assertValid('attainment', variant('attainment', { '/grade': { value: 'failed', scheme: 'PASS_FAIL', label: 'neieskaitīts' } }));
    });

    it('needs a grade scheme and accepts other upper-case schemes', () => {
      assertFailsAt('attainment', variant('attainment', { '/grade/scheme': undefined }), '/grade/scheme', 'required');
      assertFailsAt('attainment', variant('attainment', { '/grade/scheme': 'lv10' }), '/grade/scheme', 'pattern');
      assertFailsAt('attainment', variant('attainment', { '/grade': 9 }), '/grade', 'type');
      assertValid('attainment', variant('attainment', { '/grade': { value: '4.5', scheme: 'DE_5' } }));
    });

    it('requires the origin of a recognised result', () => {
      assertFailsAt('attainment', variant('attainment', { '/recognised': undefined }, 1), '/recognised', 'required');
      assertFailsAt('attainment', variant('attainment', { '/recognised/fromInstitution': 'Vilnius University' }, 2), '/recognised/fromInstitution', 'pattern');
      assertFailsAt('attainment', variant('attainment', { '/type': 'credit' }), '/type', 'enum');
    });
  });

  describe('award', () => {
    it('requires the diploma number and checks LIK code, EQF level and averages', () => {
      assertFailsAt('award', variant('award', { '/diplomaNumber': undefined }), '/diplomaNumber', 'required');
      assertFailsAt('award', variant('award', { '/likCode': '43481' }), '/likCode', 'minLength');
      assertFailsAt('award', variant('award', { '/eqfLevel': 0 }), '/eqfLevel', 'minimum');
      assertFailsAt('award', variant('award', { '/gradesSummary/weightedAverage': 11 }), '/gradesSummary/weightedAverage', 'maximum');
      assertFailsAt('award', variant('award', { '/gradesSummary/finalThesisGrade/value': '11' }), '/gradesSummary/finalThesisGrade/value', 'enum');
    });
  });

  describe('mobility-period', () => {
    it('checks institutions, academic year, status and subject area', () => {
      assertFailsAt('mobility-period', variant('mobility-period', { '/receivingInstitution': 'Vilniaus universitetas' }), '/receivingInstitution', 'pattern');
      assertFailsAt('mobility-period', variant('mobility-period', { '/receivingAcademicYear': '2024-2025' }), '/receivingAcademicYear', 'pattern');
      assertFailsAt('mobility-period', variant('mobility-period', { '/status': 'pending' }), '/status', 'enum');
      assertFailsAt('mobility-period', variant('mobility-period', { '/subjectArea': '061' }), '/subjectArea', 'pattern');
      assertFailsAt('mobility-period', variant('mobility-period', { '/omobilityId': 'LU-OM-2025-ā' }), '/omobilityId', 'pattern');
    });
  });

  describe('learning-agreement', () => {
    it('checks component type, status and credits', () => {
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/components/0/type': 'elective' }), '/components/0/type', 'enum');
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/components/0/status': 'added' }, 1), '/components/0/status', 'enum');
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/components/0/credits': 5 }), '/components/0/credits', 'type');
    });

    it('requires all three signatures on an approved agreement', () => {
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/signatures/receiving': undefined }), '/signatures/receiving', 'required');
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/signatures': undefined }), '/signatures', 'required');
      assertFailsAt('learning-agreement', variant('learning-agreement', { '/signatures/student/timestamp': undefined }), '/signatures/student/timestamp', 'required');
    });
  });

  describe('inter-institutional-agreement', () => {
    it('needs at least two partners', () => {
      assertFailsAt('inter-institutional-agreement', variant('inter-institutional-agreement', { '/partners/1': undefined }), '/partners', 'minItems');
    });

    it('checks cooperation conditions and approvals', () => {
      const iia = 'inter-institutional-agreement';
      assertFailsAt(iia, variant(iia, { '/cooperationConditions/0/type': 'staff-visit' }), '/cooperationConditions/0/type', 'enum');
      assertFailsAt(iia, variant(iia, { '/cooperationConditions/0/academicYears/first': '2021' }), '/cooperationConditions/0/academicYears/first', 'pattern');
      assertFailsAt(iia, variant(iia, { '/cooperationConditions/0/eqfLevels/0': 9 }), '/cooperationConditions/0/eqfLevels/0', 'maximum');
      assertFailsAt(iia, variant(iia, { '/approvals/0/iiaHash': 'not-a-hash' }), '/approvals/0/iiaHash', 'pattern');
    });
  });

  describe('consent', () => {
    it('requires withdrawnAt for a withdrawn consent and refuses it for a given one', () => {
      assertFailsAt('consent', variant('consent', { '/withdrawnAt': undefined }, 1), '/withdrawnAt', 'required');
      assertFailsAt('consent', variant('consent', { '/withdrawnAt': '2025-01-09T17:45:00+02:00' }), '/withdrawnAt');
    });

    it('checks times and status', () => {
      assertFailsAt('consent', variant('consent', { '/grantedAt': '2024-03-01' }), '/grantedAt', 'format');
      assertFailsAt('consent', variant('consent', { '/status': 'revoked' }), '/status', 'enum');
    });
  });

  describe('internship', () => {
    it('checks the employer', () => {
      assertFailsAt('internship', variant('internship', { '/employer/country': undefined }), '/employer/country', 'required');
      assertFailsAt('internship', variant('internship', { '/employer/regNumber': '4010312345' }), '/employer/regNumber', 'pattern');
      assertValid('internship', variant('internship', { '/employer/regNumber': '556123-4567' }, 1));
    });

    it('checks supervisor, credits and result', () => {
      assertFailsAt('internship', variant('internship', { '/supervisor/email': 'kalnins' }), '/supervisor/email', 'format');
      assertFailsAt('internship', variant('internship', { '/credits/scheme': undefined }), '/credits/scheme', 'required');
      assertFailsAt('internship', variant('internship', { '/result/value': '0' }), '/result/value', 'enum');
    });
  });

  describe('course-evaluation', () => {
    it('rejects a personal field anywhere', () => {
      const ce = 'course-evaluation';
      assertFailsAt(ce, variant(ce, { '/studentName': 'Ānis Bērziņš' }), '/studentName', 'additionalProperties');
      assertFailsAt(ce, variant(ce, { '/questions/0/respondent': 'P-100231' }), '/questions/0/respondent', 'additionalProperties');
      assertFailsAt(ce, variant(ce, { '/questions/0/distribution/0/personalCode': '170599-11230' }), '/questions/0/distribution/0/personalCode', 'additionalProperties');
      assertFailsAt(ce, variant(ce, { '/questions/1/comments': ['Ļoti labs kurss'] }), '/questions/1/comments', 'additionalProperties');
    });

    it('refuses person identifiers', () => {
      const ce = 'course-evaluation';
      assertFailsAt(ce, variant(ce, { '/identifiers/0': { scheme: 'lv-personas-kods', value: '170599-11230' } }), '/identifiers/0/scheme', 'not');
      assertFailsAt(ce, variant(ce, { '/identifiers/0': { scheme: 'student-number', value: 'ab19001' } }), '/identifiers/0/scheme', 'not');
    });

    it('is closed in every nested object', () => {
      walkProperties(schemaOf('course-evaluation'), '#', (_props, at, owner) => {
        // An object that extends a $ref'd definition is closed by that definition.
        if (owner.type === 'object' && owner.$ref === undefined) assert.equal(owner.additionalProperties, false, `${at} is not closed`);
      });
    });

    it('checks counts and questions', () => {
      const ce = 'course-evaluation';
      assertFailsAt(ce, variant(ce, { '/responseCount': -1 }), '/responseCount', 'minimum');
      assertFailsAt(ce, variant(ce, { '/questions': [] }), '/questions', 'minItems');
      assertFailsAt(ce, variant(ce, { '/questions/0/mean': undefined }), '/questions/0/mean', 'required');
    });
  });
});
