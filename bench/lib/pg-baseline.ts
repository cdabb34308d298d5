import pg from 'pg';
import type { BaselineResult } from './amqp-baseline.ts';
import { clock, sinceMs } from './measure.ts';

/**
 * PostgreSQL's own limit for the hub's write pattern: each payload inserted in a transaction of its
 * own (as every Store call is one), by `clients` connections at once, with the server's settings
 * (synchronous_commit on: each COMMIT waits for its WAL to reach the disk, shared by concurrent
 * commits). In a fresh schema, dropped afterwards.
 */
export async function pgBaseline(url: string, payloads: readonly Buffer[], clients: number): Promise<BaselineResult> {
  const schema = `bench_pgbase_${Math.random().toString(36).slice(2, 10)}`;
  const pool = new pg.Pool({ connectionString: url, max: clients });
  try {
    await pool.query(`CREATE SCHEMA ${schema}`);
    await pool.query(`CREATE TABLE ${schema}.items (id bigserial PRIMARY KEY, body jsonb NOT NULL)`);
    let next = 0;
    const t = clock();
    await Promise.all(
      Array.from({ length: clients }, async () => {
        for (let i = next++; i < payloads.length; i = next++) await pool.query(`INSERT INTO ${schema}.items (body) VALUES ($1)`, [payloads[i]!.toString('utf8')]);
      }),
    );
    const ms = sinceMs(t);
    return { ms, perSecond: (payloads.length / ms) * 1000 };
  } finally {
    await pool.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`).catch(() => undefined);
    await pool.end();
  }
}
