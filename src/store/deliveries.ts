import type { SqlDb } from './sql.ts';
import { marks } from './json-sql.ts';

/** The latest delivery of a record (its newest change) on one of these routes: status and last error. */
export async function lastDeliveryOf(sql: SqlDb, recordId: string, routes: readonly string[]): Promise<{ routeId: string; status: string; error: string | null } | undefined> {
  if (routes.length === 0) return undefined;
  const [r] = await sql.query<{ route_id: string; status: string; last_error: string | null }>(
    `SELECT d.route_id, d.status, d.last_error FROM changes c JOIN deliveries d ON d.event_id = c.event_id
     WHERE c.record_id = ? AND d.route_id IN (${marks(routes.length)}) ORDER BY c.seq DESC LIMIT 1`,
    [recordId, ...routes],
  );
  return r ? { routeId: r.route_id, status: r.status, error: r.last_error ?? null } : undefined;
}

/** A dead delivery, with what its change says of the record. */
export interface DeadDelivery {
  eventId: string;
  messageId: string | null;
  routeId: string;
  attempts: number;
  error: string | null;
  deadAt: string;
  entity: string | null;
  institution: string | null;
  recordId: string | null;
}

/** A position in the dead deliveries, ordered by (time dead, event id, route id). */
export interface DeadCursor {
  at: string;
  eventId: string;
  routeId: string;
}

const iso = (v: unknown): string => (v instanceof Date ? v.toISOString() : String(v));

/**
 * Dead deliveries after the cursor and dead since at most `settledBefore` (so that rows committed out of
 * order in time are not skipped), of these routes (none: all), in (time, event, route) order.
 */
export async function deadDeliveriesAfter(sql: SqlDb, after: DeadCursor, q: { settledBefore: string; routes: readonly string[]; limit: number }): Promise<DeadDelivery[]> {
  const routes = q.routes.length ? ` AND d.route_id IN (${marks(q.routes.length)})` : '';
  const rows = await sql.query(
    `SELECT d.event_id, d.route_id, d.message_id, d.attempts, d.last_error, d.updated_at, c.entity, c.institution, c.record_id
       FROM deliveries d LEFT JOIN changes c ON c.event_id = d.event_id
      WHERE d.status = 'dead'
        AND (d.updated_at > ? OR (d.updated_at = ? AND (d.event_id > ? OR (d.event_id = ? AND d.route_id > ?))))
        AND d.updated_at <= ?${routes}
      ORDER BY d.updated_at, d.event_id, d.route_id
      LIMIT ?`,
    [after.at, after.at, after.eventId, after.eventId, after.routeId, q.settledBefore, ...q.routes, q.limit],
  );
  return rows.map((r) => ({
    eventId: String(r.event_id),
    messageId: r.message_id == null ? null : String(r.message_id),
    routeId: String(r.route_id),
    attempts: Number(r.attempts),
    error: r.last_error == null ? null : String(r.last_error),
    deadAt: iso(r.updated_at),
    entity: r.entity == null ? null : String(r.entity),
    institution: r.institution == null ? null : String(r.institution),
    recordId: r.record_id == null ? null : String(r.record_id),
  }));
}
