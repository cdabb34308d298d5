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
