import amqp from 'amqplib';
import { appendFile } from 'node:fs/promises';
import pg from 'pg';
import type { CanonicalRecord, JsonObject } from '../../src/core/types.ts';
import { contentOf, entryHash, entryRow, GENESIS } from '../../src/privacy/disclosure-log.ts';
import type { Pseudonyms } from '../../src/privacy/pseudonym.ts';
import { nextVersion } from '../../src/store/commit-rules.ts';
import { composeBatch, type ChangeRow, type RouteSpec } from './lean-delivery.ts';
import { STATUS, type LeanItem, type LeanResult } from './lean-store.ts';

/**
 * The lean trail on PostgreSQL and RabbitMQ (issue 17, directions 2 and 3), for the `trail` benchmark
 * only: the SQLite prototype's tables (lean-store.ts) in a schema of their own, written set-based, one
 * transaction an ingest chunk; a route delivers by a cursor over the change log, and RabbitMQ carries
 * one message a committed chunk ("changes up to seq N are committed", persistent, confirmed), not one
 * a record. A change's seq is taken under a transaction-level advisory lock held to COMMIT, so seqs
 * become visible in order and a cursor never passes one still in flight (the watermark the SQLite
 * prototype does not need). Each batch's disclosure entries, the cursor and the batch log commit together.
 */

const SCHEMA = (s: string) => `
  CREATE SCHEMA ${s};
  CREATE TABLE ${s}.messages (seq bigserial PRIMARY KEY, idem bytea, source text NOT NULL, entity text NOT NULL, status smallint NOT NULL,
    record_id text, version integer, at timestamptz NOT NULL, raw text, error text);
  CREATE UNIQUE INDEX ON ${s}.messages (idem) WHERE idem IS NOT NULL;
  CREATE INDEX ON ${s}.messages (source, entity, seq);
  CREATE TABLE ${s}.records (id text PRIMARY KEY, entity text NOT NULL, institution text NOT NULL, source_system text NOT NULL, source_id text NOT NULL,
    version integer NOT NULL, seq bigint NOT NULL, deleted boolean NOT NULL DEFAULT false, data jsonb NOT NULL, source_updated_at timestamptz,
    UNIQUE (entity, institution, source_system, source_id));
  CREATE INDEX ON ${s}.records (entity, institution, (data #>> '{studyRight,sourceId}')) WHERE (data #>> '{studyRight,sourceId}') IS NOT NULL;
  CREATE TABLE ${s}.changes (seq bigserial PRIMARY KEY, entity text NOT NULL, institution text NOT NULL, source text NOT NULL, record_id text NOT NULL,
    version integer NOT NULL, op smallint NOT NULL, message_seq bigint, at timestamptz NOT NULL, data jsonb, UNIQUE (record_id, version));
  CREATE INDEX ON ${s}.changes (entity, seq);
  CREATE TABLE ${s}.route_cursors (route text PRIMARY KEY, seq bigint NOT NULL, at timestamptz NOT NULL);
  CREATE TABLE ${s}.route_batches (route text NOT NULL, first_seq bigint NOT NULL, last_seq bigint NOT NULL, records integer NOT NULL, at timestamptz NOT NULL, PRIMARY KEY (route, last_seq));
  CREATE TABLE ${s}.disclosure_log (seq bigint PRIMARY KEY, at text NOT NULL, kind text NOT NULL, person text, recipient text, route_id text, entity text,
    record_id text, record_version integer, legal_basis text, purpose text, fields text, event_id text, prev_hash text NOT NULL, hash text NOT NULL);
  CREATE INDEX ON ${s}.disclosure_log (person, seq);
  CREATE TABLE ${s}.log_head (id integer PRIMARY KEY, seq bigint NOT NULL, hash text NOT NULL);
  CREATE TABLE ${s}.erased_records (record_id text PRIMARY KEY, at timestamptz NOT NULL);
`;

const OP: Record<string, number> = { upsert: 0, delete: 1, keyChange: 2 };
/** The advisory lock that orders the change log's commits. */
const CHANGES_LOCK = 1_700_017;

interface CurrentRow {
  id: string;
  entity: string;
  institution: string;
  source_system: string;
  source_id: string;
  version: number;
  seq: string;
  deleted: boolean;
  data: string;
  source_updated_at: Date | null;
}

