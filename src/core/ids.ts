import { createHash } from 'node:crypto';
import { v7 } from 'uuid';

/** UUIDv7 (RFC 9562, the `uuid` package): time-ordered, so ids sort by creation time in every store. */
export function uuidv7(now?: number): string {
  return now === undefined ? v7() : v7({ msecs: now });
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/** JSON with object keys sorted, so equal values give equal text (for hashing and comparing). */
export function stableStringify(value: unknown): string {
  if (value === null || typeof value !== 'object') return JSON.stringify(value) ?? 'null';
  if (Array.isArray(value)) return `[${value.map(stableStringify).join(',')}]`;
  const keys = Object.keys(value as object)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort();
  return `{${keys.map((k) => `${JSON.stringify(k)}:${stableStringify((value as Record<string, unknown>)[k])}`).join(',')}}`;
}
