import type { Dialect } from './sql.ts';

/**
 * JSON access in SQL for the two dialects. Canonical record data is TEXT JSON on SQLite and jsonb on
 * PostgreSQL. Paths are constants of the code (property names), never input.
 */
export function jsonText(d: Dialect, col: string, path: readonly string[]): string {
  if (d === 'sqlite') return `json_extract(${col}, '$.${path.join('.')}')`;
  const head = path
    .slice(0, -1)
    .map((k) => `->'${k}'`)
    .join('');
  return `${col}${head}->>'${path[path.length - 1]}'`;
}

/**
 * The data of the record version that the change row `c` made (record versions live in the change log):
 * its own `data` where it has one (a deletion, whose event carries no record), else the event's record.
 */
export function versionData(d: Dialect, c: string): string {
  return d === 'sqlite' ? `COALESCE(${c}.data, json_extract(${c}.event, '$.record'))` : `COALESCE(${c}.data, ${c}.event->'record')`;
}

/** A condition: the JSON array at `path` holds an identifier {scheme, value}. */
export function hasIdentifier(d: Dialect, col: string, path: readonly string[], scheme: string, value: string): { sql: string; params: unknown[] } {
  if (d === 'sqlite') {
    return {
      sql: `EXISTS (SELECT 1 FROM json_each(${col}, '$.${path.join('.')}') j WHERE json_extract(j.value, '$.scheme') = ? AND json_extract(j.value, '$.value') = ?)`,
      params: [scheme, value],
    };
  }
  return { sql: `${col}${path.map((k) => `->'${k}'`).join('')} @> ?::jsonb`, params: [JSON.stringify([{ scheme, value }])] };
}

/** A JSON column's value as read: parsed text on SQLite, already an object on PostgreSQL. */
export function parseJson<T>(v: unknown): T {
  return (typeof v === 'string' ? JSON.parse(v) : v) as T;
}

/** A JSON value to write into a JSON column (text on SQLite; jsonb takes the same text on PostgreSQL). */
export function jsonParam(v: unknown): string {
  return JSON.stringify(v);
}

export function marks(n: number): string {
  return Array.from({ length: n }, () => '?').join(', ');
}
