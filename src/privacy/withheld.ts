import type { SqlDb, SqlRow } from '../store/sql.ts';

/**
 * Deliveries withheld for want of a consent. A withheld delivery waits for its route's hold window:
 * `held` until a matching consent arrives (→ `released`, sent to the route again, → `delivered`), or
 * until the window ends (→ `closed`, with a closing attempt on the delivery). The delivery row of the
 * store says `withheld` all along; this table says how long it waits and why.
 */
export type WithheldStatus = 'held' | 'released' | 'delivered' | 'closed';

export interface WithheldRow {
  eventId: string;
  routeId: string;
  messageId: string | null;
  recordId: string;
  entity: string;
  /** Pseudonym of the person (as in the disclosure log). */
  person: string | null;
  purpose: string;
  recipient: string;
  reason: string;
  status: WithheldStatus;
  withheldAt: string;
  expiresAt: string;
  updatedAt: string;
  closedReason: string | null;
}

export interface HoldInput {
  eventId: string;
  routeId: string;
  messageId: string | null;
  recordId: string;
  entity: string;
  person: string | null;
  purpose: string;
  recipient: string;
  reason: string;
  holdWindowMs: number;
  now: number;
}

const COLUMNS = 'event_id, route_id, message_id, record_id, entity, person, purpose, recipient, reason, status, withheld_at, expires_at, updated_at, closed_reason';

function toRow(r: SqlRow): WithheldRow {
  return {
    eventId: String(r.event_id),
    routeId: String(r.route_id),
    messageId: r.message_id == null ? null : String(r.message_id),
    recordId: String(r.record_id),
    entity: String(r.entity),
    person: r.person == null ? null : String(r.person),
    purpose: String(r.purpose),
    recipient: String(r.recipient),
    reason: String(r.reason),
    status: String(r.status) as WithheldStatus,
    withheldAt: String(r.withheld_at),
    expiresAt: String(r.expires_at),
    updatedAt: String(r.updated_at),
    closedReason: r.closed_reason == null ? null : String(r.closed_reason),
  };
}

export class Withheld {
  constructor(private readonly sql: SqlDb) {}

  /**
   * Records that a delivery is withheld. The hold window runs from the first time: a released delivery
   * withheld again (consent withdrawn before it went out) waits for the rest of it; a closed one stays
   * closed.
   */
  async hold(h: HoldInput): Promise<WithheldRow> {
    const t = new Date(h.now).toISOString();
    const expires = new Date(h.now + h.holdWindowMs).toISOString();
    await this.sql.run(
      `INSERT INTO privacy_withheld (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'held', ?, ?, ?, NULL)
       ON CONFLICT (event_id, route_id) DO UPDATE SET status = 'held', reason = excluded.reason, updated_at = excluded.updated_at
       WHERE privacy_withheld.status IN ('held', 'released', 'delivered')`,
      [h.eventId, h.routeId, h.messageId, h.recordId, h.entity, h.person, h.purpose, h.recipient, h.reason, t, expires, t],
    );
    return (await this.get(h.eventId, h.routeId))!;
  }

  async get(eventId: string, routeId: string): Promise<WithheldRow | undefined> {
    const [r] = await this.sql.query(`SELECT ${COLUMNS} FROM privacy_withheld WHERE event_id = ? AND route_id = ?`, [eventId, routeId]);
    return r ? toRow(r) : undefined;
  }

  /** Held deliveries, optionally of one purpose and recipient (a consent arrived), oldest first. */
  async held(opts: { purpose?: string; recipient?: string; limit: number }): Promise<WithheldRow[]> {
    const where = ["status = 'held'"];
    const params: unknown[] = [];
    if (opts.purpose !== undefined) {
      where.push('purpose = ?');
      params.push(opts.purpose);
    }
    if (opts.recipient !== undefined) {
      where.push('recipient = ?');
      params.push(opts.recipient);
    }
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM privacy_withheld WHERE ${where.join(' AND ')} ORDER BY withheld_at, event_id LIMIT ?`, [...params, opts.limit]);
    return rows.map(toRow);
  }

  /** Held deliveries whose hold window has ended by `now`. */
  async expired(now: number, limit: number): Promise<WithheldRow[]> {
    const rows = await this.sql.query(`SELECT ${COLUMNS} FROM privacy_withheld WHERE status = 'held' AND expires_at <= ? ORDER BY expires_at LIMIT ?`, [new Date(now).toISOString(), limit]);
    return rows.map(toRow);
  }

  /** `tx`: the caller's transaction (a delivery's outcome and disclosure), else a statement of its own. */
  async setStatus(eventId: string, routeId: string, status: WithheldStatus, closedReason: string | null = null, tx: SqlDb = this.sql): Promise<void> {
    await tx.run('UPDATE privacy_withheld SET status = ?, closed_reason = COALESCE(?, closed_reason), updated_at = ? WHERE event_id = ? AND route_id = ?', [
      status,
      closedReason,
      new Date().toISOString(),
      eventId,
      routeId,
    ]);
  }

  /** Records a delivery that is closed at once (the person's data was erased). */
  async closeNow(h: Omit<HoldInput, 'holdWindowMs'>, closedReason: string): Promise<void> {
    const t = new Date(h.now).toISOString();
    await this.sql.run(
      `INSERT INTO privacy_withheld (${COLUMNS}) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'closed', ?, ?, ?, ?)
       ON CONFLICT (event_id, route_id) DO UPDATE SET status = 'closed', closed_reason = excluded.closed_reason, updated_at = excluded.updated_at`,
      [h.eventId, h.routeId, h.messageId, h.recordId, h.entity, h.person, h.purpose, h.recipient, h.reason, t, t, t, closedReason],
    );
  }

  /** For admins: withheld deliveries by status, newest first. */
  async list(opts: { status?: WithheldStatus; limit: number }): Promise<WithheldRow[]> {
    const rows = opts.status
      ? await this.sql.query(`SELECT ${COLUMNS} FROM privacy_withheld WHERE status = ? ORDER BY withheld_at DESC LIMIT ?`, [opts.status, opts.limit])
      : await this.sql.query(`SELECT ${COLUMNS} FROM privacy_withheld ORDER BY withheld_at DESC LIMIT ?`, [opts.limit]);
    return rows.map(toRow);
  }
}
