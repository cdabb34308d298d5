import { randomUUID } from 'node:crypto';
import type { ChangeEvent } from '../core/types.ts';
import { marks, parseJson } from './json-sql.ts';
import type { SqlDb } from './sql.ts';

/**
 * Reading the change log (the `changes` table, the global sequence of committed changes): the one
 * place outside the stores that queries it, for those who follow it with a cursor of their own (feeds,
 * webhook subscriptions, read models). Sequence numbers become visible in order (see src/feeds/feed.ts),
 * so a reader that remembers the last number it saw misses nothing and sees nothing twice.
 */

export interface ChangeQuery {
  /** Changes with a sequence number above this one (0: from the start). */
  after: number;
  limit: number;
  /** Only these entities (none: all). */
  entities?: readonly string[];
  /** Only these institutions (none: all). */
  institutions?: readonly string[];
}

/** The changes after the cursor, in sequence order, parsed. */
export async function changesAfter(sql: SqlDb, q: ChangeQuery): Promise<ChangeEvent[]> {
  const where = ['seq > ?'];
  const args: unknown[] = [q.after];
  if (q.entities?.length) {
    where.push(q.entities.length === 1 ? 'entity = ?' : `entity IN (${marks(q.entities.length)})`);
    args.push(...q.entities);
  }
  if (q.institutions?.length) {
    where.push(`institution IN (${marks(q.institutions.length)})`);
    args.push(...q.institutions);
  }
  args.push(q.limit);
  const rows = await sql.query<{ event: unknown }>(`SELECT event FROM changes WHERE ${where.join(' AND ')} ORDER BY seq LIMIT ?`, args);
  return rows.map((r) => parseJson<ChangeEvent>(r.event));
}

/** One change by its sequence number. */
export async function changeAt(sql: SqlDb, seq: number): Promise<ChangeEvent | undefined> {
  const [r] = await sql.query<{ event: unknown }>('SELECT event FROM changes WHERE seq = ?', [seq]);
  return r ? parseJson<ChangeEvent>(r.event) : undefined;
}

/** The newest sequence number (0 for an empty log). */
export async function newestSeq(sql: SqlDb): Promise<number> {
  const [r] = await sql.query<{ m: number | string | null }>('SELECT MAX(seq) AS m FROM changes');
  return Number(r?.m ?? 0);
}

/** The meta key of the change log's rewrite generation. */
const GENERATION_KEY = 'changes.rewritten';

/**
 * The change log's rewrite generation: changes when stored events are rewritten (erasure, retention),
 * so that a copy of events read before (the feed page cache) is known to be stale.
 */
export async function changeLogGeneration(sql: SqlDb): Promise<string> {
  const [r] = await sql.query<{ value: string }>('SELECT value FROM meta WHERE key = ?', [GENERATION_KEY]);
  return r?.value ?? '0';
}

/** Starts a new rewrite generation (in the rewriting transaction). */
export async function newChangeLogGeneration(tx: SqlDb): Promise<void> {
  await tx.run('INSERT INTO meta (key, value) VALUES (?, ?) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [GENERATION_KEY, randomUUID()]);
}
