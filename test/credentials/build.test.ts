import assert from 'node:assert/strict';
import { CredentialDataError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { buildDegreeCredential, buildMicroCredential, type DegreeInput, type MicroCredentialInput } from '../../src/credentials/build.ts';
import { attainment, award, course, edcValidator, errorsOf, issuer, person, programme } from './helpers.ts';

const degreeInput = (over: Partial<DegreeInput> = {}): DegreeInput => ({
  award,
  person,
  programme,
  attainments: [{ attainment: { ...attainment, identifiers: [] }, course }],
  issuer,
  credentialId: 'urn:credential:0b6c7d1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f',
  issuedAt: '2025-07-01T10:00:00.123Z',
  ...over,
});

const microInput = (over: Partial<MicroCredentialInput> = {}): MicroCredentialInput => ({
  attainment,
  course,
  person,
  issuer,
  credentialId: 'urn:credential:5d8e2f60-3b1a-4c2d-9e8f-7a6b5c4d3e2f',
  issuedAt: new Date('2025-02-01T08:00:00Z'),
  ...over,
});

function violationsOf(f: () => unknown): string[] {
  try {
    f();
  } catch (e) {
    assert.ok(e instanceof CredentialDataError, `a CredentialDataError, not ${String(e)}`);
    assert.equal(e.code, 'HUB_ERR_CREDENTIAL_DATA');
    assert.equal(e.status, 422);
    return e.violations.map((v) => v.path);
  }
  assert.fail('expected a CredentialDataError');
}

describe('credentials: building European Digital Credentials from canonical records', () => {
  describe('degree (award)', () => {
    it('is valid against the EDC degree-certificate schema, in Latvian and English', function () {
      const validate = edcValidator(this, 'degree-certificate');
      const c = buildDegreeCredential(degreeInput());
      assert.ok(validate(c), errorsOf(validate).join('\n'));
      assert.deepEqual(c['@context'], ['https://www.w3.org/2018/credentials/v1', 'http://data.europa.eu/snb/model/context/edc-ap']);
      assert.equal(c.issued, '2025-07-01T10:00:00Z');
      assert.equal(c.validFrom, '2023-06-21T00:00:00Z');
      const subject = c.credentialSubject as JsonObject;
      assert.deepEqual(subject.fullName, { lv: 'Ānis Bērziņš', en: 'Ānis Bērziņš' });
      assert.equal(subject.id, 'urn:schac:personalUniqueCode:int:esi:lu.lv:ab19001');
      assert.equal(subject.studentNumber, 'ab19001');
      assert.equal(subject.dateOfBirth, '1999-05-17T00:00:00Z');
      const claim = subject.hasClaim as JsonObject;
      assert.deepEqual(claim.title, { lv: 'dabaszinātņu bakalaura grāds datorzinātnēs', en: 'Bachelor of Natural Sciences in Computer Science' });
      assert.match(JSON.stringify(claim.description), /Diploma with distinction/);
      const spec = claim.specifiedBy as JsonObject;
      assert.equal((spec.eqfLevel as JsonObject).id, 'http://data.europa.eu/snb/eqf/6');
      assert.equal((claim.identifier as JsonObject[])[0]?.notation, 'B 012345');
      assert.equal(((claim.awardedBy as JsonObject).awardingBody as JsonObject).id, 'urn:schac:homeOrganization:lu.lv');
      assert.equal((c.issuer as JsonObject).id, 'urn:schac:homeOrganization:lu.lv');
      assert.deepEqual((c.issuer as JsonObject).legalName, { lv: 'Latvijas Universitāte', en: 'University of Latvia' });
      const parts = claim.hasPart as JsonObject[];
      assert.equal(parts.length, 1);
      assert.deepEqual(parts[0]?.title, { lv: 'Datu analīze ar Python', en: 'Data analysis with Python' });
      assert.deepEqual(((parts[0]?.provenBy as JsonObject).grade as JsonObject).noteLiteral, { lv: '9 (teicami)', en: '9 (teicami)' });
      assert.equal(((subject.degreeProgramme as JsonObject).programmeTitle as JsonObject).en, 'Computer Science');
      assert.equal(c.credentialStatus, undefined, 'no status entry asked for, none written');
    });

    it('never writes the personal code or e-mail into the credential', () => {
      const text = JSON.stringify(buildDegreeCredential(degreeInput()));
      assert.doesNotMatch(text, /170599-11230/);
      assert.doesNotMatch(text, /ab19001@edu\.lu\.lv/);
    });

    it('adds a BitstringStatusListEntry for revocation; the simplified degree schema admits no credentialStatus (additionalProperties false), and that is its only objection', function () {
      const validate = edcValidator(this, 'degree-certificate');
      const c = buildDegreeCredential(degreeInput({ statusListEntry: { url: 'https://hub.example.lv/status/lu.lv/1', index: 4711 } }));
      assert.deepEqual(c.credentialStatus, {
        id: 'https://hub.example.lv/status/lu.lv/1#4711',
        type: 'BitstringStatusListEntry',
        statusPurpose: 'revocation',
        statusListIndex: '4711',
        statusListCredential: 'https://hub.example.lv/status/lu.lv/1',
      });
      assert.equal(validate(c), false);
      assert.deepEqual(
        (validate.errors ?? []).map((e) => [e.instancePath, e.keyword, (e.params as { additionalProperty?: string }).additionalProperty]),
        [['', 'additionalProperties', 'credentialStatus']],
      );
    });

    it('names every missing field as a JSON pointer into the input', () => {
      const { title: _t, awardedAt: _a, diplomaNumber: _d, ...bareAward } = award;
      const paths = violationsOf(() =>
        buildDegreeCredential(
          degreeInput({
            award: { ...bareAward, eqfLevel: 11 },
            person: { ...person, givenNames: '', familyName: undefined },
            credentialId: 'not a uri',
            issuedAt: 'yesterday',
            statusListEntry: { url: 'ftp://x', index: -1 },
          }),
        ),
      );
      assert.deepEqual(paths.toSorted(), [
        '/award/awardedAt',
        '/award/diplomaNumber',
        '/award/eqfLevel',
        '/award/title',
        '/credentialId',
        '/issuedAt',
        '/person/familyName',
        '/person/givenNames',
        '/statusListEntry/index',
        '/statusListEntry/url',
      ]);
    });

    it('takes a title in another language only as missing, and a local date as no date', () => {
      const paths = violationsOf(() => buildDegreeCredential(degreeInput({ award: { ...award, title: [{ lang: 'de', text: 'Bachelor' }], awardedAt: '21.06.2023' } })));
      assert.deepEqual(paths, ['/award/title', '/award/awardedAt']);
    });

    it('names missing data of an attainment and of the issuer', () => {
      const paths = violationsOf(() => buildDegreeCredential(degreeInput({ attainments: [{ ...attainment, grade: undefined, date: undefined }], issuer: { ...issuer, name: [], country: 'XX' } })));
      assert.deepEqual(paths.toSorted(), ['/attainments/0/date', '/attainments/0/grade', '/issuer/country', '/issuer/name']);
    });
  });

  describe('micro-credential (attainment)', () => {
    it('is valid against the EDC microcredential schema, with grade, date and ECTS credits', function () {
      const validate = edcValidator(this, 'microcredential');
      const c = buildMicroCredential(microInput());
      assert.ok(validate(c), errorsOf(validate).join('\n'));
      const claim = (c.credentialSubject as JsonObject).hasClaim as JsonObject;
      assert.deepEqual(claim.title, { lv: 'Datu analīze ar Python', en: 'Data analysis with Python' });
      assert.deepEqual(((claim.provenBy as JsonObject).grade as JsonObject).noteLiteral, { lv: '9 (teicami)', en: '9 (teicami)' });
      assert.equal((claim.provenBy as JsonObject).dateIssued, '2025-01-20T00:00:00Z');
      assert.deepEqual(
        (claim.creditReceived as JsonObject[]).map((p) => [p.point, (p.framework as JsonObject).id]),
        [['6', 'http://data.europa.eu/snb/education-credit/6fcec5c5af']],
      );
      assert.equal((claim.identifier as JsonObject[])[0]?.notation, 'MK-DATZ-2025');
      assert.equal(c.issued, '2025-02-01T08:00:00Z');
    });

    it('stays valid against the microcredential schema with a credentialStatus, and converts legacy credit points', function () {
      const validate = edcValidator(this, 'microcredential');
      const c = buildMicroCredential(
        microInput({ attainment: { ...attainment, credits: { value: 2, scheme: 'LV_KP_LEGACY' } }, statusListEntry: { url: 'https://hub.example.lv/status/lu.lv/1', index: 0 } }),
      );
      assert.ok(validate(c), errorsOf(validate).join('\n'));
      assert.equal((c.credentialStatus as JsonObject).statusListIndex, '0');
      const claim = (c.credentialSubject as JsonObject).hasClaim as JsonObject;
      assert.equal((claim.creditReceived as JsonObject[])[0]?.point, '3');
    });

    it('refuses an attainment not flagged as a micro-credential, and names what else is missing', () => {
      const paths = violationsOf(() => buildMicroCredential(microInput({ attainment: { ...attainment, identifiers: [], credits: undefined }, course: { ...course, name: undefined } })));
      assert.deepEqual(paths.toSorted(), ['/attainment/credits', '/attainment/identifiers', '/course/name']);
    });
  });
});
