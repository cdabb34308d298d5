import pg from 'pg';
import { PostgresSql } from './sql.ts';
import type { SqlDb } from '../sql.ts';
import { versionData } from '../json-sql.ts';
import { errorMessage, HubError, MalformedInputError, StoreError } from '../../core/errors.ts';
import type { CanonicalRecord, ChangeEvent, DeliveryStatus, JsonObject, MessageStatus } from '../../core/types.ts';
import { deriveMessageStatus, ROUTED_STATUSES } from '../status.ts';
import { CLAIM_TIMEOUT_MS, refusedClaim, type DeliveryClaim, type HeldClaim } from '../claims.ts';
import type {
  AttemptOutcome,
  AttemptRow,
  MessageTrail,
  CommitInput,
  CommitResult,
  DeliveryRow,
  IngestItem,
  IngestItemResult,
  MessageFilter,
  MessageHistoryRow,
  MessagePatch,
  NewMessage,
  Store,
  StoredMessage,
  TokenRow,
} from '../types.ts';
import { MESSAGE_SUMMARY_COLUMNS } from '../types.ts';
import { ingestBatchWith, KEY_TAKEN, pointMessages, writeRecords, type BatchHost, type HistoryRow, type Unnumbered } from './ingest-batch.ts';
import { extendsTrail, ingestHistory, mergeHistory, trailLine } from '../trail.ts';
import { POSTGRES_MIGRATIONS } from './migrations.ts';
import { iso, MESSAGE_ROW, toAttempt, toDelivery, toHistory, toMessage, toRecord, toToken, type Row } from './rows.ts';

const now = () => new Date().toISOString();

const INT8_OID = 20;
/** int8 (bigserial seq, COUNT(*)) as a JS number; sequence numbers stay far below 2^53. */
const types = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === INT8_OID && format !== 'binary' ? (v: string) => Number(v) : pg.types.getTypeParser(oid, format ?? 'text')) as typeof pg.types.getTypeParser,
};

/** What ingestBatch's transaction throws to be rolled back and run again (ingest-batch.ts, KEY_TAKEN). */
const KEY_TAKEN_AGAIN = new Error('an idempotency key was taken by another transaction meanwhile');

/** A message's stored history lines, deliveries and attempts (messageHistory, listDeliveries, listAttempts, messageTrail). */
const STORED_HISTORY = 'SELECT at, status, detail FROM message_history WHERE message_id = $1 ORDER BY n';
const DELIVERIES_OF_MESSAGE = 'SELECT * FROM deliveries WHERE message_id = $1 ORDER BY route_id';
const ATTEMPTS_OF_MESSAGE = 'SELECT * FROM delivery_attempts WHERE message_id = $1 ORDER BY n';

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

/**
 * A PostgreSQL error as a hub error: a data exception (SQLSTATE class 22, e.g. a string with \u0000,
 * which jsonb cannot hold) is the value's fault and fails the same way every time, so it is not
 * retryable: the pipeline then takes the chunk record by record and rejects that record alone.
 * Anything else is an outage (StoreError, 503, retryable).
 */
