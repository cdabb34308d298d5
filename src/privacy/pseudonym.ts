import { createHmac, randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { ConfigError } from '../core/errors.ts';
import { GLOBAL_SCHEMES, type PersonKey, type SubjectSet } from './personal.ts';

export const SECRET_FILE = 'pseudonym.secret';

/**
 * The pseudonymisation secret: from the environment variable the config names, else (demo, tests,
 * one machine) a random one generated once into the data dir with mode 0600. Every process of one
 * hub must use the same secret, or the subject-access query cannot find a person's log entries.
 */
export function loadPseudonymSecret(opts: { value: string | undefined; variable: string; dataDir: string; logger: Logger; shared: boolean }): Buffer {
  if (opts.value !== undefined && opts.value !== '') {
    if (opts.value.length < 32) throw new ConfigError(`${opts.variable} must hold at least 32 characters`, { violations: [{ path: `/env/${opts.variable}`, message: 'at least 32 characters' }] });
    return Buffer.from(opts.value, 'utf8');
  }
  const file = join(opts.dataDir, SECRET_FILE);
  if (existsSync(file)) return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
  mkdirSync(opts.dataDir, { recursive: true });
  const secret = randomBytes(32).toString('base64url');
  try {
    writeFileSync(file, `${secret}\n`, { mode: 0o600, flag: 'wx' });
  } catch (e) {
    // Another process wrote it first: use that one.
    if ((e as NodeJS.ErrnoException).code === 'EEXIST') return Buffer.from(readFileSync(file, 'utf8').trim(), 'utf8');
    throw e;
  }
  chmodSync(file, 0o600);
  if (opts.shared) opts.logger.warn({ file }, `${opts.variable} is not set: generated a pseudonymisation secret in the data dir; set the variable, the same in every hub process`);
  return Buffer.from(secret, 'utf8');
}

function hmac(secret: Buffer, ...parts: string[]): string {
  return createHmac('sha256', secret).update(parts.join('\u0000')).digest('hex');
}

/** Keyed pseudonyms (HMAC-SHA256) of persons, as the disclosure log and erasure use them. */
export class Pseudonyms {
  constructor(private readonly secret: Buffer) {}

  /** A person record's key in the hub: its institution and source id. */
  person(institution: string, sourceId: string): string {
    return `p:${hmac(this.secret, 'person', institution, sourceId)}`;
  }

  /** An identifier that names one person wherever it appears (personal code, ESI, foreign id). */
  identifier(scheme: string, value: string): string {
    return `i:${hmac(this.secret, 'identifier', scheme, value)}`;
  }

  /** The pseudonym of a record's person key (what a disclosure log entry holds). */
  of(key: PersonKey | undefined): string | null {
    if (!key) return null;
    return key.kind === 'person' ? this.person(key.institution, key.sourceId) : this.identifier(key.scheme, key.value);
  }

  /** Every pseudonym under which log entries about the person can be written (subject access). */
  candidates(set: SubjectSet): string[] {
    const out = new Set<string>();
    for (const k of set.keys) out.add(this.person(k.institution, k.sourceId));
    for (const i of set.identifiers) out.add(this.identifier(i.scheme, GLOBAL_SCHEMES.includes(i.scheme) ? i.value : `${i.institution}:${i.value}`));
    return [...out];
  }

  /** The source id an erased person record and the references to it get (stable, not reversible). */
  erasedSourceId(institution: string, sourceId: string): string {
    return `erased-${hmac(this.secret, 'erased', institution, sourceId).slice(0, 24)}`;
  }
}
