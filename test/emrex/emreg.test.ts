import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv } from 'ajv';
import addFormatsModule from 'ajv-formats';
import draft6 from 'ajv/dist/refs/json-schema-draft-06.json' with { type: 'json' };
import { isHubError } from '../../src/core/errors.ts';
import { contactPointsOfEmreg } from '../../src/emrex/client/emreg.ts';
import { createDevSealKey } from '../../src/emrex/keys.ts';
import { isCI } from '../helpers/ci.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const REPO = resolve(fileURLToPath(new URL('../..', import.meta.url)));
const STANDARDS = process.env.STANDARDS_DIR ?? resolve(REPO, '../shared/standards');
const SCHEMA = join(STANDARDS, 'elmo/emreg/emregjsonschema.json');

/** The official EMREG JSON Schema (draft-06, with its code generator's own keywords), compiled with ajv. */
function officialValidator(ctx: Mocha.Context): (doc: unknown) => boolean {
  if (!existsSync(SCHEMA)) {
    const why = `the official EMREG schema is not available (set STANDARDS_DIR; looked for ${SCHEMA})`;
    if (isCI()) throw new Error(`${why}; CI must check against it`);
    console.log(`      skipped: ${why}`);
    ctx.skip();
  }
  const ajv = new Ajv({ strict: false, allErrors: true });
  ajv.addMetaSchema(draft6);
  addFormats(ajv);
  const v = ajv.compile(JSON.parse(readFileSync(SCHEMA, 'utf8')) as object);
  return (doc) => v(doc) as boolean;
}

describe('EMREX: an EMREG list of contact points (the fallback to the EWP registry)', function () {
  let cert: string;
  before(async () => {
    cert = (await createDevSealKey(mkdtempSync(join(tmpdir(), 'emreg-')), 'CN=Ladok EMREX (test), C=SE')).certificatePem;
  });

  const good = () => ({
    emps: [
      { url: 'https://emrex.ladok.se/emp', acronym: 'Ladok', countryCode: 'SE', institutions: ['su.se', 'kth.se'], pubKey: cert },
      { url: 'http://insecure.example/emp', acronym: 'Plain', countryCode: 'XX', institutions: [], pubKey: cert },
      { url: 'https://broken.example/emp', acronym: 'Broken', countryCode: 'XX', institutions: [], pubKey: 'not a certificate' },
    ],
    countries: [{ countryCode: 'SE', countryName: 'Sweden', singleFetch: false }],
  });

  it('reads the contact points of a list valid against the official EMREG schema; an http URL or an unreadable certificate is left out', function () {
    const official = officialValidator(this);
    const doc = good();
    assert.equal(official(doc), true);
    const points = contactPointsOfEmreg(doc);
    assert.deepEqual(
      points.map((p) => [p.url, p.name, p.countryCode, p.institutions, p.listedIn]),
      [['https://emrex.ladok.se/emp', 'Ladok', 'SE', ['su.se', 'kth.se'], 'emreg']],
    );
    assert.match(points[0]!.certificates[0]!, /^-----BEGIN CERTIFICATE-----/);
  });

  it('refuses, as the official schema does, a list with a missing or an unknown property, with the path of each', function () {
    const official = officialValidator(this);
    const cases: [string, (d: ReturnType<typeof good>) => unknown][] = [
      ['/emps/0/pubKey', (d) => (delete (d.emps[0] as Partial<(typeof d.emps)[0]>).pubKey, d)],
      ['/emps/0/extra', (d) => ({ ...d, emps: [{ ...d.emps[0], extra: 1 }] })],
      ['/countries', (d) => ({ emps: d.emps })],
      ['/countries/0/singleFetch', (d) => ({ ...d, countries: [{ countryCode: 'SE', countryName: 'Sweden', singleFetch: 'no' }] })],
      ['/emps/0/url', (d) => ({ ...d, emps: [{ ...d.emps[0], url: 'not a uri' }] })],
    ];
    for (const [path, change] of cases) {
      const doc = change(good());
      assert.equal(official(doc), false, `the official schema accepts ${path}`);
      assert.throws(
        () => contactPointsOfEmreg(doc),
        (e: unknown) => isHubError(e) && e.code === 'HUB_ERR_MALFORMED_INPUT' && e.violations.some((v) => v.path === path),
        path,
      );
    }
  });
});
