import { createHash } from 'node:crypto';
import { v7 } from 'uuid';
import { serialize } from './json-walk.ts';

/** UUIDv7 (RFC 9562, the `uuid` package): time-ordered, so ids sort by creation time in every store. */
export function uuidv7(now?: number): string {
  return now === undefined ? v7() : v7({ msecs: now });
}

export function sha256Hex(data: string | Buffer): string {
  return createHash('sha256').update(data).digest('hex');
}

/**
 * JSON with object keys sorted, so equal values give equal text (for hashing and comparing).
 * Iterative: input nested deeper than the call stack is hashed, not a crash.
 */
export function stableStringify(value: unknown): string {
  return serialize(value, true);
}