function wrap(e: unknown): unknown {
  if (e instanceof HubError) return e;
  if (sqlState(e)?.startsWith('22')) return new MalformedInputError(`PostgreSQL cannot store a value of the record: ${errorMessage(e)}`, { cause: e });
  return new StoreError(`postgres: ${errorMessage(e)}`, { cause: e });
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
  private async tx<T>(fn: (c: Client) => Promise<T>, begin = 'BEGIN'): Promise<T> {
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
        await c.query(begin);
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

  private async histories(c: Client, rows: HistoryRow[]): Promise<void> {
    if (rows.length === 0) return;
    await c.query('INSERT INTO message_history (message_id, at, status, detail) SELECT m, $4, s, d FROM unnest($1::text[], $2::text[], $3::text[]) AS u(m, s, d)', [
      rows.map((r) => r.id),
      rows.map((r) => r.status),
      rows.map((r) => r.detail),
      now(),
    ]);
  }

  async insertMessage(m: NewMessage): Promise<{ message: StoredMessage; duplicate: boolean }> {
    return this.tx((c) => this.insertWith(c, m));
  }

  /** insertMessage on a client in a transaction. */
  private async insertWith(c: Client, m: NewMessage): Promise<{ message: StoredMessage; duplicate: boolean }> {
    const t = now();
    const args = [
      m.id,
      m.idempotencyKey,
      m.sourceId,
      m.entity,
      m.institution,
      m.status,
      m.contentType,
      m.raw,
      m.rawSize,
      JSON.stringify(m.errors ?? []),
      m.errorCode ?? null,
      m.errorDetail ?? null,
      t,
    ];
    const insert = `INSERT INTO messages (id, idempotency_key, source_id, entity, institution, status, content_type, raw, raw_size, errors, error_code, error_detail, created_at, updated_at)
                    VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10::jsonb, $11, $12, $13, $13)`;
    let row: Row | undefined;
    if (!m.idempotencyKey) {
      row = await one(c, `${insert} RETURNING *`, args);
    } else {
      // Two identical inputs at once: the second insert waits for the first and then does nothing.
      for (let i = 0; ; i++) {
        row = await one(c, `${insert} ON CONFLICT (idempotency_key) DO NOTHING RETURNING *`, args);
        if (row) break;
        const existing = await one(c, `${MESSAGE_ROW} WHERE m.idempotency_key = $1`, [m.idempotencyKey]);
        if (existing) return { message: toMessage(existing), duplicate: true };
        // The holder of the key freed it in between: insert again.
        if (i >= 3) throw new StoreError(`idempotency key of message ${m.id} keeps changing hands`);
      }
    }
    await this.histories(c, [{ id: m.id, status: m.status, detail: m.errorDetail ?? null }]);
    return { message: toMessage(row!), duplicate: false };
  }

  async updateMessage(id: string, patch: MessagePatch, historyDetail?: string): Promise<void> {
    await this.tx((c) => this.patchWith(c, id, patch, historyDetail));
  }

  /** updateMessage on a client in a transaction. */
  private async patchWith(c: Client, id: string, patch: MessagePatch, historyDetail?: string): Promise<void> {
    if (patch.status !== undefined) await this.materialize(c, id);
    const sets: string[] = [];
    const args: unknown[] = [];
    const col = (name: string, v: unknown, cast = '') => {
      args.push(v);
      sets.push(`${name} = $${args.length}${cast}`);
    };
    if (patch.status !== undefined) col('status', patch.status);
    if (patch.canonical !== undefined) {
      col('canonical', patch.canonical === null ? null : JSON.stringify(patch.canonical), '::jsonb');
      col('canonical_in_version', false);
    }
    if (patch.errors !== undefined) col('errors', JSON.stringify(patch.errors), '::jsonb');
    if (patch.errorCode !== undefined) col('error_code', patch.errorCode);
    if (patch.errorDetail !== undefined) col('error_detail', patch.errorDetail);
    if (patch.institution !== undefined) col('institution', patch.institution);
    if (patch.businessKey !== undefined) col('business_key', patch.businessKey);
    if (patch.idempotencyKey !== undefined) col('idempotency_key', null);
    col('updated_at', now());
    args.push(id);
    await c.query(`UPDATE messages SET ${sets.join(', ')} WHERE id = $${args.length}`, args);
    if (patch.status !== undefined) await this.histories(c, [{ id, status: patch.status, detail: historyDetail ?? patch.errorDetail ?? null }]);
  }

  /**
   * Before a status change outside the ingest's chunk (replay, the one-record path): the ingest's
   * derived history becomes rows, in front of the rows written since, so that it no longer depends
   * on the row's status and pointers, which change now. The message row is locked first.
   */
  private async materialize(c: Client, id: string): Promise<void> {
    const derived = await this.derivedHistory(c, id, true);
    if (derived.length === 0) return;
    const later = (await c.query<Row>('DELETE FROM message_history WHERE message_id = $1 RETURNING n, at, status, detail', [id])).rows.sort((x, y) => Number(x.n) - Number(y.n)).map(toHistory);
    const rows = mergeHistory(derived, later);
    await c.query(
      'INSERT INTO message_history (message_id, at, status, detail) SELECT $1, a, s, d FROM unnest($2::timestamptz[], $3::text[], $4::text[]) WITH ORDINALITY AS u(a, s, d, k) ORDER BY k',
      [id, rows.map((h) => h.at), rows.map((h) => h.status), rows.map((h) => h.detail)],
    );
    await c.query('UPDATE messages SET trail = NULL WHERE id = $1', [id]);
  }

  /** The ingest's history derived from the message row (src/store/trail.ts); `lock`: the row locked for update. */
  private async derivedHistory(c: Client | pg.Pool, id: string, lock = false): Promise<MessageHistoryRow[]> {
    const r = await one(
      c,
      `SELECT m.trail, m.created_at, m.record_id, m.record_version, m.error_detail, (SELECT ch.seq FROM changes ch WHERE ch.event_id = m.event_id) AS seq FROM messages m WHERE m.id = $1${lock ? ' FOR UPDATE OF m' : ''}`,
      [id],
    );
    if (!r?.trail) return [];
    return ingestHistory({
      trail: r.trail as string,
      createdAt: iso(r.created_at),
      recordId: (r.record_id as string | null) ?? null,
      recordVersion: r.record_version == null ? null : Number(r.record_version),
      seq: r.seq == null ? null : Number(r.seq),
      errorDetail: (r.error_detail as string | null) ?? null,
    });
  }

  async getMessage(id: string): Promise<StoredMessage | undefined> {
    const r = (await this.query(`${MESSAGE_ROW} WHERE m.id = $1`, [id]))[0];
    return r ? toMessage(r) : undefined;
  }

  async listMessages(f: MessageFilter): Promise<StoredMessage[]> {
    const where: string[] = [];
    const args: unknown[] = [];
    const cond = (sql: string, v: unknown) => {
      args.push(v);
      where.push(`m.${sql.replace('?', `$${args.length}`)}`);
    };
    if (f.status) cond('status = ?', f.status);
    if (f.sourceId) cond('source_id = ?', f.sourceId);
    if (f.entity) cond('entity = ?', f.entity);
    if (f.institution) cond('institution = ?', f.institution);
    if (f.since) cond('created_at >= ?::timestamptz', f.since);
    if (f.before) cond('id < ?', f.before);
    args.push(f.limit);
    const sql = `${f.summaryOnly ? `SELECT ${MESSAGE_SUMMARY_COLUMNS} FROM messages m` : MESSAGE_ROW} ${where.length ? `WHERE ${where.join(' AND ')}` : ''} ORDER BY m.id DESC LIMIT $${args.length}`;
    return (await this.query(sql, args)).map(toMessage);
  }

  /** The ingest's history derived from the message row (src/store/trail.ts), then the rows written since. */
  async messageHistory(id: string): Promise<MessageHistoryRow[]> {
    try {
      const [derived, rows] = await Promise.all([this.derivedHistory(this.pool, id), this.query(STORED_HISTORY, [id])]);
      return mergeHistory(derived, rows.map(toHistory));
    } catch (e) {
      throw wrap(e);
    }
  }

  /** One REPEATABLE READ snapshot on one connection: a delivery finished meanwhile is seen whole or not at all. */
  async messageTrail(id: string): Promise<MessageTrail> {
    return this.tx(async (c) => {
      const derived = await this.derivedHistory(c, id);
      const stored = (await c.query<Row>(STORED_HISTORY, [id])).rows;
      const deliveries = (await c.query<Row>(DELIVERIES_OF_MESSAGE, [id])).rows;
      const attempts = (await c.query<Row>(ATTEMPTS_OF_MESSAGE, [id])).rows;
      return { history: mergeHistory(derived, stored.map(toHistory)), deliveries: deliveries.map(toDelivery), attempts: attempts.map(toAttempt) };
    }, 'BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY');
  }

  async countMessagesByStatus(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    for (const r of await this.query('SELECT status, COUNT(*) AS n FROM messages GROUP BY status')) out[r.status as string] = Number(r.n);
    return out;
  }

  /** One record in one transaction: the same two halves as an ingest chunk (./ingest-batch.ts). */
  async commit(input: CommitInput): Promise<CommitResult> {
    return this.tx(async (c) => {
      await this.materialize(c, input.messageId);
      const t = now();
      const { steps, pointers } = await writeRecords(c, [input], t);
      const [step] = steps;
      const [pointer] = pointers;
      await pointMessages(c, pointers, t);
      if ('outcome' in step!) {
        await this.histories(c, [{ id: input.messageId, status: pointer!.status, detail: pointer!.detail }]);
        return step;
      }
      return (await this.numberWith(c, [step!], true))[0]!;
    });
  }

  /** One ingest call's records in one transaction, set-based (./ingest-batch.ts). */
  async ingestBatch(items: IngestItem[]): Promise<IngestItemResult[]> {
    if (items.length === 0) return [];
    const host: BatchHost = { histories: (c, rows) => this.histories(c, rows), numberWith: (c, steps, history) => this.numberWith(c, steps, history) };
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.tx(async (c) => {
          const results = await ingestBatchWith(c, host, items, now());
          // Rolled back, and run again: the key's message is then found as an earlier copy.
          if (results === KEY_TAKEN) throw KEY_TAKEN_AGAIN;
          return results;
        });
      } catch (e) {
        if (attempt < 5 && e instanceof StoreError && e.cause === KEY_TAKEN_AGAIN) continue;
        throw e;
      }
    }
  }

  /**
   * The second half: the changes numbered, in the order given, and appended to the outbox, with the
   * pending delivery of each matched route. Feed paging reads changes by seq, so a reader must never
   * see seq N+1 committed while N is still in flight; a sequence alone does not give that (N+1 may
   * commit first). The transaction-level advisory lock, held from drawing the numbers until COMMIT,
   * makes sequence numbers become visible strictly in order. Only rows this transaction already holds
   * are touched after it, so it cannot take part in a deadlock.
   */
  private async numberWith(c: Client, steps: Unnumbered[], history: boolean): Promise<CommitResult[]> {
    if (steps.length === 0) return [];
    await c.query('SELECT pg_advisory_xact_lock(hashtextextended($1, 0))', [this.lockKey('changes')]);
    const seqs = (await c.query<Row>(`SELECT nextval(pg_get_serial_sequence('changes', 'seq')) AS seq FROM generate_series(1, $1)`, [steps.length])).rows
      .map((r) => Number(r.seq))
      .sort((x, y) => x - y);
    const results = steps.map((s, i): CommitResult => {
      const { input, record } = s;
      const event: ChangeEvent = {
        eventId: s.eventId,
        seq: seqs[i]!,
        entity: input.entity,
        op: input.op,
        schemaVersion: input.schemaVersion,
        source: input.source,
        institution: input.institution,
        occurredAt: s.t,
        recordId: record.id,
        version: record.version,
        messageId: input.messageId,
        ...(record.deleted ? {} : { record: record.data }),
      };
      return { outcome: s.created ? 'created' : 'updated', record: { ...record, seq: event.seq }, event };
    });
    const events = results.map((r) => r.event!);
    // Each change is its record's version: the data is the event's record, or for a deletion its own column.
    await c.query(
      `INSERT INTO changes (seq, event_id, entity, institution, record_id, message_id, event, version, data)
       SELECT * FROM unnest($1::bigint[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::jsonb[], $8::integer[], $9::jsonb[])`,
      [
        events.map((e) => e.seq),
        events.map((e) => e.eventId),
        events.map((e) => e.entity),
        events.map((e) => e.institution),
        events.map((e) => e.recordId),
        events.map((e) => e.messageId),
        events.map((e) => JSON.stringify(e)),
        events.map((e) => e.version),
        results.map((r) => (r.record.deleted ? JSON.stringify(r.record.data) : null)),
      ],
    );
    // A record changed twice in one batch takes its last number.
    const lastSeq = new Map(events.map((e) => [e.recordId, e.seq]));
    await c.query('UPDATE records SET seq = u.seq FROM unnest($1::text[], $2::bigint[]) AS u(id, seq) WHERE records.id = u.id', [[...lastSeq.keys()], [...lastSeq.values()]]);
    if (history) {
      await this.histories(
        c,
        results.map((r) => ({ id: r.event!.messageId!, status: 'committed', detail: `record ${r.record.id} version ${r.record.version}, change ${r.event!.seq}` })),
      );
    }
    return results;
  }

  async getRecord(entity: string, id: string): Promise<CanonicalRecord | undefined> {
    const r = (await this.query('SELECT * FROM records WHERE entity = $1 AND id = $2', [entity, id]))[0];
    return r ? toRecord(r) : undefined;
  }

  async getRecordVersion(id: string, version: number): Promise<JsonObject | undefined> {
    const r = (await this.query(`SELECT ${versionData('postgres', 'c')} AS data FROM changes c WHERE c.record_id = $1 AND c.version = $2`, [id, version]))[0];
    return r ? (r.data as JsonObject) : undefined;
  }

  /**
   * Several relays may read the same rows and publish them twice; markPublished only touches rows
   * still unpublished, and consumers drop duplicates by event id.
   */
  async pendingOutbox(limit: number): Promise<ChangeEvent[]> {
    return (await this.query('SELECT event FROM changes WHERE published_at IS NULL ORDER BY seq LIMIT $1', [limit])).map((r) => r.event as ChangeEvent);
  }

  async countUnpublished(limit: number): Promise<number> {
    return Number((await this.query('SELECT COUNT(*) AS n FROM (SELECT 1 FROM changes WHERE published_at IS NULL LIMIT $1) AS u', [limit]))[0]!.n);
  }

  async markPublished(items: { eventId: string; messageId: string | null; routeIds: string[] }[]): Promise<void> {
    if (items.length === 0) return;
    const t = now();
    await this.tx(async (c) => {
      const locked = await this.lockMessages(
        c,
        items.flatMap((it) => (it.messageId ? [it.messageId] : [])),
      );
      await c.query('UPDATE changes SET published_at = $1 WHERE event_id = ANY($2::text[]) AND published_at IS NULL', [t, items.map((it) => it.eventId)]);
      const routed = items.flatMap((it) => it.routeIds.map((routeId) => ({ eventId: it.eventId, routeId, messageId: it.messageId })));
      if (routed.length) {
        await c.query(
          `INSERT INTO deliveries (event_id, route_id, message_id, status, updated_at)
           SELECT e, r, m, 'pending', $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(e, r, m) ON CONFLICT DO NOTHING`,
          [routed.map((d) => d.eventId), routed.map((d) => d.routeId), routed.map((d) => d.messageId), t],
        );
      }
      await this.refreshStatuses(
        c,
        locked,
        items.flatMap((it) => (it.messageId ? [{ messageId: it.messageId, eventId: it.eventId }] : [])),
      );
    });
  }

  /**
   * Locks messages (in id order, so that two batches cannot deadlock) and returns their status and
   * event. Serialises the transactions that change a message's deliveries: two workers finishing two
   * routes of one event at once would otherwise each miss the other's update and derive a stale status.
   */
  private async lockMessages(c: Client, ids: string[]): Promise<Map<string, Row>> {
    if (ids.length === 0) return new Map();
    const rows = (await c.query<Row>('SELECT id, status, event_id, trail FROM messages WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE', [[...new Set(ids)]])).rows;
    return new Map(rows.map((r) => [r.id as string, r]));
  }

  /** Sets each (locked) message's status from its event's deliveries, where that changed it. */
  private async refreshStatuses(c: Client, locked: Map<string, Row>, pairs: { messageId: string; eventId: string }[]): Promise<void> {
    const current = pairs.filter((p) => {
      const msg = locked.get(p.messageId);
      return msg !== undefined && msg.event_id === p.eventId && (msg.status === 'committed' || ROUTED_STATUSES.includes(msg.status as MessageStatus));
    });
    if (current.length === 0) return;
    const byEvent = new Map<string, DeliveryStatus[]>();
    for (const r of (await c.query<Row>('SELECT event_id, status FROM deliveries WHERE event_id = ANY($1::text[])', [current.map((p) => p.eventId)])).rows) {
      const list = byEvent.get(r.event_id as string) ?? [];
      list.push(r.status as DeliveryStatus);
      byEvent.set(r.event_id as string, list);
    }
    const changed = new Map<string, MessageStatus>();
    for (const p of current) {
      const next = deriveMessageStatus(byEvent.get(p.eventId) ?? []);
      if (next !== (changed.get(p.messageId) ?? locked.get(p.messageId)!.status)) changed.set(p.messageId, next);
    }
    if (changed.size === 0) return;
    const t = now();
    // The happy path is a line of the trail, set with the status (src/store/trail.ts); anything else a row.
    const lines: [string, MessageStatus][] = [];
    const rows: [string, MessageStatus][] = [];
    for (const c of changed) (extendsTrail(locked.get(c[0])!.trail, c[1]) ? lines : rows).push(c);
    if (lines.length) {
      await c.query('UPDATE messages SET status = u.s, trail = messages.trail || u.l, updated_at = $4 FROM unnest($1::text[], $2::text[], $3::text[]) AS u(id, s, l) WHERE messages.id = u.id', [
        lines.map(([id]) => id),
        lines.map(([, status]) => status),
        lines.map(([, status]) => trailLine(status, t)),
        t,
      ]);
    }
    for (const [id] of rows) {
      if (!locked.get(id)!.trail) continue;
      await this.materialize(c, id);
      locked.get(id)!.trail = null;
    }
    if (rows.length) {
      await c.query('UPDATE messages SET status = u.s, updated_at = $3 FROM unnest($1::text[], $2::text[]) AS u(id, s) WHERE messages.id = u.id', [
        rows.map(([id]) => id),
        rows.map(([, status]) => status),
        t,
      ]);
      await this.histories(
        c,
        rows.map(([id, status]) => ({ id, status, detail: null })),
      );
    }
    for (const [id, status] of changed) locked.get(id)!.status = status;
  }

  async getEvent(eventId: string): Promise<ChangeEvent | undefined> {
    const r = (await this.query('SELECT event FROM changes WHERE event_id = $1', [eventId]))[0];
    return r ? (r.event as ChangeEvent) : undefined;
  }

  async deliveriesOf(eventIds: string[]): Promise<{ eventId: string; routeId: string }[]> {
    if (eventIds.length === 0) return [];
    return (await this.query('SELECT event_id, route_id FROM deliveries WHERE event_id = ANY($1::text[])', [eventIds])).map((r) => ({ eventId: r.event_id as string, routeId: r.route_id as string }));
  }

  async getDelivery(eventId: string, routeId: string): Promise<DeliveryRow | undefined> {
    const r = (await this.query('SELECT * FROM deliveries WHERE event_id = $1 AND route_id = $2', [eventId, routeId]))[0];
    return r ? toDelivery(r) : undefined;
  }

  async beginAttempt(eventId: string, routeId: string, at = Date.now()): Promise<DeliveryClaim> {
    return (await this.beginAttempts([{ eventId, routeId }], at))[0]!;
  }

  async beginAttempts(claims: { eventId: string; routeId: string }[], at = Date.now()): Promise<DeliveryClaim[]> {
    // One ON CONFLICT statement may touch a row only once: a delivery claimed twice in one batch
    // (two copies in flight) takes a second round, where the first round's claim refuses it.
    const out: DeliveryClaim[] = new Array(claims.length);
    let rest = claims.map((claim, i) => ({ ...claim, i }));
    while (rest.length) {
      const seen = new Set<string>();
      const round = rest.filter((x) => !seen.has(`${x.eventId}\n${x.routeId}`) && seen.add(`${x.eventId}\n${x.routeId}`));
      rest = rest.filter((x) => !round.includes(x));
      const results = await this.claimRound(round, at);
      round.forEach((x, k) => (out[x.i] = results[k]!));
    }
    return out;
  }

  /**
   * One statement: of competing claims one takes the delivery (a waiting one sees the winner's claim
   * and is refused); a delivered one, or one whose claim is fresh, is left alone; a stale claim is
   * taken over. A consumer faster than the relay's markPublished creates the delivery; it takes the
   * message id from the change, so that it is listed under its message all the same.
   */
  private async claimRound(claims: { eventId: string; routeId: string }[], at: number): Promise<DeliveryClaim[]> {
    const events = claims.map((x) => x.eventId);
    const routes = claims.map((x) => x.routeId);
    const rows = await this.query(
      `INSERT INTO deliveries (event_id, route_id, message_id, status, attempts, updated_at, claimed_until)
       SELECT u.e, u.r, (SELECT message_id FROM changes WHERE event_id = u.e), 'pending', 1, $3, $5 FROM unnest($1::text[], $2::text[]) AS u(e, r)
       ON CONFLICT (event_id, route_id) DO UPDATE SET attempts = deliveries.attempts + 1, updated_at = excluded.updated_at, claimed_until = excluded.claimed_until
       WHERE deliveries.status <> 'delivered' AND (deliveries.claimed_until IS NULL OR deliveries.claimed_until <= $4)
       RETURNING event_id, route_id, attempts`,
      [events, routes, new Date(at).toISOString(), at, at + CLAIM_TIMEOUT_MS],
    );
    const key = (e: unknown, r: unknown) => `${String(e)}\n${String(r)}`;
    const claimed = new Map(rows.map((r) => [key(r.event_id, r.route_id), Number(r.attempts)]));
    const refused = claims.some((x) => !claimed.has(key(x.eventId, x.routeId)))
      ? new Map(
          (
            await this.query(
              'SELECT d.event_id, d.route_id, d.status, d.attempts, d.claimed_until FROM deliveries d JOIN unnest($1::text[], $2::text[]) AS u(e, r) ON d.event_id = u.e AND d.route_id = u.r',
              [events, routes],
            )
          ).map((r) => [key(r.event_id, r.route_id), { status: r.status as string, attempts: Number(r.attempts), claimedUntil: r.claimed_until === null ? null : Number(r.claimed_until) }]),
        )
      : new Map<string, { status: string; attempts: number; claimedUntil: number | null }>();
    return claims.map((x) => {
      const attempt = claimed.get(key(x.eventId, x.routeId));
      return attempt === undefined ? refusedClaim(refused.get(key(x.eventId, x.routeId)), at) : { proceed: true, attempt };
    });
  }

  async renewClaims(claims: HeldClaim[], at = Date.now()): Promise<void> {
    if (claims.length === 0) return;
    await this.query(
      `UPDATE deliveries d SET claimed_until = $4 FROM unnest($1::text[], $2::text[], $3::int[]) AS u(e, r, n)
       WHERE d.event_id = u.e AND d.route_id = u.r AND d.attempts = u.n AND d.claimed_until IS NOT NULL AND d.status <> 'delivered'`,
      [claims.map((c) => c.eventId), claims.map((c) => c.routeId), claims.map((c) => c.attempt), at + CLAIM_TIMEOUT_MS],
    );
  }

  async finishAttempt(a: AttemptOutcome): Promise<void> {
    await this.finishAttempts([a]);
  }

  async finishAttempts(list: AttemptOutcome[], within?: (tx: SqlDb) => Promise<void>): Promise<void> {
    if (list.length === 0) return;
    const t = now();
    const events = list.map((a) => a.eventId);
    const routes = list.map((a) => a.routeId);
    await this.tx(async (c) => {
      const owners = (
        await c.query<Row>('SELECT d.event_id, d.route_id, d.message_id FROM deliveries d JOIN unnest($1::text[], $2::text[]) AS u(e, r) ON d.event_id = u.e AND d.route_id = u.r', [events, routes])
      ).rows;
      const messageOf = new Map(owners.map((r) => [`${String(r.event_id)}\n${String(r.route_id)}`, (r.message_id as string | null) ?? null]));
      const messageIds = list.map((a) => messageOf.get(`${a.eventId}\n${a.routeId}`) ?? null);
      const locked = await this.lockMessages(
        c,
        messageIds.filter((m): m is string => m !== null),
      );
      await c.query(
        `UPDATE deliveries SET status = u.s, last_error = u.err, updated_at = $5, delivered_at = CASE WHEN u.s = 'delivered' THEN $5::timestamptz ELSE delivered_at END,
           claimed_until = CASE WHEN deliveries.attempts = u.n THEN NULL ELSE deliveries.claimed_until END
         FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $6::int[]) AS u(e, r, s, err, n) WHERE deliveries.event_id = u.e AND deliveries.route_id = u.r`,
        [events, routes, list.map((a) => a.status), list.map((a) => a.error), t, list.map((a) => a.attempt)],
      );
      await c.query(
        `INSERT INTO delivery_attempts (event_id, route_id, message_id, attempt, at, outcome, error, detail, duration_ms)
         SELECT e, r, m, n, $9, o, err, d, ms FROM unnest($1::text[], $2::text[], $3::text[], $4::int[], $5::text[], $6::text[], $7::text[], $8::int[]) AS u(e, r, m, n, o, err, d, ms)`,
        [events, routes, messageIds, list.map((a) => a.attempt), list.map((a) => a.outcome), list.map((a) => a.error), list.map((a) => a.detail), list.map((a) => Math.round(a.durationMs)), t],
      );
      await this.refreshStatuses(
        c,
        locked,
        list.flatMap((a, i) => (messageIds[i] ? [{ messageId: messageIds[i], eventId: a.eventId }] : [])),
      );
      // Last: a lock it takes (the disclosure log's) is held from here to COMMIT only, after the messages' locks.
      if (within) await within(new PostgresSql(this.pool, c));
    });
  }

  async resetDeliveries(messageId: string, statuses: DeliveryStatus[]): Promise<{ eventId: string; routeId: string }[]> {
    return this.tx(async (c) => {
      const locked = await this.lockMessages(c, [messageId]);
      const rows = (await c.query<Row>('SELECT event_id, route_id, status FROM deliveries WHERE message_id = $1 FOR UPDATE', [messageId])).rows.filter((r) =>
        statuses.includes(r.status as DeliveryStatus),
      );
      const t = now();
      for (const r of rows) {
        await c.query('UPDATE deliveries SET status = $1, attempts = 0, last_error = NULL, updated_at = $2, claimed_until = NULL WHERE event_id = $3 AND route_id = $4', [
          'pending',
          t,
          r.event_id,
          r.route_id,
        ]);
      }
      if (rows[0]) await this.refreshStatuses(c, locked, [{ messageId, eventId: rows[0].event_id as string }]);
      return rows.map((r) => ({ eventId: r.event_id as string, routeId: r.route_id as string }));
    });
  }

  async listDeliveries(messageId: string): Promise<DeliveryRow[]> {
    return (await this.query(DELIVERIES_OF_MESSAGE, [messageId])).map(toDelivery);
  }

  async listAttempts(messageId: string): Promise<AttemptRow[]> {
    return (await this.query(ATTEMPTS_OF_MESSAGE, [messageId])).map(toAttempt);
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
