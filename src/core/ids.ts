import { createHash, randomFillSync } from 'node:crypto';
import { v7 } from 'uuid';
import { serialize } from './json-walk.ts';

/**
 * Random bytes for ids, drawn from the system's generator 4 KiB at a time: the `uuid` package asks
 * WebCrypto for 16 bytes per id, which was 6 % of an embedded pipeline's CPU (docs/performance.md).
 */
const POOL = new Uint8Array(4096);
let poolAt = POOL.length;

function random16(): Uint8Array {
  if (poolAt + 16 > POOL.length) {
    randomFillSync(POOL);
    poolAt = 0;
  }
  return POOL.subarray(poolAt, (poolAt += 16));
}

/** The clock and counter of this process's ids: RFC 9562's method 1, as the `uuid` package keeps it. */
const clock = { msecs: -Infinity, seq: 0 };

/**
 * UUIDv7 (RFC 9562, laid out by the `uuid` package): time-ordered, so ids sort by creation time in every
 * store; within a millisecond a 32-bit counter, started at a random value, keeps this process's ids
 * increasing. `now`: an id for that time (a random counter).
 */
export function uuidv7(now?: number): string {
  const random = random16();
  if (now !== undefined) return v7({ msecs: now, random });
  const t = Date.now();
  if (t > clock.msecs) {
    clock.msecs = t;
    clock.seq = ((random[6]! & 0x7f) << 24) | (random[7]! << 16) | (random[8]! << 8) | random[9]!;
  } else {
    clock.seq = (clock.seq + 1) | 0;
    if (clock.seq === 0) clock.msecs++;
  }
  return v7({ msecs: clock.msecs, seq: clock.seq, random });
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
