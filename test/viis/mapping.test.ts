import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { RequestMapper } from '../../adapters/viis/mapping.ts';
import type { ViisEntity } from '../../adapters/viis/records.ts';
import { SinkRejectedError } from '../../src/core/errors.ts';
import { compileText, MappingEngine, MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { runGolden } from '../../src/mapping/golden.ts';
import { schemas } from '../helpers/hub.ts';
import { award, credential, person, personalCode, PROGRAMME, revokedCredential, studyRight } from './fixtures.ts';

const mapper = new RequestMapper({ mappingsDir: MAPPINGS_DIR, compileMapping: compileText });
const bind = { institution: 'rtu.lv', programmeCodes: {} };
const canon = (r: Record<string, unknown>) => ({ institution: 'rtu.lv', ...r });

describe('VIIS mappings (mappings/viis: canonical → register records)', () => {
  it('maps a person: personal code, names, birth date, gender and citizenship codes; no e-mail', async () => {
    const out = await mapper.map('person', canon(person(1)), bind);
    assert.deepEqual(out, {
      localId: 'P00001',
      personalCode: personalCode(1),
      givenNames: 'Jānis',
      familyName: 'Bērziņš',
      birthDate: '2003-02-11',
      gender: 'V',
      citizenship: 'LV',
    });
  });

  it('maps a foreign student by the identity document and its country', async () => {
    const out = await mapper.map('person', canon(person(2, { identifiers: [{ scheme: 'foreign-id', value: 'LT1234567', country: 'LT' }], gender: 'not-known' })), bind);
    assert.deepEqual(out.foreignDocument, { number: 'LT1234567', country: 'LT' });
    assert.equal(out.personalCode, undefined);
    assert.equal(out.gender, undefined);
  });

  it('maps a study right with its status periods, register codes and the LIK code of the programme', async () => {
    const out = await mapper.map('study-right', canon(studyRight(1)), bind);
    assert.deepEqual(out, {
      localId: 'SR00001',
      personLocalId: 'P00001',
      programmeCode: PROGRAMME,
      matriculation: { number: '02000-2.2/1', date: '2022-08-22' },
      studyForm: 'PL',
      funding: 'VB',
      studyYear: 2,
      periods: {
        period: [
          { status: 'STUDE', start: '2022-09-01', end: '2023-01-31' },
          { status: 'AKAD', start: '2023-02-01', end: '2023-08-31', reason: 'health', order: { number: 'AL-7', date: '2023-01-20' } },
          { status: 'STUDE', start: '2023-09-01' },
        ],
      },
    });
  });

  it('maps an ended study right with its exmatriculation reason code', async () => {
    const out = await mapper.map(
      'study-right',
      canon(
        studyRight(3, {
          statusPeriods: [
            { status: 'active', start: '2019-09-01', end: '2023-06-20' },
            { status: 'graduated', start: '2023-06-21' },
          ],
          exmatriculation: { date: '2023-06-21', reason: 'graduated', orderNumber: '1-6/2023/1103' },
          funding: 'tuition',
          studyForm: 'part-time',
        }),
      ),
      bind,
    );
    assert.deepEqual(out.exmatriculation, { date: '2023-06-21', reason: 'ABSOLV', orderNumber: '1-6/2023/1103' });
    assert.deepEqual(
      (out.periods as { period: { status: string }[] }).period.map((p) => p.status),
      ['STUDE', 'ABSOLV'],
    );
    assert.equal(out.funding, 'MAKS');
    assert.equal(out.studyForm, 'NL');
  });

  it('takes the programme code from the sink table when the reference has no LIK code, else the local id', async () => {
    const sr = canon(studyRight(4, { programme: { sourceId: 'RDB0' } }));
    assert.equal((await mapper.map('study-right', sr, { institution: 'rtu.lv', programmeCodes: { RDB0: '42523002' } })).programmeCode, '42523002');
    assert.equal((await mapper.map('study-right', sr, bind)).programmeCode, 'RDB0');
  });

  it('takes the person id from the student number when the reference has no sourceId', async () => {
    const sr = canon(studyRight(5, { person: { identifiers: [{ scheme: 'student-number', value: 'S-55' }] } }));
    assert.equal((await mapper.map('study-right', sr, bind)).personLocalId, 'S-55');
  });

  it('refuses a study right whose person cannot be named to the register (SinkRejectedError with the reason)', async () => {
    const sr = canon(studyRight(6, { person: { identifiers: [{ scheme: 'esi', value: 'urn:schac:personalUniqueCode:int:esi:rtu.lv:x' }] } }));
    await assert.rejects(mapper.map('study-right', sr, bind), (e: unknown) => e instanceof SinkRejectedError && /person reference has neither a sourceId nor a student number/.test(e.message));
  });

  it('maps an award: Latvian title, LIK code, EQF level, diploma numbers', async () => {
    const out = await mapper.map('award', canon(award(1)), bind);
    assert.deepEqual(out, {
      localId: 'AW00001',
      personLocalId: 'P00001',
      studyRightLocalId: 'SR00001',
      programmeCode: PROGRAMME,
      eqfLevel: 6,
      title: 'inženierzinātņu bakalaura profesionālais grāds datorsistēmās',
      diplomaNumber: 'PB 000001',
      awardedAt: '2026-06-17',
      withDistinction: true,
    });
  });

  it('maps an issued degree credential to a digital diploma: the diploma by its number, the issuer, the status list entry', async () => {
    const out = await mapper.mapCredential(canon(credential(1)), bind);
    assert.deepEqual(out, {
      digitalDiploma: {
        credentialId: 'urn:uuid:6f1c2a9e-3b7d-4e21-9a0c-000000000001',
        diplomaNumber: 'PB 000001',
        issuerId: 'urn:schac:homeOrganization:rtu.lv',
        issuedAt: '2026-06-18T09:30:00Z',
        statusList: { url: 'https://hub.example.lv/credentials/status/rtu.lv/0', index: 101 },
      },
    });
  });

  it('maps a revoked degree credential to its revocation (date and reason), and names the credential it replaces', async () => {
    const out = await mapper.mapCredential(canon(revokedCredential(2, 'replaced by a corrected diploma', { replaces: 'urn:uuid:6f1c2a9e-3b7d-4e21-9a0c-000000000099' })), bind);
    assert.equal(out.digitalDiploma.replaces, 'urn:uuid:6f1c2a9e-3b7d-4e21-9a0c-000000000099');
    assert.deepEqual(out.revocation, { revokedAt: '2026-07-01T12:00:00Z', reason: 'replaced by a corrected diploma' });
    const bare = await mapper.mapCredential(canon(revokedCredential(3, 'x', { revocationReason: undefined })), bind);
    assert.deepEqual(bare.revocation, { revokedAt: '2026-07-01T12:00:00Z' });
  });

  it('names the graduate as the award mapping does when the notice carries the person source id or student number; not the hub id', async () => {
    const bySource = await mapper.mapCredential(canon(credential(4, { person: { id: '3c4d5e6f-7a8b-4c9d-8e0f-000000000004', sourceId: 'P00004' } })), bind);
    assert.equal(bySource.digitalDiploma.personLocalId, 'P00004');
    const byNumber = await mapper.mapCredential(canon(credential(5, { person: { identifiers: [{ scheme: 'student-number', value: 'S-5' }] } })), bind);
    assert.equal(byNumber.digitalDiploma.personLocalId, 'S-5');
    const byHubId = await mapper.mapCredential(canon(credential(6)), bind);
    assert.equal('personLocalId' in byHubId.digitalDiploma, false);
  });

  it('refuses a micro-credential and a degree credential without a diploma number (SinkRejectedError with the reason)', async () => {
    const micro = canon(credential(7, { kind: 'micro-credential', award: undefined, attainment: { id: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9' }, identifiers: [] }));
    await assert.rejects(mapper.mapCredential(micro, bind), (e: unknown) => e instanceof SinkRejectedError && /micro-credential credential is not a diploma/.test(e.message));
    await assert.rejects(mapper.mapCredential(canon(credential(8, { identifiers: [] })), bind), (e: unknown) => e instanceof SinkRejectedError && /no diploma-number identifier/.test(e.message));
  });

  it('maps the example records of the canonical schemas with every mapping file of the set', async () => {
    const entities = new MappingEngine().entities('viis');
    assert.deepEqual(entities, ['award', 'credential', 'person', 'study-right']);
    const credentials = JSON.parse(readFileSync(new URL('../../schemas/credential.schema.json', import.meta.url), 'utf8')) as { examples: Record<string, unknown>[] };
    const degrees = credentials.examples.filter((ex) => ex.kind === 'degree');
    assert.ok(degrees.length > 0, 'schemas/credential.schema.json has a degree example');
    for (const ex of degrees) {
      const out = await mapper.mapCredential(ex, { institution: String(ex.institution), programmeCodes: {} });
      assert.equal(out.digitalDiploma.credentialId, ex.credentialId);
    }
    for (const entity of entities.filter((e) => e !== 'credential') as ViisEntity[]) {
      const schema = JSON.parse(readFileSync(new URL(`../../schemas/${entity}.schema.json`, import.meta.url), 'utf8')) as { examples: Record<string, unknown>[] };
      assert.ok(schema.examples.length > 0, `schemas/${entity}.schema.json has examples`);
      for (const ex of schema.examples) {
        const out = await mapper.map(entity, ex, { institution: String(ex.institution), programmeCodes: {} });
        assert.equal(out.localId, ex.sourceId);
      }
    }
  });

  it('is left to this file by the golden runner: neither run nor listed as untested', async () => {
    const engine = new MappingEngine();
    assert.deepEqual(engine.setInfo('viis'), { direction: 'outbound', testedBy: 'test/viis/mapping.test.ts' });
    // Its output is a register request, not a canonical record: the tests above cover each of its files.
    const report = await runGolden(schemas, engine, 'mappings/viis');
    assert.deepEqual({ results: report.results, untested: report.untested }, { results: [], untested: [] });
  });
});
