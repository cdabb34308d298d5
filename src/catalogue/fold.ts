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

/** The words of a query: folded, letters and digits only, at most `max` of them (each at most 40 characters). */
export function queryWords(q: string, max = 12): string[] {
  return (fold(q).match(/[\p{L}\p{N}]+/gu) ?? []).slice(0, max).map((w) => w.slice(0, 40));
}
