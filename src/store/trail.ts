import type { JsonObject, MessageStatus } from '../core/types.ts';
import type { MessageHistoryRow } from './types.ts';

/**
 * The trail of an ingest, written once (issue 17, direction 2). A message stored by `Store.ingestBatch`
 * is inserted once with the status its chunk gave it; the steps of its ingest (received, mapped and
 * validated, committed / unchanged / stale / rejected) are not message_history rows but derived from
 * the row when read: `messages.trail` holds the status the ingest ended with (a stale one followed by
 * its detail, which nothing else keeps), the time is the row's `created_at`, the rest comes from its
 * record id and version, its event's change seq and its error detail.
 *
 * The happy path of its delivery is written the same way: `published` and `delivered` are lines
 * appended to `trail` (`<status> <time>`) by the update that sets the message's status anyway, not
 * history rows. Any other transition (retrying, dead, withheld, a replay…) first turns the derived
 * history into rows (`materialize`, `trail` NULL) and is a row itself; a retention line is a row
 * written beside a trail, read in time order with it (`mergeHistory`). `trail` NULL: the whole history
 * is rows (messages stored before migration 5, those of the one-record path, and materialized ones).
 *
 * Likewise `messages.canonical` is not written when the record version the message produced holds the
 * same JSON (`canonical_in_version`): the canonical copy is then that version's data without the `id`
 * and `version` the commit added. Erasure and retention clear the flag with the copy.
 */

/** The outcome an ingest ended with, as stored in `messages.trail`. */
export type IngestEnd = 'committed' | 'unchanged' | 'stale' | 'rejected';

/** `messages.trail` for an ingest that ended so; only a stale one carries its detail. */
export function trailOf(end: IngestEnd, detail: string | null): string {
  return end === 'stale' && detail ? `stale ${detail}` : end;
}

/** What the derived history needs of a message row. */
export interface TrailRow {
  trail: string;
  createdAt: string;
  recordId: string | null;
  recordVersion: number | null;
  /** The seq of the change the message's commit appended (committed only). */
  seq: number | null;
  errorDetail: string | null;
}

/** The statuses of the delivery's happy path that are lines of `trail` rather than history rows. */
const TRAIL_STEPS: readonly MessageStatus[] = ['published', 'delivered'];

/** Whether a message whose `trail` is this moves to `status` by a line of its trail (else: materialized, then a row). */
export function extendsTrail(trail: unknown, status: MessageStatus): boolean {
  return typeof trail === 'string' && trail !== '' && TRAIL_STEPS.includes(status);
}

/** The line a happy-path step appends to `trail`. */
export function trailLine(status: MessageStatus, at: string): string {
  return `\n${status} ${at}`;
}

/** The history rows the ingest of a message and the happy path of its delivery would have written, derived from its row. */
export function ingestHistory(m: TrailRow): MessageHistoryRow[] {
  const [first, ...later] = m.trail.split('\n');
  const head = first!;
  const space = head.indexOf(' ');
  const end = space < 0 ? head : head.slice(0, space);
  const at = m.createdAt;
  const received: MessageHistoryRow = { at, status: 'received', detail: null };
  if (end === 'rejected') return [received, { at, status: 'rejected', detail: m.errorDetail }];
  let detail: string | null;
  if (end === 'committed') detail = `record ${m.recordId} version ${m.recordVersion}, change ${m.seq}`;
  else if (end === 'unchanged') detail = `same content as version ${m.recordVersion}`;
  else detail = space < 0 ? null : head.slice(space + 1);
  const steps = later.map((line): MessageHistoryRow => {
    const sp = line.indexOf(' ');
    return { at: line.slice(sp + 1), status: line.slice(0, sp), detail: null };
  });
  return [received, { at, status: 'validated', detail: 'mapped and validated' }, { at, status: end, detail }, ...steps];
}

/**
 * A message's history: the derived rows and the stored ones in time order (ISO times compare as text),
 * the derived first at equal times. While a message has a trail the stored rows are only retention's
 * lines, written beside it; after `materialize` everything is rows, already in order.
 */
export function mergeHistory(derived: readonly MessageHistoryRow[], stored: readonly MessageHistoryRow[]): MessageHistoryRow[] {
  if (derived.length === 0) return [...stored];
  if (stored.length === 0) return [...derived];
  const out: MessageHistoryRow[] = [];
  let i = 0;
  let j = 0;
  while (i < derived.length || j < stored.length) {
    if (j >= stored.length || (i < derived.length && derived[i]!.at <= stored[j]!.at)) out.push(derived[i++]!);
    else out.push(stored[j++]!);
  }
  return out;
}

/**
 * Whether the canonical record a message carried can be read back from the data of the record version
 * it produced or found (`canonicalOfVersion`). `data`: what that version was made of (the commit's data,
 * before `id` and `version` were added) or an earlier version's data (an unchanged commit), whose JSON
 * text must then be the same, key order included. A canonical record with keys `id` or `version` of its
 * own is kept in the message: the commit overwrites them.
 */
export function canonicalHeldByVersion(canonical: JsonObject, data: JsonObject): boolean {
  if (Object.hasOwn(canonical, 'id') || Object.hasOwn(canonical, 'version')) return false;
  return canonical === data || JSON.stringify(canonicalOfVersion(data)) === JSON.stringify(canonical);
}

/** The canonical record a version's data holds: the data without the `id` and `version` the commit added. */
export function canonicalOfVersion(data: JsonObject): JsonObject {
  const { id: _id, version: _version, ...rest } = data;
  return rest;
}
