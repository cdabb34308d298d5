import { stableStringify, uuidv7 } from '../core/ids.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';
import type { CommitInput } from './types.ts';

/** What a commit does to the record stored under its natural key (the same in every store). */
export type NextVersion = { kind: 'stale' | 'unchanged'; detail: string } | { kind: 'write'; id: string; version: number; data: JsonObject; deleted: boolean };

/**
 * An older source timestamp than the stored one is stale; the same content (and deleted flag) is
 * unchanged; anything else is the next version, with id and version written into the data.
 */
export function nextVersion(prev: CanonicalRecord | undefined, input: CommitInput): NextVersion {
  if (prev && input.sourceUpdatedAt && prev.sourceUpdatedAt && input.sourceUpdatedAt < prev.sourceUpdatedAt) {
    return { kind: 'stale', detail: `source timestamp ${input.sourceUpdatedAt} is older than stored ${prev.sourceUpdatedAt} (version ${prev.version})` };
  }
  const deleted = input.op === 'delete';
  if (prev && prev.deleted === deleted && stableStringify(prev.data) === stableStringify({ ...input.data, id: prev.id, version: prev.version })) {
    return { kind: 'unchanged', detail: `same content as version ${prev.version}` };
  }
  const id = prev?.id ?? uuidv7();
  const version = (prev?.version ?? 0) + 1;
  return { kind: 'write', id, version, data: { ...input.data, id, version }, deleted };
}

/** The natural key of a record, as one string (entity, institution, source system, source id). */
export function naturalKey(r: Pick<CommitInput, 'entity' | 'institution' | 'sourceSystem' | 'sourceId'>): string {
  return JSON.stringify([r.entity, r.institution, r.sourceSystem, r.sourceId]);
}
