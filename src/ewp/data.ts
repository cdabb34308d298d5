import { InternalError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';

/** A canonical record as the EWP views read it from the `records` table. */
export interface Rec {
  id: string;
  entity: string;
  institution: string;
  sourceSystem: string;
  sourceId: string;
  version: number;
  seq: number;
  updatedAt: number;
  data: JsonObject;
}

interface Row {
  id: string;
  entity: string;
  institution: string;
  source_system: string;
  source_id: string;
  version: number | string;
  seq: number | string;
  updated_at: string | Date;
  data: string | JsonObject;
}

/** The JSON column: text on SQLite, parsed jsonb on PostgreSQL. */
export function jsonOf(v: string | JsonObject): JsonObject {
  return typeof v === 'string' ? (JSON.parse(v) as JsonObject) : v;
}

function toRec(r: Row): Rec {
  return {
    id: r.id,
    entity: r.entity,
    institution: r.institution,
    sourceSystem: r.source_system,
    sourceId: r.source_id,
    version: Number(r.version),
    seq: Number(r.seq),
    updatedAt: r.updated_at instanceof Date ? r.updated_at.getTime() : Date.parse(r.updated_at),
    data: jsonOf(r.data),
  };
}

export interface RecordFilter {
  /** Only records of this source system (partner copies of an EWP source). */
  system?: string;
  /** Leave out records of this source system (a HEI's own data, without partner copies). */
  notSystem?: string;
  /** A JSON field (dotted path) equal to a value (e.g. iiaId, omobilityId, person.sourceId). */
  field?: [string, string];
  sourceId?: string;
}

/** Read access to canonical records for the EWP endpoints (the same SQL on SQLite and PostgreSQL). */
export class RecordReader {
  constructor(private readonly sql: SqlDb) {}

  /** A JSON field (dotted path, e.g. `person.sourceId`) as SQL text for either dialect. */
  private jsonField(path: string): string {
    if (!/^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/.test(path)) throw new InternalError(`bad field path ${path}`);
    const parts = path.split('.');
    if (this.sql.dialect === 'sqlite') return `json_extract(data, '$.${path}')`;
    const last = parts.pop()!;
    return `(data${parts.map((p) => `->'${p}'`).join('')}->>'${last}')`;
  }

  async list(entity: string, institution: string, f: RecordFilter = {}): Promise<Rec[]> {
    const where = ['entity = ?', 'institution = ?', 'NOT deleted'];
    const params: unknown[] = [entity, institution];
    if (f.system !== undefined) {
      where.push('source_system = ?');
      params.push(f.system);
    }
    if (f.notSystem !== undefined) {
      where.push('source_system <> ?');
      params.push(f.notSystem);
    }
    if (f.sourceId !== undefined) {
      where.push('source_id = ?');
      params.push(f.sourceId);
    }
    if (f.field) {
      where.push(`${this.jsonField(f.field[0])} = ?`);
      params.push(f.field[1]);
    }
    const rows = await this.sql.query<Row & Record<string, unknown>>(
      `SELECT id, entity, institution, source_system, source_id, version, seq, updated_at, data FROM records WHERE ${where.join(' AND ')} ORDER BY seq`,
      params,
    );
    return rows.map(toRec);
  }

  async byId(id: string): Promise<Rec | undefined> {
    const rows = await this.sql.query<Row & Record<string, unknown>>('SELECT id, entity, institution, source_system, source_id, version, seq, updated_at, data FROM records WHERE id = ? AND NOT deleted', [id]);
    return rows[0] ? toRec(rows[0]) : undefined;
  }

  /**
   * The record a reference of `from` points to: by hub id, by source id in the same source
   * system, or by identifiers (scheme and value) within the target institution.
   */
  async resolve(from: Rec, entity: string, ref: unknown): Promise<Rec | undefined> {
    if (!ref || typeof ref !== 'object') return undefined;
    const r = ref as { id?: string; sourceId?: string; identifiers?: { scheme: string; value: string }[]; institution?: string };
    if (r.id) return this.byId(r.id);
    const institution = r.institution ?? from.institution;
    if (r.sourceId) {
      const hits = await this.list(entity, institution, { system: from.sourceSystem, sourceId: r.sourceId });
      return hits[0];
    }
    for (const idf of r.identifiers ?? []) {
      const all = await this.list(entity, institution);
      const hit = all.find((x) => ((x.data.identifiers ?? []) as { scheme: string; value: string }[]).some((i) => i.scheme === idf.scheme && i.value === idf.value));
      if (hit) return hit;
    }
    return undefined;
  }
}

export const str = (v: unknown): string | undefined => (typeof v === 'string' && v !== '' ? v : undefined);
export const num = (v: unknown): number | undefined => (typeof v === 'number' && Number.isFinite(v) ? v : undefined);
export const arr = <T = JsonObject>(v: unknown): T[] => (Array.isArray(v) ? (v as T[]) : []);
export const obj = (v: unknown): JsonObject | undefined => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);

/** The value of an identifier scheme in a record's identifiers. */
export function identifier(data: JsonObject, scheme: string): string | undefined {
  return arr<{ scheme: string; value: string }>(data.identifiers).find((i) => i.scheme === scheme)?.value;
}

/** Text of a localized string in a language (or the first). */
export function localized(v: unknown, lang?: string): string | undefined {
  const items = arr<{ lang: string; text: string }>(v);
  return (lang ? items.find((i) => i.lang === lang) : undefined)?.text ?? items[0]?.text;
}

/** EWP ids are 1–64 printable ASCII characters without spaces (AsciiPrintableIdentifier). */
export function isEwpId(v: string | undefined): v is string {
  return v !== undefined && /^[\x21-\x7E]{1,64}$/.test(v);
}
