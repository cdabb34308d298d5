import pg from 'pg';
import { PostgresSql } from './sql.ts';
import { errorMessage, StoreError } from '../../core/errors.ts';
import { stableStringify, uuidv7 } from '../../core/ids.ts';
import type { CanonicalRecord, ChangeEvent, DeliveryStatus, JsonObject, MessageStatus } from '../../core/types.ts';
import { deriveMessageStatus, ROUTED_STATUSES } from '../status.ts';
import type {
  AttemptRow,
  CommitInput,
  CommitResult,
  DeliveryRow,
  MessageFilter,
  MessageHistoryRow,
  MessagePatch,
  NewMessage,
  Store,
  StoredMessage,
  TokenRow,
} from '../types.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { toAttempt, toDelivery, toHistory, toMessage, toRecord, toToken, type Row } from './rows.ts';

const now = () => new Date().toISOString();

const INT8_OID = 20;
/** int8 (bigserial seq, COUNT(*)) as a JS number; sequence numbers stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** SQLSTATEs after which the whole transaction is simply run again. */
const RETRYABLE = new Set(['40P01' /* deadlock_detected */, '40001' /* serialization_failure */]);

type Client = pg.PoolClient;

export interface PostgresStoreOptions {
  /** A schema to create and use (search_path on every connection); default: the server's search_path. */
  schema?: string;
  poolSize?: number;
  /** How long getting a connection may take before the call fails with StoreError (default 5000 ms). */
  connectTimeoutMs?: number;
}

