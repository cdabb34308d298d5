/**
 * Native functions for the JSONata mappings (mappings/README.md lists them for mapping authors).
 *
 * A helper defined inside a mapping (`$date := function($v, $field) { ... }`) is rebuilt and
 * interpreted by JSONata for every record; these are plain functions, built once and bound for every
 * evaluation (see evaluate() in engine.ts), and cost a fraction of that. Where mapping sets had helpers of the
 * same name that behave differently (trimming or not, naming the value in the message or not), each
 * behaviour is its own function, so that moving a mapping onto them changes nothing it accepts or
 * rejects. A function a mapping still defines itself shadows the native one of the same name.
 *
 * A native rejects a record the way `$error("...")` does: it throws a MappingRejectError, which
 * evaluate() reports like JSONata's D3137, as the plain message.
 */

import { MappingRejectError } from '../core/errors.ts';

/** A record refused by a native function; JSONata passes it through like an `$error()`. */
export { MappingRejectError as MappingReject };

const reject = (message: string): never => {
  throw new MappingRejectError(message);
};

/** JSONata's `$trim` at both ends: only space, tab, CR and LF (not JavaScript's wider set). */
const trim = (s: string): string => s.replace(/^[ \t\n\r]+|[ \t\n\r]+$/g, '');

/** A non-integer number as JSONata's `$string` writes it (15 significant digits). */
const jsonataNumber = (n: number): number => (Number.isInteger(n) ? n : Number(n.toPrecision(15)));

/** A value as JSONata's `&` puts it into a message: strings as they are, nothing as '', the rest as JSON. */
function show(v: unknown): string {
  if (v === undefined) return '';
  if (typeof v === 'string') return v;
  return JSON.stringify(v, (_key, x: unknown) => (typeof x === 'number' ? jsonataNumber(x) : x)) ?? '';
}

/** True unless the value is missing, null or "". */
export function present(v: unknown): boolean {
  return v !== undefined && v !== null && v !== '';
}

/** Like present(), and a string of only blanks is absent too (a CSV cell of spaces). */
export function presentTrimmed(v: unknown): boolean {
  return present(v) && (typeof v !== 'string' || trim(v) !== '');
}

const DMY = /^\d{2}\.\d{2}\.\d{4}$/;

