import pg from 'pg';
import type { BaselineResult } from './amqp-baseline.ts';
import { clock, sinceMs } from './measure.ts';

/**
 * PostgreSQL's own limit for the hub's write pattern: the payloads inserted as jsonb by `clients`
 * connections at once, `batch` rows a transaction (one multi-row INSERT, autocommitted), with the
 * server's settings (synchronous_commit on: each COMMIT waits for its WAL to reach the disk, a flush
 * shared by concurrent commits). `batch` 1 is one INSERT per transaction, as the hub's older
 * per-record Store calls were. In a fresh schema, dropped afterwards.
 */
export async function pgBaseline(url: string, payloads: readonly Buffer[], opts: { clients: number; batch: number }): Promise<BaselineResult> {
  const schema = `bench_pgbase_${Math.random().toString(36).slice(2, 10)}`;
  const pool = new pg.Pool({ connectionString: url, max: opts.clients });
  const batch = Math.max(1, opts.batch);
  const insert = (n: number) => `INSERT INTO ${schema}.items (body) VALUES ${Array.from({ length: n }, (_, i) => `($${i + 1})`).join(', ')}`;
  const full = insert(batch);
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.items (id bigserial PRIMARY KEY, body jsonb NOT NULL)`);
    const bodies = payloads.map((p) => p.toString('utf8'));
    let next = 0;
    const t = clock();
    await Promise.all(
      Array.from({ length: opts.clients }, async () => {
        for (let i = next; i < bodies.length; i = next) {
          next += batch;
          const chunk = bodies.slice(i, i + batch);
          await pool.query(chunk.length === batch ? full : insert(chunk.length), chunk);
        }
      }),
    );
    const ms = sinceMs(t);
    const { rows } = await pool.query<{ n: string }>(`SELECT count(*) AS n FROM ${schema}.items`);
    if (Number(rows[0]!.n) !== payloads.length) throw new Error(`the PostgreSQL baseline stored ${rows[0]!.n} of ${payloads.length} rows`);
    return { ms, perSecond: (payloads.length / ms) * 1000 };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