function quoteIdent(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

function wrap(e: unknown): unknown {
  return e instanceof StoreError ? e : new StoreError(`postgres: ${errorMessage(e)}`, { cause: e });
}

function sqlState(e: unknown): string | undefined {
  return typeof e === 'object' && e !== null && 'code' in e && typeof e.code === 'string' ? e.code : undefined;
}

async function one(c: Client | pg.Pool, sql: string, args: unknown[] = []): Promise<Row | undefined> {
  return (await c.query<Row>(sql, args)).rows[0];
}

/**
 * The production store: PostgreSQL through a pg Pool. Behaves like SqliteStore (one conformance
 * suite); where PostgreSQL allows concurrency SQLite does not have, the comments say how it is made safe.
 */
export class PostgresStore implements Store {
  readonly kind = 'postgres' as const;
  readonly pool: pg.Pool;
  /** SQL access for feature modules with tables of their own. */
  readonly sql: PostgresSql;
  private readonly schema: string | undefined;
  private closed = false;

  constructor(url: string, opts: PostgresStoreOptions = {}) {
    if (opts.schema !== undefined && (opts.schema === '' || Buffer.byteLength(opts.schema) > 63)) {
      throw new StoreError(`invalid PostgreSQL schema name '${opts.schema}'`);
    }
    this.schema = opts.schema;
    const setup = `SET TimeZone TO 'UTC'${this.schema === undefined ? '' : `; SET search_path TO ${quoteIdent(this.schema)}`}`;
    this.pool = new pg.Pool({
      connectionString: url,
      max: opts.poolSize ?? 10,
      // An unreachable server fails a query within seconds (StoreError, 503) instead of holding it.
      connectionTimeoutMillis: opts.connectTimeoutMs ?? 5000,
      keepAlive: true,
      types,
      // Runs on every new connection before the pool hands it out.
      onConnect: async (client) => {
        await client.query(setup);
      },
    });
    // A dropped idle connection must not crash the process; the next query opens a new one.
    this.pool.on('error', () => {});
    this.sql = new PostgresSql(this.pool);
  }

  /** Advisory lock keys are per database; the schema name keeps isolated stores from waiting on each other. */
  private lockKey(name: string): string {
    return `study-hub:${name}:${this.schema ?? ''}`;
  }

  private async query(sql: string, args: unknown[] = []): Promise<Row[]> {
    try {
      return (await this.pool.query<Row>(sql, args)).rows;
    } catch (e) {
      throw wrap(e);
    }
  }

  /** Runs fn in one transaction; a deadlock or serialization failure runs it again (up to 3 times). */
  private async tx<T>(fn: (c: Client) => Promise<T>): Promise<T> {
    for (let attempt = 1; ; attempt++) {
      let c: Client;
      try {
        c = await this.pool.connect();
      } catch (e) {
        throw wrap(e);
      }
      let broken: Error | undefined;
      // A checked-out client has no pool listener: a connection lost between two statements would
      // be an unhandled 'error' event (a crash). Keep it; the statement in progress fails anyway.
      const onError = (err: Error) => (broken = err);
      c.on('error', onError);
      try {
        await c.query('BEGIN');
        const result = await fn(c);
        await c.query('COMMIT');
        return result;
      } catch (e) {
        await c.query('ROLLBACK').catch((re: unknown) => (broken = re instanceof Error ? re : new Error(String(re))));
        if (attempt < 3 && RETRYABLE.has(sqlState(e) ?? '')) continue;
        throw wrap(e);
      } finally {
        c.removeListener('error', onError);
        c.release(broken);
      }
    }
  }

  async migrate(): Promise<void> {
    await this.tx(async (c) => {
      // Several processes starting at once: one migrates, the others wait and then find nothing to do.
      await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [this.lockKey('migrate')]);
      if (this.schema !== undefined) {
        await c.query(`CREATE SCHEMA IF NOT EXISTS ${quoteIdent(this.schema)}`);
      }
      await c.query('CREATE TABLE IF NOT EXISTS schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
      const current = Number((await one(c, 'SELECT COALESCE(MAX(version), 0) AS v FROM schema_migrations'))?.v ?? 0);
      for (let i = current; i < POSTGRES_MIGRATIONS.length; i++) {
        await c.query(POSTGRES_MIGRATIONS[i]!);
        await c.query('INSERT INTO schema_migrations (version) VALUES ($1)', [i + 1]);
      }
    });
  }

  async ping(): Promise<void> {
    await this.query('SELECT 1');
  }

  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await this.pool.end();
  }

  private async history(c: Client, id: string, status: string, detail: string | null): Promise<void> {
    await c.query('INSERT INTO message_history (message_id, at, status, detail) VALUES ($1, $2, $3, $4)', [id, now(), status, detail]);
  }

  async insertMessage(m: NewMessage): Promise<{ message: StoredMessage; duplicate: boolean }> {
    return this.tx(async (c) => {
      const t = now();
      const args = [m.id, m.idempotencyKey, m.sourceId, m.entity, m.institution, m.status, m.contentType, m.raw, m.rawSize, JSON.stringify(m.errors ?? []), m.errorCode ?? null, m.errorDetail ?? null, t];
      const insert = `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, errors, error_code, error_detail, created_at, updated_at)
                      VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $13)`;
      if (!m.idempotencyKey) {
        await c.query(insert, args);
      } else {
        // Two identical inputs at once: the second insert waits for the first and then does nothing.
        for (let i = 0; ; i++) {
          const ins = await c.query(`${insert} ON CONFLICT (idempotency_key) DO NOTHING`, args);
          if (ins.rowCount === 1) break;
          const existing = await one(c, 'SELECT * FROM messages WHERE idempotency_key = $1', [m.idempotencyKey]);
          if (existing) return { message: toMessage(existing), duplicate: true };
          // The holder of the key freed it in between: insert again.
          if (i >= 3) throw new StoreError(`idempotency key of message ${m.id} keeps changing hands`);
        }
      }
      await this.history(c, m.id, m.status, m.errorDetail ?? null);
      return { message: toMessage((await one(c, 'SELECT * FROM messages WHERE id = $1', [m.id]))!), duplicate: false };
    });
  }

  async updateMessage(id: string, patch: MessagePatch, historyDetail?: string): Promise<void> {
    const sets: string[] = [];
    const args: unknown[] = [];
    const col = (c: string, v: unknown, cast = '') => {
      args.push(v);
      sets.push(`${c} = $${args.length}${cast}`);
    };
    if (patch.status !== undefined) col('status', patch.status);
    if (patch.canonical !== undefined) col('canonical', patch.canonical === null ? null : JSON.stringify(patch.canonical), '::jsonb');
    if (patch.errors !== undefined) col('errors', JSON.stringify(patch.errors), '::jsonb');
    if (patch.errorCode !== undefined) col('error_code', patch.errorCode);
    if (patch.errorDetail !== undefined) col('error_detail', patch.errorDetail);
    if (patch.institution !== undefined) col('institution', patch.institution);
    if (patch.businessKey !== undefined) col('business_key', patch.businessKey);
    if (patch.idempotencyKey !== undefined) col('idempotency_key', null);
    col('updated_at', now());
    args.push(id);
    await this.tx(async (c) => {
      await c.query(`UPDATE messages SET ${sets.join(', ')} WHERE id = $${args.length}`, args);
      if (patch.status !== undefined) await this.history(c, id, patch.status, historyDetail ?? patch.errorDetail ?? null);
    });
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const r = (await this.query('SELECT * FROM messages WHERE id = $1', [id]))[0];
    return r ? toMessage(r) : undefined;
  }

  async listMessages(f: MessageFilter): Promise<StoredMessage[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const cond = (sql: string, v: unknown) => {
      args.push(v);
      where.push(sql.replace('?', `$${args.length}`));
    };
    if (f.status) cond('status = ?', f.status);
    if (f.sourceId) cond('source_id = ?', f.sourceId);
    if (f.entity) cond('entity = ?', f.entity);
    if (f.institution) cond('institution = ?', f.institution);
    if (f.since) cond('created_at >= ?::timestamptz', f.since);
    if (f.before) cond('id < ?', f.before);
    args.push(f.limit);
    const sql = `SELECT * FROM messages ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY id DESC LIMIT $${args.length}`;
    return (await this.query(sql, args)).map(toMessage);
  }

  async messageHistory(id: string): Promise<MessageHistoryRow[]> {
    return (await this.query('SELECT at, status, detail FROM message_history WHERE message_id = $1 ORDER BY n', [id])).map(toHistory);
  }

  async countMessagesByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.query('SELECT status, COUNT(*) AS n FROM messages GROUP BY status')) out[r.status as string] = Number(r.n);
    return out;
  }

  private async markMessage(c: Client, messageId: string, status: MessageStatus, rec: CanonicalRecord, t: string, detail: string): Promise<void> {
    await c.query('UPDATE messages SET status = $1, record_id = $2, record_version = $3, updated_at = $4 WHERE id = $5', [status, rec.id, rec.version, t, messageId]);
    await this.history(c, messageId, status, detail);
  }

  /**
   * Lock order, to stay free of deadlocks: first the record (FOR UPDATE, or the unique key of a new
   * one) and the message row, then the change-sequence lock, held until COMMIT.
   */
  async commit(input: CommitInput): Promise<CommitResult> {
    return this.tx(async (c): Promise<CommitResult> => {
      const t = now();
      const key = [input.entity, input.institution, input.sourceSystem, input.sourceId];
      for (let round = 0; ; round++) {
        const existing = await one(c, 'SELECT * FROM records WHERE entity = $1 AND institution = $2 AND source_system = $3 AND source_id = $4 FOR UPDATE', key);
        const prev = existing ? toRecord(existing) : undefined;
        if (prev && input.sourceUpdatedAt && prev.sourceUpdatedAt && input.sourceUpdatedAt < prev.sourceUpdatedAt) {
          await this.markMessage(c, input.messageId, 'stale', prev, t, `source timestamp ${input.sourceUpdatedAt} is older than stored ${prev.sourceUpdatedAt} (version ${prev.version})`);
          return { outcome: 'stale', record: prev };
        }
        const deleted = input.op === 'delete';
        if (prev && prev.deleted === deleted && stableStringify(prev.data) === stableStringify({ ...input.data, id: prev.id, version: prev.version })) {
          await this.markMessage(c, input.messageId, 'unchanged', prev, t, `same content as version ${prev.version}`);
          return { outcome: 'unchanged', record: prev };
        }
        const id = prev?.id ?? uuidv7();
        const version = (prev?.version ?? 0) + 1;
        const data = { ...input.data, id, version };
        const dataText = JSON.stringify(data);
        if (prev) {
          await c.query('UPDATE records SET version = $1, deleted = $2, data = $3::jsonb, source_updated_at = COALESCE($4, source_updated_at), updated_at = $5 WHERE id = $6', [
            version,
            deleted,
            dataText,
            input.sourceUpdatedAt,
            t,
            id,
          ]);
        } else {
          // seq 0 until the change is numbered below; nobody sees the row before COMMIT.
          const ins = await c.query(
            `INSERT INTO records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at, updated_at)
             VALUES ($1, $2, $3, $4, $5, $6, 0, $7, $8::jsonb, $9, $10)
             ON CONFLICT (entity, institution, source_system, source_id) DO NOTHING`,
            [id, ...key, version, deleted, dataText, input.sourceUpdatedAt, t],
          );
          if (ins.rowCount !== 1) {
            // A concurrent commit created the record first (we waited for it): lock it and start over.
            if (round >= 3) throw new StoreError(`record ${key.join('/')} keeps changing under commit`);
            continue;
          }
        }
        await c.query('INSERT INTO record_versions (record_id, version, data, message_id, at) VALUES ($1, $2, $3::jsonb, $4, $5)', [id, version, dataText, input.messageId, t]);
        const eventId = uuidv7();
        await c.query('UPDATE messages SET status = $1, record_id = $2, record_version = $3, event_id = $4, updated_at = $5 WHERE id = $6', ['committed', id, version, eventId, t, input.messageId]);

        // Feed paging reads changes by seq, so a reader must never see seq N+1 committed while N is
        // still in flight. A sequence alone does not give that (N+1 may commit first). This
        // transaction-level advisory lock, held from drawing the number until COMMIT, makes
        // sequence numbers become visible strictly in order. Only rows this transaction already
        // holds are touched after it, so it cannot take part in a deadlock.
        await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [this.lockKey('changes')]);
        const seq = Number((await one(c, `SELECT nextval(pg_get_serial_sequence('changes', 'seq')) AS seq`))!.seq);
        const event: ChangeEvent = {
          eventId,
          seq,
          entity: input.entity,
          op: input.op,
          schemaVersion: input.schemaVersion,
          source: input.source,
          institution: input.institution,
          occurredAt: t,
          recordId: id,
          version,
          messageId: input.messageId,
          ...(deleted ? {} : { record: data }),
        };
        await c.query('INSERT INTO changes (seq, event_id, entity, institution, record_id, message_id, event) VALUES ($1, $2, $3, $4, $5, $6, $7::jsonb)', [
          seq,
          eventId,
          input.entity,
          input.institution,
          id,
          input.messageId,
          JSON.stringify(event),
        ]);
        const rec = await one(c, 'UPDATE records SET seq = $1 WHERE id = $2 RETURNING *', [seq, id]);
        await this.history(c, input.messageId, 'committed', `record ${id} version ${version}, change ${seq}`);
        return { outcome: prev ? 'updated' : 'created', record: toRecord(rec!), event };
      }
    });
  }

  async getRecord(entity: string, id: string): Promise<CanonicalRecord | undefined> {
    const r = (await this.query('SELECT * FROM records WHERE entity = $1 AND id = $2', [entity, id]))[0];
    return r ? toRecord(r) : undefined;
  }

  async getRecordVersion(id: string, version: number): Promise<JsonObject | undefined> {
    const r = (await this.query('SELECT data FROM record_versions WHERE record_id = $1 AND version = $2', [id, version]))[0];
    return r ? (r.data as JsonObject) : undefined;
  }

  /**
   * Several relays may read the same rows and publish them twice; markPublished only touches rows
   * still unpublished, and consumers drop duplicates by event id.
   */
  async pendingOutbox(limit: number): Promise<ChangeEvent[]> {
    return (await this.query('SELECT event FROM changes WHERE published_at IS NULL ORDER BY seq LIMIT $1', [limit])).map((r) => r.event as ChangeEvent);
  }

  async markPublished(items: { eventId: string; messageId: string | null; routeIds: string[] }[]): Promise<void> {
    if (items.length === 0) return;
    const t = now();
    await this.tx(async (c) => {
      for (const it of items) {
        if (it.messageId) await this.lockMessage(c, it.messageId);
        await c.query('UPDATE changes SET published_at = $1 WHERE event_id = $2 AND published_at IS NULL', [t, it.eventId]);
        for (const r of it.routeIds) {
          await c.query('INSERT INTO deliveries (event_id, route_id, message_id, status, updated_at) VALUES ($1, $2, $3, $4, $5) ON CONFLICT DO NOTHING', [it.eventId, r, it.messageId, 'pending', t]);
        }
        if (it.messageId) await this.refreshMessageStatus(c, it.messageId, it.eventId);
      }
    });
  }

  /**
   * Serialises the transactions that change a message's deliveries: two workers finishing two
   * routes of one event at once would otherwise each miss the other's update and derive a stale status.
   */
  private async lockMessage(c: Client, messageId: string): Promise<void> {
    await c.query('SELECT 1 FROM messages WHERE id = $1 FOR UPDATE', [messageId]);
  }

  private async refreshMessageStatus(c: Client, messageId: string, eventId: string): Promise<void> {
    const msg = await one(c, 'SELECT status, event_id FROM messages WHERE id = $1', [messageId]);
    if (!msg || msg.event_id !== eventId) return;
    if (msg.status !== 'committed' && !ROUTED_STATUSES.includes(msg.status as MessageStatus)) return;
    const statuses = (await c.query<Row>('SELECT status FROM deliveries WHERE event_id = $1', [eventId])).rows.map((r) => r.status as DeliveryStatus);
    const next = deriveMessageStatus(statuses);
    if (next !== msg.status) {
      await c.query('UPDATE messages SET status = $1, updated_at = $2 WHERE id = $3', [next, now(), messageId]);
      await this.history(c, messageId, next, null);
    }
  }

  async getEvent(eventId: string): Promise<ChangeEvent | undefined> {
    const r = (await this.query('SELECT event FROM changes WHERE event_id = $1', [eventId]))[0];
    return r ? (r.event as ChangeEvent) : undefined;
  }

  async getDelivery(eventId: string, routeId: string): Promise<DeliveryRow | undefined> {
    const r = (await this.query('SELECT * FROM deliveries WHERE event_id = $1 AND route_id = $2', [eventId, routeId]))[0];
    return r ? toDelivery(r) : undefined;
  }

  async beginAttempt(eventId: string, routeId: string): Promise<{ proceed: boolean; attempt: number }> {
    // One statement: competing workers each get their own attempt number, and a delivered one is
    // left alone. A consumer faster than the relay's markPublished creates the delivery; it takes
    // the message id from the change, so that it is listed under its message all the same.
    const rows = await this.query(
      `INSERT INTO deliveries (event_id, route_id, message_id, status, attempts, updated_at)
       VALUES ($1, $2, (SELECT message_id FROM changes WHERE event_id = $1), 'pending', 1, $3)
       ON CONFLICT (event_id, route_id) DO UPDATE SET attempts = deliveries.attempts + 1, updated_at = excluded.updated_at
       WHERE deliveries.status <> 'delivered'
       RETURNING attempts`,
      [eventId, routeId, now()],
    );
    if (rows[0]) return { proceed: true, attempt: Number(rows[0].attempts) };
    const r = (await this.query('SELECT attempts FROM deliveries WHERE event_id = $1 AND route_id = $2', [eventId, routeId]))[0];
    return { proceed: false, attempt: Number(r?.attempts ?? 0) };
  }

  async finishAttempt(a: Omit<AttemptRow, 'at'> & { status: DeliveryStatus }): Promise<void> {
    const t = now();
    await this.tx(async (c) => {
      const d = await one(c, 'SELECT message_id FROM deliveries WHERE event_id = $1 AND route_id = $2', [a.eventId, a.routeId]);
      const messageId = (d?.message_id as string | null | undefined) ?? null;
      if (messageId) await this.lockMessage(c, messageId);
      await c.query(
        `UPDATE deliveries SET status = $1, last_error = $2, updated_at = $3, delivered_at = CASE WHEN $1 = 'delivered' THEN $3::timestamptz ELSE delivered_at END
         WHERE event_id = $4 AND route_id = $5`,
        [a.status, a.error, t, a.eventId, a.routeId],
      );
      await c.query('INSERT INTO delivery_attempts (event_id, route_id, message_id, attempt, at, outcome, error, detail, duration_ms) VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)', [
        a.eventId,
        a.routeId,
        messageId,
        a.attempt,
        t,
        a.outcome,
        a.error,
        a.detail,
        Math.round(a.durationMs),
      ]);
      if (messageId) await this.refreshMessageStatus(c, messageId, a.eventId);
    });
  }

  async resetDeliveries(messageId: string, statuses: DeliveryStatus[]): Promise<{ eventId: string; routeId: string }[]> {
    return this.tx(async (c) => {
      await this.lockMessage(c, messageId);
      const rows = (await c.query<Row>('SELECT event_id, route_id, status FROM deliveries WHERE message_id = $1 FOR UPDATE', [messageId])).rows.filter((r) =>
        statuses.includes(r.status as DeliveryStatus),
      );
      const t = now();
      for (const r of rows) {
        await c.query('UPDATE deliveries SET status = $1, attempts = 0, last_error = NULL, updated_at = $2 WHERE event_id = $3 AND route_id = $4', ['pending', t, r.event_id, r.route_id]);
      }
      if (rows[0]) await this.refreshMessageStatus(c, messageId, rows[0].event_id as string);
      return rows.map((r) => ({ eventId: r.event_id as string, routeId: r.route_id as string }));
    });
  }

  async listDeliveries(messageId: string): Promise<DeliveryRow[]> {
    return (await this.query('SELECT * FROM deliveries WHERE message_id = $1 ORDER BY route_id', [messageId])).map(toDelivery);
  }

  async listAttempts(messageId: string): Promise<AttemptRow[]> {
    return (await this.query('SELECT * FROM delivery_attempts WHERE message_id = $1 ORDER BY n', [messageId])).map(toAttempt);
  }

  async countDeliveriesByStatus(): Promise<{ routeId: string; status: DeliveryStatus; count: number }[]> {
    return (await this.query('SELECT route_id, status, COUNT(*) AS n FROM deliveries GROUP BY route_id, status')).map((r) => ({
      routeId: r.route_id as string,
      status: r.status as DeliveryStatus,
      count: Number(r.n),
    }));
  }

  async createToken(t: { id: string; name: string; hash: string; scopes: string[] }): Promise<void> {
    await this.query('INSERT INTO tokens (id, name, hash, scopes, created_at) VALUES ($1, $2, $3, $4::jsonb, $5)', [t.id, t.name, t.hash, JSON.stringify(t.scopes), now()]);
  }

  async findToken(hash: string): Promise<TokenRow | undefined> {
    const r = (await this.query('SELECT * FROM tokens WHERE hash = $1 AND revoked_at IS NULL', [hash]))[0];
    return r ? toToken(r) : undefined;
  }

  async listTokens(): Promise<TokenRow[]> {
    return (await this.query('SELECT * FROM tokens ORDER BY created_at, n')).map(toToken);
  }

  async revokeToken(id: string): Promise<boolean> {
    return (await this.query('UPDATE tokens SET revoked_at = $1 WHERE id = $2 AND revoked_at IS NULL RETURNING id', [now(), id])).length > 0;
  }

  async getMeta(key: string): Promise<string | undefined> {
    const r = (await this.query('SELECT value FROM meta WHERE key = $1', [key]))[0];
    return r ? (r.value as string) : undefined;
  }

  async setMeta(key: string, value: string): Promise<void> {
    await this.query('INSERT INTO meta (key, value) VALUES ($1, $2) ON CONFLICT (key) DO UPDATE SET value = excluded.value', [key, value]);
  }
}
