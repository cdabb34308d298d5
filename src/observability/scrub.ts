import { replacePersonalCodes } from '../core/personal-code.ts';
import type { JsonObject } from '../core/types.ts';

/**
 * Personal data kept out of log texts: personal codes wherever they appear (every spacing, both
 * forms), and the names, e-mail and identifiers of the record a text is about, where the caller
 * knows the record (a sink's or partner's error about a delivered record).
 */

export const CODE_MARK = '[personal-code]';
export const REDACTED = '[redacted]';

/** Replaces personal codes inside free text; hub ids (UUIDs) are left whole. */
export function scrub(text: string): string {
  return replacePersonalCodes(text, CODE_MARK);
}

/** The text cut to `max` characters, saying how long it was. */
export function clip(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}… (${text.length} characters)` : text;
}

/** Fields whose string values name the person (at any depth of a record). */
const NAME_FIELDS = new Set(['givenNames', 'familyName', 'name', 'email', 'birthDate', 'personalCode', 'personasKods', 'vards', 'uzvards']);
/** Values shorter than this are not scrubbed from texts (an initial would blank every word). */
const MIN_TERM = 2;
/** How far into a record terms are looked for (records passed limits.maxDepth; this bounds the walk). */
const TERM_DEPTH = 16;

const fold = (s: string) => s.normalize('NFD').replace(/\p{M}/gu, '');

/**
 * The strings of a record that name its person: names (whole and word by word, with and without
 * diacritics: `Liepiņa`, `Liepina`), e-mail, birth date and identifier values, at any depth.
 */
export function personalTerms(record: JsonObject | undefined): string[] {
  const terms = new Set<string>();
  const add = (s: string) => {
    for (const t of [s, ...s.split(/[\s,;()-]+/)]) {
      const v = t.trim();
      if (v.length >= MIN_TERM) {
        terms.add(v.normalize('NFC'));
        terms.add(fold(v));
      }
    }
  };
  const stack: [unknown, number][] = [[record, 0]];
  while (stack.length) {
    const [v, depth] = stack.pop()!;
    if (v === null || typeof v !== 'object' || depth > TERM_DEPTH) continue;
    for (const [k, x] of Object.entries(v)) {
      if (typeof x === 'string' && NAME_FIELDS.has(k)) add(x);
      else if (k === 'identifiers' && Array.isArray(x)) {
        for (const i of x) if (i && typeof i === 'object' && typeof (i as { value?: unknown }).value === 'string') add((i as { value: string }).value);
      } else if (x !== null && typeof x === 'object') stack.push([x, depth + 1]);
    }
  }
  return [...terms].sort((a, b) => b.length - a.length);
}

const escapeRe = (s: string) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');

/** The text with personal codes and the given terms (whole words, any case, any Unicode normal form) replaced. */
export function scrubTerms(text: string, terms: readonly string[]): string {
  const out = scrub(text);
  if (!terms.length) return out;
  const re = new RegExp(`(?<![\\p{L}\\p{N}\\p{M}])(?:${terms.map(escapeRe).join('|')})(?![\\p{L}\\p{N}\\p{M}])`, 'giu');
  return out.normalize('NFC').replace(re, REDACTED);
}

/** An error text about a record, fit for a log line: personal codes and the record's names out, cut to `max`. */
export function scrubForLog(text: string, record: JsonObject | undefined, max: number): string {
  return clip(scrubTerms(text, personalTerms(record)), max);
}