function daysInMonth(year: number, month: number): number {
  const leap = (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0;
  return month === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(month) ? 30 : 31;
}

/** "dd.mm.yyyy" → "yyyy-mm-dd" when it is a day of the calendar, else undefined. */
function isoFromDMY(s: string): string | undefined {
  if (!DMY.test(s)) return undefined;
  const day = Number(s.slice(0, 2));
  const month = Number(s.slice(3, 5));
  const year = s.slice(6, 10);
  if (month < 1 || month > 12 || day < 1 || day > daysInMonth(Number(year), month)) return undefined;
  return `${year}-${s.slice(3, 5)}-${s.slice(0, 2)}`;
}

/** The rejection of a date, with or without the value (which may be personal data). */
type DateMessage = (field: string, v: unknown) => string;
const quotingValue: DateMessage = (field, v) => `${field}: '${show(v)}' is not a valid date dd.mm.yyyy`;
const withoutValue: DateMessage = (field) => `${field}: not a valid date dd.mm.yyyy`;

function dateOrReject(s: string | undefined, v: unknown, field: string, message: DateMessage): string {
  return (s === undefined ? undefined : isoFromDMY(s)) ?? reject(message(field, v));
}

const asString = (v: unknown): string | undefined => (typeof v === 'string' ? v : undefined);
const asTrimmed = (v: unknown): string | undefined => (typeof v === 'string' ? trim(v) : undefined);

/**
 * A date written dd.mm.yyyy (exactly: no blanks around it) as yyyy-mm-dd. Anything else, including
 * 31.02.2024, rejects with `<field>: '<value>' is not a valid date dd.mm.yyyy`.
 */
export function dateDMY(v: unknown, field: string): string {
  return dateOrReject(asString(v), v, field, quotingValue);
}

/** dateDMY() whose message leaves the value out (a birth date is personal data): `<field>: not a valid date dd.mm.yyyy`. */
export function dateDMYPrivate(v: unknown, field: string): string {
  return dateOrReject(asString(v), v, field, withoutValue);
}

/** dateDMY() of a string trimmed first (" 17.05.1999 " is a date); the message quotes the value as sent. */
export function trimmedDateDMY(v: unknown, field: string): string {
  return dateOrReject(asTrimmed(v), v, field, quotingValue);
}

/** trimmedDateDMY() whose message leaves the value out: `<field>: not a valid date dd.mm.yyyy`. */
export function trimmedDateDMYPrivate(v: unknown, field: string): string {
  return dateOrReject(asTrimmed(v), v, field, withoutValue);
}

const DECIMAL = /^\d+([.,]\d+)?$/;

/**
 * A number, or a string of digits with a decimal point or comma ("180", "1,5", " 2.5 "). Anything
 * else (a sign, an exponent, "divi") rejects with `<field>: '<value>' is not a number`.
 */
export function num(v: unknown, field: string): number {
  if (typeof v === 'number') return v;
  const s = asTrimmed(v);
  if (s !== undefined && DECIMAL.test(s)) return Number(s.replace(',', '.'));
  return reject(`${field}: '${show(v)}' is not a number`);
}

type Table = Record<string, unknown>;

/** The table's own entry (never an inherited one such as "constructor"); undefined when there is none. */
function lookup(table: Table, key: string | undefined): unknown {
  return key !== undefined && Object.hasOwn(table, key) ? table[key] : undefined;
}

function codeIn(table: Table, key: string | undefined, what: string, v: unknown, field: string): unknown {
  const r = lookup(table, key);
  return r !== undefined ? r : reject(`${field}: unknown ${what} '${show(v)}' (known: ${Object.keys(table).join(', ')})`);
}

/**
 * The entry of `table` (an object literal of the mapping) for the string v, exactly as written. A
 * value not in the table rejects with `<field>: unknown value '<value>' (known: <keys, in order>)`.
 */
export function code(table: Table, v: unknown, field: string): unknown {
  return codeIn(table, asString(v), 'value', v, field);
}

/** code() of the string trimmed first; rejects with `<field>: unknown code '<value>' (known: ...)`. */
export function trimmedCode(table: Table, v: unknown, field: string): unknown {
  return codeIn(table, asTrimmed(v), 'code', v, field);
}

export interface Grade {
  value: string;
  scheme: 'LV_10' | 'PASS_FAIL';
  label: string;
}

/** The Latvian 10-point scale: 4 (gandrīz viduvēji) is the lowest pass. */
const LV_10: Readonly<Record<string, string>> = {
  '10': 'izcili',
  '9': 'teicami',
  '8': 'ļoti labi',
  '7': 'labi',
  '6': 'gandrīz labi',
  '5': 'viduvēji',
  '4': 'gandrīz viduvēji',
  '3': 'neapmierinoši',
  '2': 'neapmierinoši',
  '1': 'neapmierinoši',
};
const PASSED: Grade = { value: 'passed', scheme: 'PASS_FAIL', label: 'ieskaitīts' };
const FAILED: Grade = { value: 'failed', scheme: 'PASS_FAIL', label: 'neieskaitīts' };

/** A grade "1".."10" (as written) on the LV_10 scale, else undefined. */
function lv10(s: string | undefined): Grade | undefined {
  const label = lookup(LV_10, s) as string | undefined;
  return label === undefined ? undefined : { value: s!, scheme: 'LV_10', label };
}

/** A grade as LAIS writes it, a number or a string, in any case and with blanks around it. */
function gradeText(v: unknown): string | undefined {
  if (typeof v === 'number') return show(v);
  return typeof v === 'string' ? trim(v).toLowerCase() : undefined;
}

const notLvGrade = (field: string, v: unknown): never => reject(`${field}: '${show(v)}' is neither a grade of the Latvian 10-point scale (1..10) nor ieskaitīts / neieskaitīts`);

/**
 * A Latvian grade: 1..10 (number or string) → LV_10 with its label (10 izcili … 4 gandrīz viduvēji,
 * 3..1 neapmierinoši); "ieskaitīts" / "neieskaitīts" (any case) → PASS_FAIL passed / failed. Anything
 * else ("11", "A", "9,5", nothing) rejects with
 * `<field>: '<value>' is neither a grade of the Latvian 10-point scale (1..10) nor ieskaitīts / neieskaitīts`.
 */
export function lvGrade(v: unknown, field: string): Grade {
  const s = gradeText(v);
  if (s === 'ieskaitīts') return { ...PASSED };
  if (s === 'neieskaitīts') return { ...FAILED };
  return lv10(s) ?? notLvGrade(field, v);
}

/** lvGrade() that also takes the abbreviations "i" (ieskaitīts) and "n" (neieskaitīts), as legacy exports write them. */
export function lvGradeShort(v: unknown, field: string): Grade {
  const s = gradeText(v);
  if (s === 'i') return { ...PASSED };
  if (s === 'n') return { ...FAILED };
  return lvGrade(v, field);
}

/**
 * A grade as ISIS writes it: "1".."10" → LV_10, "I" → passed, "NI" → failed (upper case only; blanks
 * around it are dropped). Anything else rejects with `<field>: '<value>' is neither 1..10 nor I / NI`
 * naming the trimmed value.
 */
export function isisGrade(v: unknown, field: string): Grade {
  const s = trim(show(v));
  if (s === 'I') return { ...PASSED };
  if (s === 'NI') return { ...FAILED };
  return lv10(s) ?? reject(`${field}: '${s}' is neither 1..10 nor I / NI`);
}

/** One entry of a localized string, when the text is there (trimmed; blanks only count as missing). */
function textEntry(lang: string, v: unknown): { lang: string; text: string } | undefined {
  if (!present(v)) return undefined;
  const text = trim(show(v));
  return text ? { lang, text } : undefined;
}

/**
 * A localized string from a Latvian and an English text, either of which may be missing: `[{lang: "lv",
 * text}, {lang: "en", text}]` with what is there, or nothing at all when both are missing (so that an
 * optional field is left out, not sent as an empty list).
 */
export function texts(lv: unknown, en: unknown): { lang: string; text: string }[] | undefined {
  const out = [textEntry('lv', lv), textEntry('en', en)].filter((x) => x !== undefined);
  return out.length ? out : undefined;
}

/**
 * A list of localized strings (learning outcomes, say) from a list of objects, each holding its Latvian
 * and English text under the keys given: one localized string per item that has a text; nothing when
 * there is none. A single item stays a list.
 */
export function textsEach(items: unknown, lvKey: string, enKey: string): { lang: string; text: string }[][] | undefined {
  const list = Array.isArray(items) ? items : present(items) ? [items] : [];
  const out = list.flatMap((it: unknown) => {
    const o = it !== null && typeof it === 'object' ? (it as Record<string, unknown>) : {};
    const t = texts(o[lvKey], o[enKey]);
    return t ? [t] : [];
  });
  return out.length ? out : undefined;
}

const STUDY_LEVELS: Record<string, string> = { '5': 'short-cycle', '6': 'bachelor', '7': 'master', '8': 'doctoral' };

/**
 * The level of study (Bologna cycle) of an EQF level: 5 short-cycle (first-level professional higher
 * education), 6 bachelor, 7 master, 8 doctoral; nothing for a missing level or one below 5 (no higher
 * education cycle).
 */
export function studyLevel(eqf: unknown): string | undefined {
  return present(eqf) ? STUDY_LEVELS[trim(show(eqf))] : undefined;
}

/** What every mapping can call, by its name in JSONata ($present, $dateDMY, ...). */
export const MAPPING_FUNCTIONS = Object.freeze({
  present,
  presentTrimmed,
  dateDMY,
  dateDMYPrivate,
  trimmedDateDMY,
  trimmedDateDMYPrivate,
  num,
  code,
  trimmedCode,
  lvGrade,
  lvGradeShort,
  isisGrade,
  texts,
  textsEach,
  studyLevel,
});
