import { copyJson } from '../core/json-walk.ts';
import type { ChangeEvent, JsonObject } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';
import { GLOBAL_SCHEMES, identifiersOf, PERSONAL_CODE_SCHEME, refOf, SUBJECTS, type PersonRecord } from './personal.ts';
import type { Pseudonyms } from './pseudonym.ts';

/**
 * What an erasure removes, and how: pure transforms of records and texts, and the sweep of every
 * text column of the store for the identifiers that name the person.
 */

export const ERASED = '[erased]';

/** Fields of entities about a person that identify the person by themselves (removed on erasure). */
const IDENTIFYING_FIELDS: Readonly<Record<string, readonly string[]>> = {
  award: ['diplomaNumber', 'diplomaSupplementNumber'],
};

export interface ErasureTerms {
  /** Removed wherever they appear in the store: identifiers that name this one person (personal code in both forms, ESI, foreign id). */
  global: string[];
  /** Removed from rows about the person only: also names, e-mail, student numbers, source ids. */
  scoped: string[];
  /** Identifier values of the person (their entries are dropped from identifiers arrays). */
  identifierValues: ReadonlySet<string>;
  /** Pseudonymous source id per person record id and per key `institution\0sourceId`. */
  pseudoById: ReadonlyMap<string, string>;
  pseudoByKey: ReadonlyMap<string, string>;
}

