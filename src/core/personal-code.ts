/**
 * Latvian personal codes (personas kods).
 * Old form `DDMMYY-CNNNZ`: birth date, century digit C (0 = 1800s, 1 = 1900s, 2 = 2000s), serial,
 * check digit Z = (1101 - Σ wᵢ·dᵢ) mod 11 with weights 1 6 3 7 9 10 5 8 4 2.
 * New form (issued since 1 July 2017): starts with `32`, carries no birth date and no checked digit here.
 */
const WEIGHTS = [1, 6, 3, 7, 9, 10, 5, 8, 4, 2] as const;
const PATTERN = /^(\d{6})-?(\d{5})$/;

export type PersonalCodeForm = 'old' | 'new';

export function personalCodeForm(code: string): PersonalCodeForm | undefined {
  const m = PATTERN.exec(code);
  if (!m) return undefined;
  return code.startsWith('32') ? 'new' : 'old';
}

export function checkDigit(first10: string): number {
  let sum = 0;
  for (let i = 0; i < 10; i++) sum += WEIGHTS[i]! * Number(first10[i]);
  return (((1101 - sum) % 11) + 11) % 11;
}

export function birthDateOf(code: string): string | undefined {
  const m = PATTERN.exec(code);
  if (!m || code.startsWith('32')) return undefined;
  const digits = m[1]! + m[2]!;
  const dd = Number(digits.slice(0, 2));
  const mm = Number(digits.slice(2, 4));
  const yy = Number(digits.slice(4, 6));
  const century = Number(digits[6]);
  if (century > 2) return undefined;
  const year = 1800 + century * 100 + yy;
  const d = new Date(Date.UTC(year, mm - 1, dd));
  if (d.getUTCFullYear() !== year || d.getUTCMonth() !== mm - 1 || d.getUTCDate() !== dd) return undefined;
  return d.toISOString().slice(0, 10);
}

/** True for a well-formed code: the new form by pattern, the old form by birth date and check digit. */
export function isValidPersonalCode(code: string): boolean {
  const form = personalCodeForm(code);
  if (form === 'new') return true;
  if (form !== 'old') return false;
  const digits = code.replace('-', '');
  if (!birthDateOf(code)) return false;
  const z = checkDigit(digits.slice(0, 10));
  return z !== 10 && z === Number(digits[10]);
}

/** Builds a valid old-form code for a birth date and serial (for simulators and tests). */
export function makeOldPersonalCode(birth: Date, serial: number): string | undefined {
  const dd = String(birth.getUTCDate()).padStart(2, '0');
  const mm = String(birth.getUTCMonth() + 1).padStart(2, '0');
  const year = birth.getUTCFullYear();
  const yy = String(year % 100).padStart(2, '0');
  const century = Math.floor(year / 100) - 18;
  const first10 = `${dd}${mm}${yy}${century}${String(serial % 1000).padStart(3, '0')}`;
  const z = checkDigit(first10);
  if (z === 10) return undefined;
  return `${first10.slice(0, 6)}-${first10.slice(6)}${z}`;
}

/**
 * Pattern that finds personal codes inside free text (for log redaction): 11 digits, old form or the
 * new `32…` form, written together (`01010110006`), with a hyphen or dash (`010101-10006`, spaces
 * around it allowed) or with spaces (`010101 10006`, also no-break and thin spaces) after the sixth;
 * not part of a longer run of digits, whatever comes before or after (`code:01010110006`).
 */
export const PERSONAL_CODE_IN_TEXT = /(?<!\d)\d{6}(?:\s{0,3}[-\u2010-\u2015\u2212]\s{0,3}|\s{1,3})?\d{5}(?!\d)/g;

/**
 * A hub id (UUID) or a personal code: ids are matched first and kept whole, so that a run of eleven decimal
 * digits inside one (a UUIDv7's random part often has one) is not taken for a code.
 */
const UUID_OR_CODE = new RegExp(`(\\b[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}\\b)|${PERSONAL_CODE_IN_TEXT.source}`, 'gi');

/** The text with every personal code (any spacing, both forms) replaced by `mark`; hub ids (UUIDs) left whole. */
export function replacePersonalCodes(text: string, mark: string): string {
  return text.replace(UUID_OR_CODE, (m: string, uuid: string | undefined) => (uuid ? m : mark));
}
