/**
 * Text as the catalogue searches it: lower case, without diacritics (ā → a, š → s, ž → z), so that
 * "zinatne" finds "zinātne" and "EKONOMIKA" finds "ekonomika" on both backends. SQLite's FTS5
 * tokenizer (unicode61, remove_diacritics 2) and PostgreSQL's unaccent do the same to the indexed
 * text; queries are folded here before they reach either.
 */
export function fold(text: string): string {
  return text
    .normalize('NFD')
    .replace(/\p{M}+/gu, '')
    .toLowerCase();
}

/**
 * Words a query drops when it has others: English and Latvian function words, found in nearly every
 * text, that narrow nothing and cost the most to intersect ("Seminar in Psychology" searches seminar
 * and psychology).
 */
const STOP_WORDS = new Set(['a', 'an', 'and', 'at', 'by', 'for', 'in', 'of', 'on', 'or', 'the', 'to', 'with', 'ar', 'par', 'un', 'uz', 'no', 'vai', 'pie', 'ka']);

/** The words of a query: folded, letters and digits only, function words dropped, at most `max` of them (each at most 40 characters). */
export function queryWords(q: string, max = 12): string[] {
  const all = (fold(q).match(/[\p{L}\p{N}]+/gu) ?? []).map((w) => w.slice(0, 40));
  const meaningful = all.filter((w) => !STOP_WORDS.has(w));
  return (meaningful.length ? meaningful : all).slice(0, max);
}

/**
 * A filter value as a word of the full-text index (`zzf` and a hash of facet and value, letters and
 * digits only): a filter then joins the text search inside the index (FTS5 or GIN) instead of testing
 * every hit against the facet table afterwards.
 */
export function filterToken(facet: string, value: string): string {
  let h = 0x811c9dc5;
  for (const ch of `${facet}\u0001${value}`) h = Math.imul(h ^ ch.codePointAt(0)!, 0x01000193) >>> 0;
  let g = 0x9e3779b1;
  for (const ch of `${value}\u0002${facet}`) g = Math.imul(g ^ ch.codePointAt(0)!, 0x85ebca6b) >>> 0;
  return `zzf${h.toString(36)}${g.toString(36)}`;
}
