import assert from 'node:assert/strict';
import { MappingError } from '../../src/core/errors.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';

/** mappings/library (outbound): a study-right event with the person added → a library patron. */
describe('mappings/library: study right + person → library patron', () => {
  const engine = new MappingEngine();
  const person = {
    id: 'p1',
    record: {
      institution: 'lu.lv',
      sourceId: 'P-100231',
      identifiers: [
        { scheme: 'student-number', value: 'LU100231' },
        { scheme: 'lv-personas-kods', value: '110403-23116' },
      ],
      givenNames: 'Anna',
      familyName: 'Bērziņa',
      birthDate: '2003-04-11',
      email: 'anna@lu.lv',
    },
  };
  const event = (periods: { status: string; start: string }[], extra: Record<string, unknown> = {}) => ({
    version: 3,
    record: { institution: 'lu.lv', sourceId: 'SR-1', programme: { sourceId: 'PRG-1' }, statusPeriods: periods, ...extra },
    person,
  });
  const map = async (input: unknown) => (await engine.map('library', 'study-right', input, { institution: 'lu.lv', source: '' }))[0]!;

  it('an active study right: an active card, the student number as patron id, no personal code or birth date', async () => {
    const p = await map(event([{ status: 'active', start: '2022-09-01' }]));
    assert.deepEqual(p, {
      patronId: 'LU100231',
      institution: 'lu.lv',
      category: 'student',
      givenNames: 'Anna',
      familyName: 'Bērziņa',
      email: 'anna@lu.lv',
      status: 'active',
      studyRight: 'SR-1',
      programme: 'PRG-1',
      hubVersion: 3,
    });
    assert.doesNotMatch(JSON.stringify(p), /110403|2003-04-11/);
  });

  it('the latest period counts: academic leave keeps the card, suspension blocks it', async () => {
    assert.equal(
      (
        await map(
          event([
            { status: 'academic-leave', start: '2023-02-01' },
            { status: 'active', start: '2022-09-01' },
          ]),
        )
      ).status,
      'active',
    );
    assert.equal(
      (
        await map(
          event([
            { status: 'active', start: '2022-09-01' },
            { status: 'suspended', start: '2023-02-01' },
          ]),
        )
      ).status,
      'blocked',
    );
  });

  it('graduated: the card expires on the exmatriculation date (else the period start)', async () => {
    const periods = [
      { status: 'active', start: '2019-09-02' },
      { status: 'graduated', start: '2023-06-21' },
    ];
    const a = await map(event(periods, { exmatriculation: { date: '2023-06-20', reason: 'graduated', orderNumber: '1' } }));
    assert.deepEqual([a.status, a.expiryDate], ['expired', '2023-06-20']);
    const b = await map(event(periods));
    assert.deepEqual([b.status, b.expiryDate], ['expired', '2023-06-21']);
  });

  it('a person without a student number: the person source id; with neither, the mapping rejects it', async () => {
    const noNumber = { ...event([{ status: 'active', start: '2022-09-01' }]), person: { record: { sourceId: 'P-7', givenNames: 'A', familyName: 'B' } } };
    assert.equal((await map(noNumber)).patronId, 'P-7');
    const nobody = { ...noNumber, person: { record: { givenNames: 'A' } } };
    await assert.rejects(map(nobody), (e: unknown) => e instanceof MappingError && /neither a student number nor a sourceId/.test(e.message));
  });

  it('is an outbound set (hub mapping test skips it; these tests cover it)', () => {
    assert.deepEqual(engine.setInfo('library'), { direction: 'outbound', testedBy: 'test/nodered/library-mapping.test.ts' });
  });
});
