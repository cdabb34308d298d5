import { gunzipSync, gzipSync } from 'node:zlib';
import { BadRequestError, MalformedInputError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { isoSeconds, issuerUri } from './vocab.ts';

/**
 * W3C Bitstring Status List (https://www.w3.org/TR/vc-bitstring-status-list/): one list of 131,072 bits
 * per institution and list number, a set bit a revoked credential. Positions are given out in order and
 * scattered over the list by a secret permutation of that list, so an index says nothing of when a
 * credential was issued (the herd privacy the specification asks for).
 */

/** Bits per list: the specification's minimum (16 KiB). */
export const LIST_BITS = 131_072;

/** The permutation of one list: x → (mult·x + shift) mod 2^17, a bijection for an odd `mult`. */
export interface ListPermutation {
  mult: number;
  shift: number;
}

/** Where the n-th credential of an institution (from 0) has its bit. */
export function positionOf(n: number, perm: (listNo: number) => ListPermutation): { listNo: number; index: number } {
  const listNo = Math.floor(n / LIST_BITS);
  const { mult, shift } = perm(listNo);
  // mult < 2^17 and x < 2^17: the product stays below 2^34, exact in a double.
  return { listNo, index: (mult * (n % LIST_BITS) + shift) % LIST_BITS };
}

/** A fresh permutation from random bytes (mult odd). */
export function newPermutation(random: Buffer): ListPermutation {
  return { mult: (random.readUInt32BE(0) % LIST_BITS) | 1, shift: random.readUInt32BE(4) % LIST_BITS };
}

/** The list's bits with the given indexes set, as the specification encodes them: GZIP, base64url, multibase prefix `u`. Index 0 is the first byte's leftmost bit. */
export function encodeList(revoked: readonly number[]): string {
  const bits = new Uint8Array(LIST_BITS / 8);
  for (const i of revoked) {
    if (Number.isInteger(i) && i >= 0 && i < LIST_BITS) bits[i >> 3]! |= 0x80 >> (i & 7);
  }
  return `u${gzipSync(bits).toString('base64url')}`;
}

/** Whether the bit at `index` of an encoded list is set (a caller reading someone's list). */
export function bitOf(encodedList: string, index: number): boolean {
  if (!encodedList.startsWith('u')) throw new MalformedInputError('encodedList is not multibase base64url (prefix u)');
  const bits = gunzipSync(Buffer.from(encodedList.slice(1), 'base64url'), { maxOutputLength: 16 * 1024 * 1024 });
  if (!Number.isInteger(index) || index < 0 || index >= bits.length * 8) throw new BadRequestError(`index ${index} is outside the list of ${bits.length * 8} bits`);
  return (bits[index >> 3]! & (0x80 >> (index & 7))) !== 0;
}

/** The status list credential (VC data model 2.0) of one list; the hub seals it like a credential. */
export function statusListCredential(o: { url: string; heiId: string; revoked: readonly number[]; validFrom: Date }): JsonObject {
  return {
    '@context': ['https://www.w3.org/ns/credentials/v2'],
    id: o.url,
    type: ['VerifiableCredential', 'BitstringStatusListCredential'],
    issuer: issuerUri(o.heiId),
    validFrom: isoSeconds(o.validFrom),
    credentialSubject: { id: `${o.url}#list`, type: 'BitstringStatusList', statusPurpose: 'revocation', encodedList: encodeList(o.revoked) },
  };
}

/** The path of a list under the hub's public address: /credentials/status/<heiId>/<listNo>. */
export function statusListPath(heiId: string, listNo: number): string {
  return `/credentials/status/${encodeURIComponent(heiId)}/${listNo}`;
}

/** The institution and list number of a status list URL of this hub's form, whatever its host. */
export function parseStatusListUrl(url: string): { heiId: string; listNo: number } | undefined {
  let u: URL;
  try {
    u = new URL(url);
  } catch {
    return undefined;
  }
  const m = /\/credentials\/status\/([^/]+)\/(\d{1,9})$/.exec(u.pathname);
  return m ? { heiId: decodeURIComponent(m[1]!), listNo: Number(m[2]) } : undefined;
}
