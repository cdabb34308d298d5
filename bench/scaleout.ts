import pg from 'pg';
import { benchHub, realEnv } from './lib/hub.ts';
import { ingestAll } from './lib/ingest.ts';
import { countryBatches } from './lib/lais.ts';
import { clock, median, round, sinceMs, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { startWorker, type Worker } from './lib/worker-process.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

interface Run {
  workers: number;
  /** Records per second from the workers' start (loaded processes told to go) to the last delivery. */
  perSecond: number;
  sinkCalls: number;
  duplicates: number;
  /** CPU time of all worker processes together, per record (ms). */
  cpuMsPerRecord: number;
}

/** Ingests n records with an API-only hub, then k worker processes relay and deliver them. */
async function drain(k: number, records: number): Promise<Run> {
  const real = realEnv()!;
  const api = await benchHub({ backend: 'real', role: 'api' });
  const { schema } = api.isolation!;
  const db = new pg.Client({ connectionString: real.databaseUrl });
  await db.connect();
  const workers: Worker[] = [];
  try {
    const students = Math.max(1, Math.round(records / 42));
    const n = await ingestAll(api.hub, countryBatches({ students, attainmentsPerStudent: 40, batchSize: 100, institutions: ['lu.lv', 'rtu.lv'] }), 8);
    const delivered = async () => Number((await db.query(`SELECT count(*) AS n FROM ${schema}.deliveries WHERE status = 'delivered'`)).rows[0].n);
    for (let i = 0; i < k; i++) workers.push(startWorker(schema, api.isolation!.prefix));
    await Promise.all(workers.map((w) => w.loaded));
    const t = clock();
    for (const w of workers) w.go();
    await until(async () => (await delivered()) >= n, 600_000, `${n} deliveries by ${k} workers`, 50);
    const ms = sinceMs(t);
    let sinkCalls = 0;
    let duplicates = 0;
    let cpuMs = 0;
    for (const w of workers) {
      w.child.kill('SIGTERM');
      await w.exited;
      const line = w.out().trim().split('\n').pop() ?? '{}';
      const r = JSON.parse(line.startsWith('{') ? line : '{}') as { sinkCalls?: number; outcomes?: Record<string, number>; cpuMs?: number };
      if (r.sinkCalls === undefined) throw new Error(`worker printed no counts: ${w.out()}`);
      sinkCalls += r.sinkCalls;
      cpuMs += r.cpuMs ?? 0;
      duplicates += r.outcomes?.duplicate ?? 0;
    }
    return { workers: k, perSecond: (n / ms) * 1000, sinkCalls: sinkCalls - n, duplicates, cpuMsPerRecord: cpuMs / n };
  } finally {
    for (const w of workers) if (w.child.exitCode === null && w.child.signalCode === null) w.child.kill('SIGKILL');
    await Promise.all(workers.map((w) => w.exited));
    await db.end();
    await api.stop();
  }
}

/**
 * Scenario 5: scale-out on RabbitMQ + PostgreSQL: the same backlog relayed and delivered by 1, 2 and 4
 * worker processes (each what `hub worker` runs), records per second per worker count.
 */
export const scaleoutScenario: Scenario = {
  name: 'scaleout',
  title: 'scale-out: 1, 2 and 4 worker processes on RabbitMQ + PostgreSQL',
  async run(o: BenchOptions) {
    const report = new Report('scaleout', this.title, o.mode);
    if (!realEnv()) {
      report.note('skipped: set DATABASE_URL and AMQP_URL (RabbitMQ + PostgreSQL) to measure scale-out');
      return report;
    }
    const records = bySize(o.mode, { full: 840, quick: 84, dry: 42 });
    const reps = bySize(o.mode, { full: 1, quick: 1, dry: 1 });
    const counts = o.mode === 'dry' ? [1] : [1, 2, 4];
    const results = new Map<number, Run[]>();
    for (let rep = 0; rep < reps; rep++) for (const k of counts) results.set(k, [...(results.get(k) ?? []), await drain(k, records)]);
    const one = median(results.get(1)!.map((r) => r.perSecond));
    for (const k of counts) {
      const rs = results.get(k)!;
      report.add({
        name: `${k} worker${k > 1 ? 's' : ''}: relay + deliver the backlog`,
        value: median(rs.map((r) => r.perSecond)),
        unit: 'records/s',
        runs: rs.map((r) => round(r.perSecond, 1)),
        ...(k > 1 ? { baseline: { name: '1 worker, same run', value: one, unit: 'records/s' } } : {}),
        detail: {
          workerCpuMsPerRecord: rs.map((r) => round(r.cpuMsPerRecord, 2)),
          duplicatePublishesCaught: rs.map((r) => r.duplicates),
          extraSinkCalls: rs.map((r) => r.sinkCalls),
        },
      });
      const dup = median(rs.map((r) => r.duplicates));
      if (dup > 0) report.note(`${k} workers: ${dup} copies of delivered events reached a worker (the delivery table caught them before the sink)`);
      const extra = Math.max(...rs.map((r) => r.sinkCalls));
      if (extra > 0) report.note(`${k} workers: ${extra} sink calls more than records`);
    }
    const cpu = counts.map((k) => `${k}: ${median(results.get(k)!.map((r) => r.cpuMsPerRecord)).toFixed(2)} ms`);
    report.note(`CPU time of the worker processes together, per record delivered (workers: ms): ${cpu.join(', ')}`);
    report.note(
      `${records} records per run (students, study rights, assessments), ingested first by an API-only hub; workers on a ${report.result().machine.cores}-core machine shared with PostgreSQL and RabbitMQ`,
    );
    return report;
  },
};
