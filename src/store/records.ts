import { InternalError } from '../core/errors.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import { hasIdentifier, jsonText, marks, parseJson } from './json-sql.ts';
import type { SqlDb } from './sql.ts';

/**
 * Reading canonical records: the one place outside the stores that queries the `records` table, for
 * the features that read records by other keys than the store's (EWP views, personal data, consents,
 * reconciliation, catalogue). The same SQL on SQLite and PostgreSQL; conditions on the JSON data are
 * typed here, so no feature writes SQL over the core tables.
 */

const COLUMNS = 'id, entity, institution, source_system, source_id, version, seq, deleted, source_updated_at, updated_at, data';

/** A `records` row as a CanonicalRecord, on either dialect (JSON text or jsonb; text or timestamp). */
export function recordOf(r: Record<string, unknown>): CanonicalRecord {
  const at = (v: unknown) => (v instanceof Date ? v.toISOString() : String(v));
  return {
    id: String(r.id),
    entity: String(r.entity),
    institution: String(r.institution),
    sourceSystem: String(r.source_system),
    sourceId: String(r.source_id),
    version: Number(r.version),
    seq: Number(r.seq),
    deleted: Boolean(r.deleted),
    sourceUpdatedAt: r.source_updated_at === null || r.source_updated_at === undefined ? null : at(r.source_updated_at),
    updatedAt: at(r.updated_at),
    data: parseJson<JsonObject>(r.data),
  };
}

/** An identifier {scheme, value}; `institution` when it is local to one (a student number), none when global (a personal code). */
export interface IdentifierRef {
  scheme: string;
  value: string;
  institution?: string;
}

/** What a reference in a record's data may point at: ids, (institution, sourceId) keys, identifiers. */
export interface RefTarget {
  ids: readonly string[];
  keys: readonly { institution: string; sourceId: string }[];
  identifiers: readonly IdentifierRef[];
}

/** A condition on a record's JSON data. Paths are property names of the code, never input. */
export type DataCondition =
  /** data.<path> (a dotted path) equals the value. */
  | { field: string; equals: string }
  /** The identifiers array at data.<path> holds the identifier (its institution, when local, is the record's). */
  | { identifiersAt: string; has: IdentifierRef }
  /** The reference data.<field> points at the target (by id, by source id in the referenced institution, by an identifier). */
  | { refAt: string; to: RefTarget };

export interface RecordQuery {
  /** One entity or several. */
  entity: string | readonly string[];
  institution?: string;
  sourceId?: string;
  /** Any of these source ids (with `system`, the natural key's index answers it). */
  sourceIds?: readonly string[];
  ids?: readonly string[];
  /** Only records of this source system (partner copies of an EWP source). */
  system?: string;
  /** Leave out records of this source system. */
  notSystem?: string;
  /** Every condition must hold. */
  where?: readonly DataCondition[];
  /** Deleted records too (default: not). */
  withDeleted?: boolean;
  /** Order (default seq); with `afterId`, paging by id. */
  orderBy?: 'seq' | 'id';
  afterId?: string;
  limit?: number;
}

const PATH = /^[A-Za-z][A-Za-z0-9]*(\.[A-Za-z][A-Za-z0-9]*)*$/;

function path(p: string): string[] {
  if (!PATH.test(p)) throw new InternalError(`bad field path ${p}`);
  return p.split('.');
}

export class RecordReader {
  constructor(private readonly sql: SqlDb) {}

  /** SQL of one data condition, with its parameters. */
  private condition(c: DataCondition): { sql: string; params: unknown[] } {
    const d = this.sql.dialect;
    if ('field' in c) return { sql: `${jsonText(d, 'data', path(c.field))} = ?`, params: [c.equals] };
    if ('identifiersAt' in c) {
      const h = hasIdentifier(d, 'data', path(c.identifiersAt), c.has.scheme, c.has.value);
      return c.has.institution === undefined ? h : { sql: `(${h.sql} AND institution = ?)`, params: [...h.params, c.has.institution] };
    }
    const field = path(c.refAt);
    const or: string[] = [];
    const params: unknown[] = [];
    const inst = `COALESCE(${jsonText(d, 'data', [...field, 'institution'])}, institution)`;
    if (c.to.ids.length) {
      or.push(`${jsonText(d, 'data', [...field, 'id'])} IN (${marks(c.to.ids.length)})`);
      params.push(...c.to.ids);
    }
    for (const k of c.to.keys) {
      or.push(`(${jsonText(d, 'data', [...field, 'sourceId'])} = ? AND ${inst} = ?)`);
      params.push(k.sourceId, k.institution);
    }
    for (const i of c.to.identifiers) {
      const h = hasIdentifier(d, 'data', [...field, 'identifiers'], i.scheme, i.value);
      or.push(i.institution === undefined ? h.sql : `(${h.sql} AND ${inst} = ?)`);
      params.push(...h.params, ...(i.institution === undefined ? [] : [i.institution]));
    }
    return { sql: or.length ? `(${or.join(' OR ')})` : '(1 = 0)', params };
  }

