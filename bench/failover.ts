import pg from 'pg';
import { LEASE_TTL_MS } from '../src/pipeline/relay-lease.ts';
import { CLAIM_TIMEOUT_MS } from '../src/store/claims.ts';
import { benchHub, laisSource, realEnv } from './lib/hub.ts';
import { countryBatches } from './lib/lais.ts';
import { median, round, sleep, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';
import { startWorker, type Worker } from './lib/worker-process.ts';

/** The target: deliveries resume within 2 s of the lease holder's death. */
const TARGET_MS = 2000;

interface Run {
  /** From the kill to the survivor holding the relay lease. */
  leaseMs: number;
  /** From the kill to the first delivery of a change committed after the kill. */
  resumeMs: number;
  /** The longest time without any delivery, from 1 s before the kill to the end of the load. */
  stallMs: number;
  /** From the kill to the last delivery: what the killed worker had in flight waits for its claims to lapse (or the load to end, whichever is later). */
  lastMs: number;
  delivered: number;
  records: number;
}

async function waitReady(w: Worker): Promise<void> {
  await until(() => w.out().includes('ready') || w.child.exitCode !== null, 60_000, 'worker ready', 20);
  if (!w.out().includes('ready')) throw new Error(`worker exited: ${w.out()}`);
}

/**
 * One run: an API-only hub ingests at a steady rate (each change delivered within milliseconds, so
 * the route queue holds no backlog to hide a stall), two worker processes relay and deliver; the one
 * holding the relay lease is killed (SIGKILL) once the load is under way, and the load goes on.
 */
async function failover(o: { perSecond: number; beforeMs: number; afterMs: number }): Promise<Run> {
  const real = realEnv()!;
  const api = await benchHub({ backend: 'real', role: 'api' });
  const { schema, prefix } = api.isolation!;
  const db = new pg.Client({ connectionString: real.databaseUrl });
  await db.connect();
  const workers: Worker[] = [];
  let loading = true;
  try {
    const q = async <T>(sql: string, params: unknown[] = []) => (await db.query(sql.replaceAll('$schema', schema), params)).rows as T[];
    const holder = async () => (await q<{ holder: string; taken_at: string }>(`SELECT holder, taken_at FROM $schema.relay_lease WHERE name = 'outbox'`).catch(() => []))[0];
    // The first worker alone takes the lease; the second joins afterwards: the first is the one to kill.
    const first = startWorker(schema, prefix);
    workers.push(first);
    await first.loaded;
    first.go();
    await waitReady(first);
    await until(async () => (await holder()) !== undefined, 30_000, 'the first worker holding the relay lease', 20);
    const killed = (await holder())!.holder;
    const survivor = startWorker(schema, prefix);
    workers.push(survivor);
    await survivor.loaded;
    survivor.go();
    await waitReady(survivor);

    // The load: batches of 10 persons every 10 × 1000 / perSecond ms, until told to stop.
    const batches = countryBatches({ students: 1_000_000, attainmentsPerStudent: 0, batchSize: 10, institutions: ['lu.lv', 'rtu.lv'] });
    let records = 0;
    const load = (async () => {
      const every = (10 * 1000) / o.perSecond;
      let next = Date.now();
      for (const b of batches) {
        if (!loading) break;
        if (b.entity !== 'person') continue;
        await api.hub.pipeline.ingest(laisSource(b.institution), b.entity, b.records, 'application/json');
        records += b.records.length;
        next += every;
        await sleep(Math.max(0, next - Date.now()));
      }
    })();
    await sleep(o.beforeMs);
    const before = await holder();
    if (before?.holder !== killed) throw new Error('the first worker lost the relay lease before it was killed');
    const killedAt = Date.now();
    first.child.kill('SIGKILL');
    // The survivor takes the lease over: polled every 10 ms.
    let leaseAt = 0;
    await until(
      async () => {
        const h = await holder();
        // The new holder's clock when it took the lease (src/pipeline/relay-lease.ts), not when this poll saw it.
        if (h && h.holder !== killed) leaseAt ||= Number(h.taken_at);
        return leaseAt > 0;
      },
      30_000,
      'the survivor holding the relay lease',
      10,
    );
    await sleep(Math.max(0, killedAt + o.afterMs - Date.now()));
    loading = false;
    await load;
    const loadEnd = Date.now();
    await until(async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM $schema.deliveries WHERE status = 'delivered'`))[0]!.n) >= records, 120_000, 'every record delivered', 50);
    // The first delivery of a change committed after the kill (only the survivor's relay can have published
    // it): deliveries of new changes resumed. (Not "published after the take-over": the survivor marks
    // published what the dead relay had sent and consumers had already delivered.)
    const [resumed] = await q<{ at: Date | null }>(
      `SELECT min(d.delivered_at) AS at FROM $schema.deliveries d JOIN $schema.changes c ON c.event_id = d.event_id WHERE (c.event->>'occurredAt')::timestamptz > $1`,
      [new Date(killedAt).toISOString()],
    );
    const times = (await q<{ at: Date }>(`SELECT delivered_at AS at FROM $schema.deliveries WHERE delivered_at > $1 ORDER BY delivered_at`, [new Date(killedAt - 1000).toISOString()])).map((r) =>
      r.at.getTime(),
    );
    const during = times.filter((t) => t <= loadEnd);
    let stallMs = 0;
    for (let i = 1; i < during.length; i++) stallMs = Math.max(stallMs, during[i]! - during[i - 1]!);
    if (!resumed?.at) throw new Error('no delivery of a change committed after the kill');
    return { leaseMs: leaseAt - killedAt, resumeMs: resumed.at.getTime() - killedAt, stallMs, lastMs: times[times.length - 1]! - killedAt, delivered: times.length, records };
  } finally {
    loading = false;
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGTERM');
    await Promise.all(workers.map((w) => w.exited));
    await db.end();
    await api.stop();
  }
}

/**
 * Scenario: relay failover on RabbitMQ + PostgreSQL. Two worker processes, a steady load, the holder
 * of the relay lease killed with SIGKILL: how long until the survivor holds the lease, and until the
 * deliveries of newly committed changes resume (the gap), the median of several runs.
 */
export const failoverScenario: Scenario = {
  name: 'failover',
  title: 'the relay lease holder killed (kill -9) during a load, RabbitMQ + PostgreSQL',
  async run(o: BenchOptions) {
    const report = new Report('failover', this.title, o.mode);
    if (!realEnv()) {
      report.note('skipped: set DATABASE_URL and AMQP_URL (RabbitMQ + PostgreSQL) to measure failover');
      return report;
    }
    const runs = bySize(o.mode, { full: 5, quick: 3, dry: 1 });
    const shape = bySize(o.mode, {
      full: { perSecond: 100, beforeMs: 3000, afterMs: 5000 },
      quick: { perSecond: 100, beforeMs: 2000, afterMs: 4000 },
      dry: { perSecond: 50, beforeMs: 1000, afterMs: 3000 },
    });
    const results: Run[] = [];
    for (let i = 0; i < runs; i++) results.push(await failover(shape));
    const resume = median(results.map((r) => r.resumeMs));
    report.add({
      name: 'kill → survivor holds the relay lease',
      value: median(results.map((r) => r.leaseMs)),
      unit: 'ms',
      runs: results.map((r) => r.leaseMs),
    });
    report.add({
      name: 'kill → first delivery of a change committed after it',
      value: resume,
      unit: 'ms',
      runs: results.map((r) => r.resumeMs),
      target: { text: `< ${TARGET_MS} ms`, met: resume < TARGET_MS },
      detail: { stallMs: results.map((r) => r.stallMs), delivered: results.map((r) => r.delivered), records: results.map((r) => r.records) },
    });
    report.add({ name: 'longest time without a delivery during the load', value: median(results.map((r) => r.stallMs)), unit: 'ms', runs: results.map((r) => r.stallMs) });
    report.add({
      name: 'kill → the last delivery (what the killed worker had in flight)',
      value: median(results.map((r) => r.lastMs)),
      unit: 'ms',
      runs: results.map((r) => r.lastMs),
    });
    report.note(
      `the attempts the killed worker had in flight are redelivered by RabbitMQ at once, but their claims hold them until they lapse (${CLAIM_TIMEOUT_MS / 1000} s after the killed worker last renewed them, src/store/claims.ts); the load goes on 5 s after the kill, so the last figure is bounded by the load's end`,
    );
    report.note(
      `${shape.perSecond} records/s ingested by an API-only hub; two worker processes (prefetch 16, the no-op sink); the lease holder killed ${shape.beforeMs / 1000} s into the load, which runs ${shape.afterMs / 1000} s more; relay lease ${round(LEASE_TTL_MS / 1000, 1)} s, renewed each 500 ms poll; the lease table polled every 10 ms`,
    );
    return report;
  },
};
