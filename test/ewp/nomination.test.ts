import assert from 'node:assert/strict';
import type { CanonicalRecord } from '../../src/core/types.ts';
import { termIdFor } from '../../src/ewp/apis/omobilities.ts';

/** The EWP academic term id of a nomination: the narrowest standard term of the sending HEI that holds the mobility. */
const rec = (id: string, data: Record<string, unknown>): CanonicalRecord => ({
  id,
  entity: 'academic-term',
  institution: 'lu.lv',
  sourceSystem: 'lais',
  sourceId: id,
  version: 1,
  seq: 1,
  deleted: false,
  sourceUpdatedAt: null,
  updatedAt: '2025-01-01T00:00:00Z',
  data,
});
const term = (id: string, termType: string, start: string, end: string, academicYear = '2025/2026') => rec(id, { termType, academicYear, start, end });
const TERMS = [
  term('Y', 'academic-year', '2025-09-01', '2026-06-30'),
  term('S2', 'semester', '2026-02-02', '2026-06-30'),
  term('S1', 'semester', '2025-09-01', '2026-01-25'),
  term('SUM', 'summer', '2026-07-01', '2026-08-31'),
];
const mobility = (start: string, end: string) => rec('m', { start, end });

describe('EWP nomination: the sending academic term', () => {
  it('names the semester that holds the mobility, counted by start date', () => {
    assert.equal(termIdFor(mobility('2025-09-15', '2026-01-20'), TERMS), '2025/2026-1/2');
    assert.equal(termIdFor(mobility('2026-02-10', '2026-06-15'), TERMS), '2025/2026-2/2');
  });
  it('names the academic year when no semester holds the whole mobility', () => {
    assert.equal(termIdFor(mobility('2025-09-01', '2026-01-31'), TERMS), '2025/2026-1/1');
  });
  it('is non-standard (undefined) outside every standard term: summer, or across two years', () => {
    assert.equal(termIdFor(mobility('2026-07-05', '2026-08-20'), TERMS), undefined);
    assert.equal(termIdFor(mobility('2026-05-01', '2026-09-30'), TERMS), undefined);
    assert.equal(termIdFor(mobility('2025-09-15', '2026-01-20'), []), undefined);
  });
  it('does not invent a number when a year holds more terms of a kind than the kind allows', () => {
    const odd = [...TERMS, term('S3', 'semester', '2026-03-01', '2026-03-31')];
    assert.equal(termIdFor(mobility('2026-03-05', '2026-03-20'), odd), '2025/2026-1/1', 'three semesters in a year: the semester ids are not used');
  });
});