  private build(q: RecordQuery): { where: string; params: unknown[] } {
    const entities = typeof q.entity === 'string' ? [q.entity] : [...q.entity];
    const where = [entities.length === 1 ? 'entity = ?' : `entity IN (${marks(entities.length)})`];
    const params: unknown[] = [...entities];
    const eq = (col: string, v: unknown) => {
      where.push(`${col} = ?`);
      params.push(v);
    };
    if (q.institution !== undefined) eq('institution', q.institution);
    if (q.sourceId !== undefined) eq('source_id', q.sourceId);
    if (q.sourceIds) {
      where.push(q.sourceIds.length ? `source_id IN (${marks(q.sourceIds.length)})` : '1 = 0');
      params.push(...q.sourceIds);
    }
    if (q.system !== undefined) eq('source_system', q.system);
    if (q.notSystem !== undefined) {
      where.push('source_system <> ?');
      params.push(q.notSystem);
    }
    if (q.ids) {
      where.push(q.ids.length ? `id IN (${marks(q.ids.length)})` : '1 = 0');
      params.push(...q.ids);
    }
    if (!q.withDeleted) where.push('NOT deleted');
    for (const c of q.where ?? []) {
      const s = this.condition(c);
      where.push(s.sql);
      params.push(...s.params);
    }
    if (q.afterId !== undefined) {
      where.push('id > ?');
      params.push(q.afterId);
    }
    return { where: where.join(' AND '), params };
  }

  /** The records the query selects, in seq (or id) order. */
  async find(q: RecordQuery): Promise<CanonicalRecord[]> {
    const { where, params } = this.build(q);
    const limit = q.limit !== undefined ? ' LIMIT ?' : '';
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM records WHERE ${where} ORDER BY ${q.orderBy === 'id' ? 'id' : 'seq'}${limit}`, q.limit !== undefined ? [...params, q.limit] : params);
    return rows.map(recordOf);
  }

  /** How many records the query selects. */
  async count(q: Omit<RecordQuery, 'orderBy' | 'limit'>): Promise<number> {
    const { where, params } = this.build(q);
    const [r] = await this.sql.query<{ n: number | string }>(`SELECT COUNT(*) AS n FROM records WHERE ${where}`, params);
    return Number(r?.n ?? 0);
  }

  /** A record by its hub id (of any entity unless named); deleted ones only when asked. */
  async byId(id: string, o: { entity?: string; withDeleted?: boolean } = {}): Promise<CanonicalRecord | undefined> {
    const rows = await this.sql.query(
      `SELECT ${COLUMNS} FROM records WHERE id = ?${o.entity !== undefined ? ' AND entity = ?' : ''}${o.withDeleted ? '' : ' AND NOT deleted'}`,
      o.entity !== undefined ? [id, o.entity] : [id],
    );
    return rows[0] ? recordOf(rows[0]) : undefined;
  }

  /**
   * Every record of an entity and institution, page by page in the order of the natural key (source
   * system, source id): each page is a range of the natural key's index, so a walk over hundreds of
   * thousands of records never sorts (the back-catalogue of credentials).
   */
  async *walkByKey(q: { entity: string; institution: string; withDeleted?: boolean }, pageSize = 500): AsyncGenerator<CanonicalRecord> {
    let after: [string, string] | undefined;
    for (;;) {
      const params: unknown[] = [q.entity, q.institution];
      let where = 'entity = ? AND institution = ?';
      if (!q.withDeleted) where += ' AND NOT deleted';
      if (after) {
        where += ' AND (source_system > ? OR (source_system = ? AND source_id > ?))';
        params.push(after[0], after[0], after[1]);
      }
      const rows = await this.sql.query(`SELECT ${COLUMNS} FROM records WHERE ${where} ORDER BY entity, institution, source_system, source_id LIMIT ?`, [...params, pageSize]);
      const page = rows.map(recordOf);
      yield* page;
      if (page.length < pageSize) return;
      const last = page[page.length - 1]!;
      after = [last.sourceSystem, last.sourceId];
    }
  }

  /** Every record the query selects, page by page in id order (for long walks: reconciliation, rebuilds). */
  async *walk(q: Omit<RecordQuery, 'orderBy' | 'afterId' | 'limit'>, pageSize = 500): AsyncGenerator<CanonicalRecord> {
    let after = '';
    for (;;) {
      const page = await this.find({ ...q, orderBy: 'id', afterId: after, limit: pageSize });
      yield* page;
      if (page.length < pageSize) return;
      after = page[page.length - 1]!.id;
    }
  }
}