const keyOf = (entity: string, institution: string, system: string, id: string) => `${entity}\n${institution}\n${system}\n${id}`;

export class LeanPgStore {
  /** The highest change seq committed by this store's writers (what the last notification said). */
  lastSeq = 0;

  private constructor(
    readonly pool: pg.Pool,
    readonly schema: string,
    private readonly notify: (lastSeq: number) => void,
  ) {}

  static async create(url: string, clients: number, notify: (lastSeq: number) => void): Promise<LeanPgStore> {
    const schema = `bench_lean_${Math.random().toString(36).slice(2, 10)}`;
    const pool = new pg.Pool({ connectionString: url, max: clients + 2 });
    await pool.query(SCHEMA(schema));
    return new LeanPgStore(pool, schema, notify);
  }

  /** One chunk in one transaction, set-based: look-ups, then messages, changes and records in one statement each. */
  async ingestChunk(items: readonly LeanItem[]): Promise<LeanResult[]> {
    const s = this.schema;
    const c = await this.pool.connect();
    try {
      await c.query('BEGIN');
      const idems = items.flatMap((x) => (x.idem ? [x.idem] : []));
      const dups = new Map(
        (await c.query<{ idem: Buffer; seq: string; status: number }>(`SELECT idem, seq, status FROM ${s}.messages WHERE idem = ANY($1::bytea[])`, [idems])).rows.map((r) => [
          r.idem.toString('hex'),
          r,
        ]),
      );
      const commits = items.flatMap((x) => (x.outcome.kind === 'commit' ? [x.outcome.commit] : []));
      const current = new Map(
        (
          await c.query<CurrentRow>(
            `SELECT r.id, r.entity, r.institution, r.source_system, r.source_id, r.version, r.seq, r.deleted, r.data::text AS data, r.source_updated_at
             FROM ${s}.records r JOIN unnest($1::text[], $2::text[], $3::text[], $4::text[]) AS u(e, i, y, d) ON r.entity = u.e AND r.institution = u.i AND r.source_system = u.y AND r.source_id = u.d`,
            [commits.map((x) => x.entity), commits.map((x) => x.institution), commits.map((x) => x.sourceSystem), commits.map((x) => x.sourceId)],
          )
        ).rows.map((r) => [keyOf(r.entity, r.institution, r.source_system, r.source_id), r]),
      );
      const at = new Date().toISOString();
      const results: LeanResult[] = [];
      const messages: { idem: Buffer | null; source: string; entity: string; status: number; recordId: string | null; version: number | null; raw: string | null; error: string | null }[] = [];
      const changes: { k: number; entity: string; institution: string; source: string; recordId: string; version: number; op: number; data: string | null }[] = [];
      const records = new Map<
        string,
        { id: string; entity: string; institution: string; system: string; sourceId: string; version: number; k: number; deleted: boolean; data: string; updatedAt: string | null }
      >();
      const seen = new Set<string>();
      for (const item of items) {
        const hex = item.idem?.toString('hex');
        const dup = hex ? dups.get(hex) : undefined;
        if ((dup && dup.status !== STATUS.received) || (hex && seen.has(hex))) {
          results.push({ messageSeq: Number(dup?.seq ?? 0), status: 'duplicate' });
          continue;
        }
        if (hex) seen.add(hex);
        const o = item.outcome;
        if (o.kind === 'reject') {
          messages.push({ idem: null, source: item.source, entity: item.entity, status: STATUS.rejected, recordId: null, version: null, raw: item.raw, error: o.error });
          results.push({ messageSeq: 0, status: 'rejected' });
          continue;
        }
        const x = o.commit;
        const key = keyOf(x.entity, x.institution, x.sourceSystem, x.sourceId);
        const mine = records.get(key);
        const row = current.get(key);
        const prev: CanonicalRecord | undefined = mine
          ? {
              id: mine.id,
              entity: x.entity,
              institution: x.institution,
              sourceSystem: x.sourceSystem,
              sourceId: x.sourceId,
              version: mine.version,
              seq: 0,
              deleted: mine.deleted,
              data: JSON.parse(mine.data) as JsonObject,
              sourceUpdatedAt: mine.updatedAt,
              updatedAt: at,
            }
          : row && {
              id: row.id,
              entity: x.entity,
              institution: x.institution,
              sourceSystem: x.sourceSystem,
              sourceId: x.sourceId,
              version: row.version,
              seq: Number(row.seq),
              deleted: row.deleted,
              data: JSON.parse(row.data) as JsonObject,
              sourceUpdatedAt: row.source_updated_at?.toISOString() ?? null,
              updatedAt: at,
            };
        const next = nextVersion(prev, { ...x, messageId: '' });
        if (next.kind !== 'write') {
          messages.push({ idem: item.idem, source: item.source, entity: item.entity, status: STATUS[next.kind], recordId: prev!.id, version: prev!.version, raw: item.raw, error: null });
          results.push({ messageSeq: 0, status: next.kind });
          continue;
        }
        const text = JSON.stringify(next.data);
        const k = changes.length;
        messages.push({ idem: item.idem, source: item.source, entity: item.entity, status: STATUS.committed, recordId: next.id, version: next.version, raw: item.raw, error: null });
        changes.push({ k, entity: x.entity, institution: x.institution, source: x.source, recordId: next.id, version: next.version, op: OP[x.op] ?? 0, data: next.deleted ? null : text });
        records.set(key, {
          id: next.id,
          entity: x.entity,
          institution: x.institution,
          system: x.sourceSystem,
          sourceId: x.sourceId,
          version: next.version,
          k,
          deleted: next.deleted,
          data: text,
          updatedAt: x.sourceUpdatedAt,
        });
        results.push({ messageSeq: 0, status: 'committed' });
      }
      const seqs = (
        await c.query<{ seq: string }>(
          `INSERT INTO ${s}.messages (idem, source, entity, status, record_id, version, at, raw, error)
           SELECT q, so, e, st, r, v, a, raw, err FROM unnest($1::bytea[], $2::text[], $3::text[], $4::smallint[], $5::text[], $6::int[], $7::timestamptz[], $8::text[], $9::text[])
             WITH ORDINALITY AS u(q, so, e, st, r, v, a, raw, err, n) ORDER BY n RETURNING seq`,
          [
            messages.map((m) => m.idem),
            messages.map((m) => m.source),
            messages.map((m) => m.entity),
            messages.map((m) => m.status),
            messages.map((m) => m.recordId),
            messages.map((m) => m.version),
            messages.map(() => at),
            messages.map((m) => m.raw),
            messages.map((m) => m.error),
          ],
        )
      ).rows.map((r) => r.seq);
      // The message of each change: the committed ones, in order.
      const committedSeqs = messages.flatMap((m, i) => (m.status === STATUS.committed ? [seqs[i]!] : []));
      // From here to COMMIT the change log's lock: seqs taken in commit order.
      await c.query('SELECT pg_advisory_xact_lock($1)', [CHANGES_LOCK]);
      const changeSeqs = (
        await c.query<{ seq: string }>(
          `INSERT INTO ${s}.changes (entity, institution, source, record_id, version, op, message_seq, at, data)
           SELECT e, i, so, r, v, o, m, $8, d::jsonb FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::int[], $6::smallint[], $7::bigint[], $9::text[]) WITH ORDINALITY AS u(e, i, so, r, v, o, m, d, n) ORDER BY n RETURNING seq`,
          [
            changes.map((x) => x.entity),
            changes.map((x) => x.institution),
            changes.map((x) => x.source),
            changes.map((x) => x.recordId),
            changes.map((x) => x.version),
            changes.map((x) => x.op),
            committedSeqs,
            at,
            changes.map((x) => x.data),
          ],
        )
      ).rows.map((r) => Number(r.seq));
      const rs = [...records.values()];
      await c.query(
        `INSERT INTO ${s}.records (id, entity, institution, source_system, source_id, version, seq, deleted, data, source_updated_at)
         SELECT id, e, i, y, d, v, q, del, data::jsonb, up FROM unnest($1::text[], $2::text[], $3::text[], $4::text[], $5::text[], $6::int[], $7::bigint[], $8::boolean[], $9::text[], $10::timestamptz[]) AS u(id, e, i, y, d, v, q, del, data, up)
         ON CONFLICT (id) DO UPDATE SET version = excluded.version, seq = excluded.seq, deleted = excluded.deleted, data = excluded.data, source_updated_at = COALESCE(excluded.source_updated_at, ${s}.records.source_updated_at)`,
        [
          rs.map((r) => r.id),
          rs.map((r) => r.entity),
          rs.map((r) => r.institution),
          rs.map((r) => r.system),
          rs.map((r) => r.sourceId),
          rs.map((r) => r.version),
          rs.map((r) => changeSeqs[r.k]),
          rs.map((r) => r.deleted),
          rs.map((r) => r.data),
          rs.map((r) => r.updatedAt),
        ],
      );
      await c.query('COMMIT');
      const last = changeSeqs[changeSeqs.length - 1];
      if (last !== undefined && last > this.lastSeq) {
        this.lastSeq = last;
        this.notify(last);
      }
      return results;
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
  }

  async counts(): Promise<{ messages: number; changes: number; records: number; disclosures: number; batches: number }> {
    const s = this.schema;
    const { rows } = await this.pool.query<Record<string, string>>(
      `SELECT (SELECT count(*) FROM ${s}.messages) AS messages, (SELECT count(*) FROM ${s}.changes) AS changes, (SELECT count(*) FROM ${s}.records) AS records,
              (SELECT count(*) FROM ${s}.disclosure_log) AS disclosures, (SELECT count(*) FROM ${s}.route_batches) AS batches`,
    );
    return Object.fromEntries(Object.entries(rows[0]!).map(([k, v]) => [k, Number(v)])) as never;
  }

  /** The log's chain, in seq order, for the verifier. */
  async *logEntries(): AsyncGenerator<Record<string, unknown>> {
    let after = 0;
    for (;;) {
      const { rows } = await this.pool.query(`SELECT * FROM ${this.schema}.disclosure_log WHERE seq > $1 ORDER BY seq LIMIT 5000`, [after]);
      if (!rows.length) return;
      for (const r of rows) yield r;
      after = Number(rows[rows.length - 1].seq);
    }
  }

  async head(): Promise<{ seq: number; hash: string } | undefined> {
    const r = (await this.pool.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${this.schema}.log_head WHERE id = 1`)).rows[0];
    return r && { seq: Number(r.seq), hash: r.hash };
  }

  async drop(): Promise<void> {
    await this.pool.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`).catch(() => undefined);
    await this.pool.end();
  }
}

/**
 * A route on the PostgreSQL prototype: RabbitMQ says up to which seq changes are committed (a
 * persistent message a chunk, quorum queue, confirms); the consumer delivers from its cursor up to
 * there in batches (the sink call, then entries, cursor and batch log in one transaction) and acks.
 */
export class PgCursorRoute {
  delivered = 0;
  batches = 0;
  sinkBytes = 0;
  private cursor = 0;
  private conn: amqp.ChannelModel | undefined;
  private pub: amqp.ConfirmChannel | undefined;
  private chain: Promise<void> = Promise.resolve();
  private failed: unknown;
  private readonly queue = `benchlean${Math.random().toString(36).slice(2, 10)}`;

