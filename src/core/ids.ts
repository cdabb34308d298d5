import { createHash, randomBytes } from 'node:crypto';
import { serialize } from './json-walk.ts';

/** UUIDv7: time-ordered, so ids sort by creation time in every store. */
export function uuidv7(now: number = Date.now()): string {
  const b = randomBytes(16);
  b.writeUIntBE(now, 0, 6);
  b[6] = (b[6]! & 0x0f) | 0x70;
  b[8] = (b[8]! & 0x3f) | 0x80;
  const h = b.toString('hex');
  return `${h.slice(0, 8)}-${h.slice(8, 12)}-${h.slice(12, 16)}-${h.slice(16, 20)}-${h.slice(20)}`;
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
