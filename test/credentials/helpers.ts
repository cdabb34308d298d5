import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { fullFormats } from 'ajv-formats/dist/formats.js';
import type { JsonObject } from '../../src/core/types.ts';
import type { IssuerInfo } from '../../src/credentials/build.ts';
import { need } from '../helpers/ci.ts';

/**
 * The ELM / EDC standards (official samples, the simplified EDC JSON Schemas) are read from ELM_SPECS_DIR,
 * default ../shared/standards/elm from the repository root; a test that needs them skips plainly when they
 * are not there (under CI it fails: test/helpers/ci.ts).
 */
const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
export const ELM_DIR = process.env.ELM_SPECS_DIR ? resolve(REPO, process.env.ELM_SPECS_DIR) : resolve(REPO, '../shared/standards/elm');

/** The path of a file under ELM_SPECS_DIR, or a skip (saying which) when it is missing. */
export function elmFile(ctx: Mocha.Context, rel: string): string {
  const p = join(ELM_DIR, rel);
  need(ctx, [!existsSync(p) && `${rel} of the ELM standards (set ELM_SPECS_DIR; looked in ${ELM_DIR})`]);
  return p;
}

const require = createRequire(import.meta.url);
const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;
let ajv: Ajv2020 | undefined;
const compiled = new Map<string, ValidateFunction>();

/**
 * ajv-formats' full `uri` check, plus the RFC 3986 form with an empty path (`hier-part = path-empty`),
 * which it refuses: the degree schema requires contactPoint.emailAddress.id to be exactly "mailto:".
 */
const fullUri = fullFormats.uri as (s: string) => boolean;
function uri(s: string): boolean {
  return fullUri(s) || /^[a-z][a-z0-9+.-]*:$/i.test(s);
}

/**
 * A validator for one of the simplified EDC schemas, with Ajv's 2020-12 class. The degree schema declares
 * draft-07: its meta-schema is added, and it uses no keyword whose meaning differs between the two drafts
 * (object `items`, `const`, `definitions` + `$ref`). The micro-credential schema uses `format: "string"`,
 * which no draft defines: it is accepted as any string.
 */
export function edcValidator(ctx: Mocha.Context, name: 'degree-certificate' | 'microcredential'): ValidateFunction {
  const file = elmFile(ctx, `edc-json-schema/${name}.schema.json`);
  if (!ajv) {
    ajv = new Ajv2020({ allErrors: true, strict: false });
    addFormats(ajv);
    ajv.addFormat('string', true);
    ajv.addFormat('uri', uri);
    ajv.addMetaSchema(require('ajv/dist/refs/json-schema-draft-07.json') as object);
  }
  const known = compiled.get(name);
  if (known) return known;
  const schema = JSON.parse(readFileSync(file, 'utf8')) as JsonObject;
  const v = ajv.compile({ ...schema, $id: `urn:test:${name}` });
  compiled.set(name, v);
  return v;
}

export function errorsOf(v: ValidateFunction): string[] {
  return (v.errors ?? []).map((e) => `${e.instancePath} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
}

/** Canonical records as the hub holds them (the schema examples, lu.lv). */
export const person: JsonObject = {
  id: '0e7a3c51-6b2d-4e8f-9c10-2a5b7d9e1f34',
  version: 2,
  institution: 'lu.lv',
  sourceId: 'P-100231',
  identifiers: [
    { scheme: 'lv-personas-kods', value: '170599-11230' },
    { scheme: 'student-number', value: 'ab19001', issuer: 'lu.lv' },
    { scheme: 'esi', value: 'urn:schac:personalUniqueCode:int:esi:lu.lv:ab19001' },
  ],
  givenNames: 'Ānis',
  familyName: 'Bērziņš',
  birthDate: '1999-05-17',
  gender: 'male',
  citizenship: 'LV',
  email: 'ab19001@edu.lu.lv',
};

export const award: JsonObject = {
  id: 'b2c3d4e5-f6a7-4b8c-9d0e-1f2a3b4c5d6e',
  version: 1,
  institution: 'lu.lv',
  sourceId: 'AW-2023-1201',
  identifiers: [{ scheme: 'diploma-number', value: 'B 012345' }],
  person: { sourceId: 'P-100231' },
  studyRight: { sourceId: 'SR-2019-4411' },
  programme: { sourceId: 'PRG-43481' },
  title: [
    { lang: 'lv', text: 'dabaszinātņu bakalaura grāds datorzinātnēs' },
    { lang: 'en', text: 'Bachelor of Natural Sciences in Computer Science' },
  ],
  diplomaNumber: 'B 012345',
  diplomaSupplementNumber: 'DP 012345',
  likCode: '43481001',
  eqfLevel: 6,
  awardedAt: '2023-06-21',
  withDistinction: true,
  gradesSummary: { weightedAverage: 8.74, totalCredits: { value: 180, scheme: 'ECTS' } },
};

export const programme: JsonObject = {
  id: '7c2e9a14-3d5b-4f81-a6c0-8b1d2e3f4a55',
  institution: 'lu.lv',
  sourceId: 'PRG-43481',
  identifiers: [{ scheme: 'lik', value: '43481001' }],
  name: [
    { lang: 'lv', text: 'Datorzinātnes' },
    { lang: 'en', text: 'Computer Science' },
  ],
  likCode: '43481001',
  iscedF: '0613',
  eqfLevel: 6,
  credits: { value: 180, scheme: 'ECTS' },
  studyForm: 'full-time',
  validFrom: '2022-10-11',
};

export const course: JsonObject = {
  institution: 'lu.lv',
  sourceId: 'C-DatZ1234',
  identifiers: [{ scheme: 'local-code', value: 'DatZ1234' }],
  code: 'DatZ1234',
  name: [
    { lang: 'lv', text: 'Datu analīze ar Python' },
    { lang: 'en', text: 'Data analysis with Python' },
  ],
  credits: { value: 6, scheme: 'ECTS' },
  language: 'lv',
  validFrom: '2024-09-01',
};

export const attainment: JsonObject = {
  id: 'a1b2c3d4-e5f6-4a7b-8c9d-0e1f2a3b4c5d',
  institution: 'lu.lv',
  sourceId: 'ATT-9912001',
  identifiers: [{ scheme: 'micro-credential', value: 'MK-DATZ-2025' }],
  person: { sourceId: 'P-100231' },
  course: { sourceId: 'C-DatZ1234' },
  grade: { value: '9', scheme: 'LV_10', label: 'teicami' },
  credits: { value: 6, scheme: 'ECTS' },
  date: '2025-01-20',
  type: 'exam',
  attempt: 1,
};

export const issuer: IssuerInfo = {
  heiId: 'lu.lv',
  name: [
    { lang: 'lv', text: 'Latvijas Universitāte' },
    { lang: 'en', text: 'University of Latvia' },
  ],
  country: 'LV',
  address: [{ lang: 'lv', text: 'Raiņa bulvāris 19, Rīga, LV-1586' }],
  homepage: 'https://www.lu.lv',
};