/** Long enough and plain enough to replace inside any text, JSON included. */
const SAFE = /^[\p{L}\p{N} .:_@/+'-]+$/u;

export function termsOf(persons: readonly PersonRecord[], pseudonyms: Pseudonyms): ErasureTerms {
  const global = new Set<string>();
  const scoped = new Set<string>();
  const values = new Set<string>();
  const pseudoById = new Map<string, string>();
  const pseudoByKey = new Map<string, string>();
  for (const p of persons) {
    const pseudo = pseudonyms.erasedSourceId(p.institution, p.sourceId);
    pseudoById.set(p.id, pseudo);
    pseudoByKey.set(`${p.institution}\u0000${p.sourceId}`, pseudo);
    for (const i of identifiersOf(p.data)) {
      values.add(i.value);
      scoped.add(i.value);
      if (GLOBAL_SCHEMES.includes(i.scheme)) global.add(i.value);
      if (i.scheme === PERSONAL_CODE_SCHEME) {
        global.add(i.value.replace('-', ''));
        global.add(i.value.includes('-') ? i.value : `${i.value.slice(0, 6)}-${i.value.slice(6)}`);
      }
    }
    const d = p.data;
    for (const k of ['givenNames', 'familyName', 'email']) if (typeof d[k] === 'string') scoped.add(d[k]);
    if (typeof d.givenNames === 'string' && typeof d.familyName === 'string') scoped.add(`${d.givenNames} ${d.familyName}`);
    scoped.add(p.sourceId);
  }
  for (const g of global) scoped.add(g);
  const usable = (s: Set<string>, min: number) => [...s].filter((x) => x.length >= min && SAFE.test(x)).sort((a, b) => b.length - a.length);
  return { global: usable(global, 6), scoped: usable(scoped, 3), identifierValues: values, pseudoById, pseudoByKey };
}

export function scrubText(s: string, needles: readonly string[]): string {
  let out = s;
  for (const n of needles) if (out.includes(n)) out = out.split(n).join(ERASED);
  return out;
}

/** Strings scrubbed, identifiers of the person dropped, at any depth (iteratively: stored JSON of any depth). */
export function scrubDeep(v: unknown, terms: ErasureTerms): unknown {
  return copyJson(v, (x, key) => {
    if (typeof x === 'string') return scrubText(x, terms.scoped);
    if (key === 'identifiers' && Array.isArray(x)) return x.filter((i: unknown) => !(i && typeof i === 'object' && terms.identifierValues.has(String((i as { value?: unknown }).value))));
    return x;
  });
}

/** What is left of a person record: its identity in the hub and a pseudonymous source id. */
export function erasedPerson(data: JsonObject, pseudoSourceId: string): JsonObject {
  return {
    ...(data.id !== undefined ? { id: data.id } : {}),
    ...(data.version !== undefined ? { version: data.version } : {}),
    ...(data.institution !== undefined ? { institution: data.institution } : {}),
    sourceId: pseudoSourceId,
    identifiers: [],
    erased: true,
  };
}

/**
 * A record about the person, erased: its reference to the person pseudonymised (the study facts stay
 * linked to one pseudonymous person), identifying fields removed, the person's identifiers and names
 * scrubbed wherever they appear in it.
 */
export function erasedRecord(entity: string, data: JsonObject, institution: string, terms: ErasureTerms): JsonObject {
  if (entity === 'person') {
    const key = `${String(data.institution ?? institution)}\u0000${String(data.sourceId)}`;
    return erasedPerson(data, terms.pseudoByKey.get(key) ?? terms.pseudoById.get(String(data.id)) ?? ERASED);
  }
  const out = scrubDeep(data, terms) as JsonObject;
  for (const f of IDENTIFYING_FIELDS[entity] ?? []) delete out[f];
  const s = SUBJECTS[entity];
  const ref = s?.kind === 'ref' ? refOf(data, s.field) : undefined;
  if (s?.kind === 'ref' && ref) {
    const owner = ref.institution ?? institution;
    const pseudo =
      (ref.sourceId ? terms.pseudoByKey.get(`${owner}\u0000${ref.sourceId}`) : undefined) ??
      (ref.id ? terms.pseudoById.get(ref.id) : undefined) ??
      [...terms.pseudoByKey.entries()].find(([k]) => k.startsWith(`${owner}\u0000`))?.[1] ??
      [...terms.pseudoById.values()][0] ??
      ERASED;
    out[s.field] = { sourceId: pseudo, ...(ref.institution ? { institution: ref.institution } : {}) };
  }
  return out;
}

/** A change event of a record about the person, erased the same way. */
export function erasedEvent(e: ChangeEvent, terms: ErasureTerms): ChangeEvent {
  return {
    ...e,
    ...(e.record ? { record: erasedRecord(e.entity, e.record, e.institution, terms) } : {}),
    ...(e.previousKey ? { previousKey: scrubDeep(e.previousKey, terms) as JsonObject } : {}),
  };
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/** Text and JSON columns of every table of the store (SQLite: sqlite_master; PostgreSQL: information_schema of the current schema). */
export interface TextColumn {
  table: string;
  column: string;
  /** PostgreSQL json and jsonb columns are searched and rewritten as text. */
  json: 'json' | 'jsonb' | undefined;
}

export async function textColumns(sql: SqlDb): Promise<TextColumn[]> {
  const out: TextColumn[] = [];
  if (sql.dialect === 'sqlite') {
    // Ordinary tables only: a full-text index (the catalogue's FTS5 table, public course texts) and its
    // shadow tables are not rewritten row by row, and SQLite refuses writes to shadow tables.
    for (const t of await sql.query("SELECT name FROM pragma_table_list WHERE schema = 'main' AND type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")) {
      for (const c of await sql.query(`PRAGMA table_info(${quoteIdent(String(t.name))})`)) {
        const type = String(c.type ?? '').toUpperCase();
        if (type === '' || /TEXT|CHAR|CLOB|JSON/.test(type)) out.push({ table: String(t.name), column: String(c.name), json: undefined });
      }
    }
    return out;
  }
  const rows = await sql.query(
    `SELECT c.table_name, c.column_name, c.data_type FROM information_schema.columns c
     JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name AND t.table_type = 'BASE TABLE'
     WHERE c.table_schema = current_schema() AND c.data_type IN ('text', 'character varying', 'character', 'json', 'jsonb')
     ORDER BY c.table_name, c.ordinal_position`,
  );
  for (const r of rows) out.push({ table: String(r.table_name), column: String(r.column_name), json: r.data_type === 'json' || r.data_type === 'jsonb' ? r.data_type : undefined });
  return out;
}

/**
 * Replaces the needles in every text and JSON column of every table but `skip`; returns the rows
 * changed per table. The needles are plain (SAFE), so JSON stays JSON.
 */
export async function sweep(sql: SqlDb, needles: readonly string[], skip: readonly string[]): Promise<Record<string, number>> {
  const counts: Record<string, number> = {};
  if (!needles.length) return counts;
  const pg = sql.dialect === 'postgres';
  const cols = (await textColumns(sql)).filter((c) => !skip.includes(c.table));
  for (const c of cols) {
    const col = quoteIdent(c.column);
    const text = c.json ? `${col}::text` : col;
    let expr = text;
    const params: unknown[] = [];
    for (const n of needles) {
      expr = `REPLACE(${expr}, ?, ?)`;
      params.push(n, ERASED);
    }
    if (c.json) expr = `(${expr})::${c.json}`;
    const cond = needles.map(() => (pg ? `strpos(${text}, ?) > 0` : `instr(${text}, ?) > 0`)).join(' OR ');
    const r = await sql.run(`UPDATE ${quoteIdent(c.table)} SET ${col} = ${expr} WHERE ${cond}`, [...params, ...needles]);
    if (r.changes) counts[c.table] = (counts[c.table] ?? 0) + r.changes;
  }
  return counts;
}
