import { createHash } from 'node:crypto';

/** RFC 3230 / RFC 5843 `Digest` header value of a body: `SHA-256=<base64>`. */
export function sha256Digest(body: Buffer | string): string {
  return `SHA-256=${createHash('sha256').update(body).digest('base64')}`;
}

/** The SHA-256 values of a Digest header (which may list several algorithms, in any case). */
export function sha256Values(header: string | undefined): string[] {
  if (!header) return [];
  const out: string[] = [];
  for (const part of header.split(',')) {
    const i = part.indexOf('=');
    if (i < 0) continue;
    if (part.slice(0, i).trim().toLowerCase() === 'sha-256') out.push(part.slice(i + 1).trim());
  }
  return out;
}

/** Whether the header carries a SHA-256 value equal to the body's digest. */
export function digestMatches(header: string | undefined, body: Buffer | string): boolean {
  const expected = sha256Digest(body).slice('SHA-256='.length);
  return sha256Values(header).includes(expected);
}
