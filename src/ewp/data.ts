import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import { RecordReader } from '../store/records.ts';
import type { SqlDb } from '../store/sql.ts';

/** A canonical record as the EWP views read it: the one record type (src/core/types.ts). */
export type Rec = CanonicalRecord;

/** Whether a record changed after `since` (ms since the epoch; the EWP `modified_since` parameter). */
export function modifiedAfter(r: Rec, since: number): boolean {
  return Date.parse(r.updatedAt) > since;
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

/** The records the EWP endpoints read, through the store's record reader (no SQL here). */
export class EwpRecords {
  private readonly reader: RecordReader;

  constructor(sql: SqlDb) {
    this.reader = new RecordReader(sql);
  }

  list(entity: string, institution: string, f: RecordFilter = {}): Promise<Rec[]> {
    return this.reader.find({
      entity,
      institution,
      ...(f.system !== undefined ? { system: f.system } : {}),
      ...(f.notSystem !== undefined ? { notSystem: f.notSystem } : {}),
      ...(f.sourceId !== undefined ? { sourceId: f.sourceId } : {}),
      ...(f.field ? { where: [{ field: f.field[0], equals: f.field[1] }] } : {}),
    });
  }

  /** A record by hub id; a deleted one only with `withDeleted` (what a delete event names: its data is kept). */
  byId(id: string, o: { withDeleted?: boolean } = {}): Promise<Rec | undefined> {
    return this.reader.byId(id, o);
  }

  /** Whether the HEI's EWP source holds this partner copy deleted (the partner deleted the object). */
  async deletedCopy(entity: string, institution: string, system: string, sourceId: string): Promise<boolean> {
    const [r] = await this.reader.find({ entity, institution, system, sourceId, withDeleted: true, limit: 1 });
    return r?.deleted === true;
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
      const [hit] = await this.reader.find({ entity, institution, where: [{ identifiersAt: 'identifiers', has: { scheme: idf.scheme, value: idf.value } }], limit: 1 });
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