  constructor(
    private readonly store: LeanPgStore,
    private readonly route: RouteSpec,
    private readonly pseudonyms: Pseudonyms,
  ) {}

  async connect(url: string): Promise<void> {
    this.conn = await amqp.connect(url, { noDelay: true });
    this.pub = await this.conn.createConfirmChannel();
    await this.pub.assertQueue(this.queue, { durable: true, arguments: { 'x-queue-type': 'quorum' } });
    const sub = await this.conn.createChannel();
    await sub.prefetch(256);
    await this.store.pool.query(`INSERT INTO ${this.store.schema}.route_cursors (route, seq, at) VALUES ($1, 0, now())`, [this.route.id]);
    await sub.consume(this.queue, (m) => {
      if (!m) return;
      const upTo = Number(JSON.parse(m.content.toString('utf8')).lastSeq);
      // One delivery at a time on the route, in order; the message acked once the cursor has passed it.
      this.chain = this.chain.then(async () => {
        if (this.failed) return;
        try {
          while (this.cursor < upTo) await this.step();
          sub.ack(m);
        } catch (e) {
          this.failed = e;
        }
      });
    });
  }

  /** The notification of a committed chunk: published persistent, its confirm awaited at the end (`flush`). */
  notify(lastSeq: number): void {
    this.pub!.sendToQueue(this.queue, Buffer.from(JSON.stringify({ lastSeq })), { persistent: true });
  }

