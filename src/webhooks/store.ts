import type { RetryPolicy } from '../config/types.ts';
import type { ChangeOp } from '../core/types.ts';
import type { MigrationStep, SqlDb } from '../store/sql.ts';

/**
 * Tables of webhook subscriptions (module 'webhooks', through store.sql): the subscriptions, with the
 * cursor up to which the change sequence has been fanned out to them, and one delivery row per
 * (subscription, change). Times are ISO 8601 UTC text on both databases (they compare as text).
 */
export const WEBHOOK_MIGRATIONS: MigrationStep[] = [
  {
    sqlite: `
      CREATE TABLE webhook_subscriptions (
        id TEXT PRIMARY KEY, owner TEXT NOT NULL, url TEXT NOT NULL, secret TEXT NOT NULL,
        entities TEXT NOT NULL, institutions TEXT NOT NULL, ops TEXT NOT NULL, retry TEXT NOT NULL,
        last_seq INTEGER NOT NULL, active INTEGER NOT NULL DEFAULT 1, created_at TEXT NOT NULL, created_by TEXT NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        subscription_id TEXT NOT NULL, seq INTEGER NOT NULL, event_id TEXT NOT NULL, record_id TEXT NOT NULL,
        status TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, next_at TEXT NOT NULL, lease_until TEXT,
        last_error TEXT, detail TEXT, updated_at TEXT NOT NULL, delivered_at TEXT,
        PRIMARY KEY (subscription_id, seq)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
      CREATE INDEX webhook_deliveries_record ON webhook_deliveries (subscription_id, record_id, seq);`,
    postgres: `
      CREATE TABLE webhook_subscriptions (
        id text PRIMARY KEY, owner text NOT NULL, url text NOT NULL, secret text NOT NULL,
        entities text NOT NULL, institutions text NOT NULL, ops text NOT NULL, retry text NOT NULL,
        last_seq bigint NOT NULL, active integer NOT NULL DEFAULT 1, created_at text NOT NULL, created_by text NOT NULL
      );
      CREATE TABLE webhook_deliveries (
        subscription_id text NOT NULL, seq bigint NOT NULL, event_id text NOT NULL, record_id text NOT NULL,
        status text NOT NULL, attempts integer NOT NULL DEFAULT 0, next_at text NOT NULL, lease_until text,
        last_error text, detail text, updated_at text NOT NULL, delivered_at text,
        PRIMARY KEY (subscription_id, seq)
      );
      CREATE INDEX webhook_deliveries_due ON webhook_deliveries (status, next_at);
      CREATE INDEX webhook_deliveries_record ON webhook_deliveries (subscription_id, record_id, seq);`,
  },
];

export interface Subscription {
  id: string;
  /** The consumer whose view the subscription gets, or '*' (admin: the full view). */
  owner: string;
  url: string;
  secret: string;
  entities: string[];
  institutions: string[];
  ops: ChangeOp[];
  retry: RetryPolicy;
  cursor: number;
  active: boolean;
  createdAt: string;
  createdBy: string;
}

export type WebhookDeliveryStatus = 'pending' | 'sending' | 'delivered' | 'dead' | 'withheld';

export interface WebhookDelivery {
  subscriptionId: string;
  seq: number;
  eventId: string;
  recordId: string;
  status: WebhookDeliveryStatus;
  attempts: number;
  nextAt: string;
  lastError: string | null;
  detail: string | null;
  updatedAt: string;
  deliveredAt: string | null;
}

type Row = Record<string, unknown>;

const list = <T>(v: unknown): T[] => (typeof v === 'string' ? (JSON.parse(v) as T[]) : []);

export function toSubscription(r: Row): Subscription {
  return {
    id: String(r.id),
    owner: String(r.owner),
    url: String(r.url),
    secret: String(r.secret),
    entities: list(r.entities),
    institutions: list(r.institutions),
    ops: list(r.ops),
    retry: JSON.parse(String(r.retry)) as RetryPolicy,
    cursor: Number(r.last_seq),
    active: Number(r.active) === 1,
    createdAt: String(r.created_at),
    createdBy: String(r.created_by),
  };
}

