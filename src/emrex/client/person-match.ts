import type { CanonicalRecord } from '../../core/types.ts';

/** A name as compared: lower case, without diacritics (ā → a, ø stays ø → o), words in one spacing, hyphens as spaces. */
export function foldName(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .replace(/[øØ]/g, 'o')
    .replace(/[łŁ]/g, 'l')
    .replace(/[đĐ]/g, 'd')
    .replace(/ß/g, 'ss')
    .replace(/[æÆ]/g, 'ae')
    .toLowerCase()
    .replace(/[-‐'’.]+/g, ' ')
    .replace(/\s+/g, ' ')
    .trim();
}

/** The learner as an ELMO document names them. */
export interface ElmoLearner {
  givenNames: string;
  familyName: string;
  birthDate: string | null;
}

/**
 * Whether the document's learner is the hub's person: the family names equal and the given names equal, or
 * one's given names the first of the other's (a second given name left out), compared without case and
 * diacritics; and the dates of birth equal (the hub's person has one: the document must state the same).
 * Undefined when they match, else the reason, naming no personal data.
 */
export function personMismatch(learner: ElmoLearner | undefined, person: CanonicalRecord): string | undefined {
  if (!learner) return 'the document names no learner';
  const family = foldName(learner.familyName);
  const given = foldName(learner.givenNames);
  const hubFamily = foldName(String(person.data.familyName ?? ''));
  const hubGiven = foldName(String(person.data.givenNames ?? ''));
  if (!family || family !== hubFamily) return "the learner's family name is not the person's";
  const firstOf = (s: string) => s.split(' ')[0] ?? '';
  const givenOk = given === hubGiven || (given !== '' && (given === firstOf(hubGiven) || hubGiven === firstOf(given)));
  if (!givenOk) return "the learner's given names are not the person's";
  const hubBirth = typeof person.data.birthDate === 'string' ? person.data.birthDate : undefined;
  if (hubBirth) {
    if (!learner.birthDate) return 'the document states no date of birth, so the person cannot be confirmed';
    if (learner.birthDate.slice(0, 10) !== hubBirth) return "the learner's date of birth is not the person's";
  }
  return undefined;
}