  async flush(): Promise<void> {
    await this.pub!.waitForConfirms();
  }

  get position(): number {
    return this.cursor;
  }

  get error(): unknown {
    return this.failed;
  }

  private async step(): Promise<void> {
    const st = this.store;
    const s = st.schema;
    const rows = (
      await st.pool.query<ChangeRow & { seq: string; message_seq: string | null; at: Date }>(
        `SELECT seq, entity, institution, source, record_id, version, op, message_seq, at, data::text AS data FROM ${s}.changes WHERE seq > $1 ORDER BY seq LIMIT $2`,
        [this.cursor, this.route.batch],
      )
    ).rows.map((r) => ({ ...r, seq: Number(r.seq), message_seq: r.message_seq === null ? null : Number(r.message_seq), at: r.at.toISOString() }));
    if (!rows.length) return;
    const erased = new Set(
      (await st.pool.query<{ record_id: string }>(`SELECT record_id FROM ${s}.erased_records WHERE record_id = ANY($1)`, [rows.map((r) => r.record_id)])).rows.map((r) => r.record_id),
    );
    const { lines, entries } = composeBatch(rows, erased, this.route, this.pseudonyms);
    const text = lines.length ? `${lines.join('\n')}\n` : '';
    if (text) await appendFile(this.route.file, text, 'utf8');
    const first = rows[0]!.seq;
    const last = rows[rows.length - 1]!.seq;
    const c = await st.pool.connect();
    try {
      await c.query('BEGIN');
      const head = (await c.query<{ seq: string; hash: string }>(`SELECT seq, hash FROM ${s}.log_head WHERE id = 1 FOR UPDATE`)).rows[0];
      let seq = Number(head?.seq ?? 0);
      let prevHash = head?.hash ?? GENESIS;
      const at = new Date().toISOString();
      const values: unknown[] = [];
      for (const n of entries) {
        const entry = contentOf({ ...n, seq: ++seq, at });
        const hash = entryHash(prevHash, entry);
        values.push(...entryRow(entry, prevHash, hash));
        prevHash = hash;
      }
      if (entries.length) {
        const tuples = entries.map((_, i) => `(${Array.from({ length: 15 }, (__, j) => `$${i * 15 + j + 1}`).join(', ')})`).join(', ');
        await c.query(
          `INSERT INTO ${s}.disclosure_log (seq, at, kind, person, recipient, route_id, entity, record_id, record_version, legal_basis, purpose, fields, event_id, prev_hash, hash) VALUES ${tuples}`,
          values,
        );
        await c.query(`INSERT INTO ${s}.log_head (id, seq, hash) VALUES (1, $1, $2) ON CONFLICT (id) DO UPDATE SET seq = excluded.seq, hash = excluded.hash`, [seq, prevHash]);
      }
      await c.query(`UPDATE ${s}.route_cursors SET seq = $1, at = $2 WHERE route = $3`, [last, at, this.route.id]);
      await c.query(`INSERT INTO ${s}.route_batches (route, first_seq, last_seq, records, at) VALUES ($1, $2, $3, $4, $5)`, [this.route.id, first, last, lines.length, at]);
      await c.query('COMMIT');
    } catch (e) {
      await c.query('ROLLBACK').catch(() => undefined);
      throw e;
    } finally {
      c.release();
    }
    this.cursor = last;
    this.delivered += lines.length;
    this.sinkBytes += Buffer.byteLength(text);
    this.batches++;
  }

  /** Resolves once the cursor is at `lastSeq` (every notification handled). */
  async drained(lastSeq: number): Promise<void> {
    while (this.cursor < lastSeq && !this.failed) await new Promise((r) => setTimeout(r, 2));
    await this.chain;
    if (this.failed) throw this.failed;
  }

  async close(): Promise<void> {
    if (!this.conn) return;
    const ch = await this.conn.createChannel();
    await ch.deleteQueue(this.queue).catch(() => undefined);
    await this.conn.close().catch(() => undefined);
  }
}