export function toDelivery(r: Row): WebhookDelivery {
  return {
    subscriptionId: String(r.subscription_id),
    seq: Number(r.seq),
    eventId: String(r.event_id),
    recordId: String(r.record_id),
    status: String(r.status) as WebhookDeliveryStatus,
    attempts: Number(r.attempts),
    nextAt: String(r.next_at),
    lastError: (r.last_error as string | null) ?? null,
    detail: (r.detail as string | null) ?? null,
    updatedAt: String(r.updated_at),
    deliveredAt: (r.delivered_at as string | null) ?? null,
  };
}

export async function insertSubscription(sql: SqlDb, s: Subscription): Promise<void> {
  await sql.run(
    `INSERT INTO webhook_subscriptions (id, owner, url, secret, entities, institutions, ops, retry, last_seq, active, created_at, created_by)
     VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    [s.id, s.owner, s.url, s.secret, JSON.stringify(s.entities), JSON.stringify(s.institutions), JSON.stringify(s.ops), JSON.stringify(s.retry), s.cursor, s.active ? 1 : 0, s.createdAt, s.createdBy],
  );
}

export async function getSubscription(sql: SqlDb, id: string): Promise<Subscription | undefined> {
  const [r] = await sql.query('SELECT * FROM webhook_subscriptions WHERE id = ? AND active = 1', [id]);
  return r ? toSubscription(r) : undefined;
}

export async function listSubscriptions(sql: SqlDb, owners?: string[]): Promise<Subscription[]> {
  if (owners && owners.length === 0) return [];
  const where = owners ? ` AND owner IN (${owners.map(() => '?').join(', ')})` : '';
  return (await sql.query(`SELECT * FROM webhook_subscriptions WHERE active = 1${where} ORDER BY created_at, id`, owners ?? [])).map(toSubscription);
}

/** Deactivates a subscription and drops its undelivered rows; delivered and dead ones stay as a record. */
export async function deactivateSubscription(sql: SqlDb, id: string): Promise<boolean> {
  return sql.transaction(async (tx) => {
    const { changes } = await tx.run('UPDATE webhook_subscriptions SET active = 0 WHERE id = ? AND active = 1', [id]);
    if (changes) await tx.run("DELETE FROM webhook_deliveries WHERE subscription_id = ? AND status IN ('pending', 'sending')", [id]);
    return changes > 0;
  });
}

export async function deliveryCounts(sql: SqlDb, id: string): Promise<Record<string, number>> {
  const rows = await sql.query<{ status: string; retrying: number | string; n: number | string }>(
    'SELECT status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END AS retrying, COUNT(*) AS n FROM webhook_deliveries WHERE subscription_id = ? GROUP BY status, CASE WHEN attempts > 0 THEN 1 ELSE 0 END',
    [id],
  );
  const out: Record<string, number> = { pending: 0, retrying: 0, sending: 0, delivered: 0, dead: 0, withheld: 0 };
  for (const r of rows) {
    const k = r.status === 'pending' && Number(r.retrying) === 1 ? 'retrying' : r.status;
    out[k] = (out[k] ?? 0) + Number(r.n);
  }
  return out;
}

export async function listDeliveries(sql: SqlDb, id: string, status: WebhookDeliveryStatus | undefined, limit: number): Promise<WebhookDelivery[]> {
  const args: unknown[] = [id];
  let where = 'subscription_id = ?';
  if (status) {
    where += ' AND status = ?';
    args.push(status);
  }
  args.push(limit);
  return (await sql.query(`SELECT * FROM webhook_deliveries WHERE ${where} ORDER BY seq DESC LIMIT ?`, args)).map(toDelivery);
}

/** How many active subscriptions a consumer holds. */
export async function activeSubscriptions(sql: SqlDb, owner: string): Promise<number> {
  const [r] = await sql.query<{ n: number | string }>('SELECT COUNT(*) AS n FROM webhook_subscriptions WHERE owner = ? AND active = 1', [owner]);
  return Number(r?.n ?? 0);
}
