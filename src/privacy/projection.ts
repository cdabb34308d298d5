import type { ChangeEvent, JsonObject } from '../core/types.ts';

/** Fields a recipient always gets: the record's identity in the hub and in its source. */
export const IDENTITY_FIELDS: readonly string[] = ['id', 'sourceId', 'institution', 'version'];

/** The record with only the listed top-level fields (and the identity fields); undefined fields: the whole record. */
export function projectRecord(record: JsonObject, fields: readonly string[] | undefined): JsonObject {
  if (!fields) return record;
  const keep = new Set([...IDENTITY_FIELDS, ...fields]);
  return Object.fromEntries(Object.entries(record).filter(([k]) => keep.has(k)));
}

/** Minimisation of a route: the event as its recipient gets it (the input is left alone). */
export function projectEvent(e: ChangeEvent, fields: readonly string[] | undefined): ChangeEvent {
  if (!fields || !e.record) return e;
  return { ...e, record: projectRecord(e.record, fields) };
}
