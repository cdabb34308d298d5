import { amqpBaseline } from './lib/amqp-baseline.ts';
import { pgBaseline } from './lib/pg-baseline.ts';
import { benchConfig, benchHub, cleanupReal, realEnv, type Backend } from './lib/hub.ts';
import { ingestAll } from './lib/ingest.ts';
import { countryBatches, type LaisBatch } from './lib/lais.ts';
import { clock, median, repeat, sinceMs, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { profiled, profileNote } from './lib/profile.ts';
import { bySize, profileFile, type BenchOptions, type Scenario } from './lib/scenario.ts';
import { sqliteBaseline } from './lib/sqlite-baseline.ts';
import { DeliveryCounter } from './lib/noop-sink.ts';
import { timeStore, type StoreTimes } from './lib/store-timing.ts';

/** Clients sending at once (API requests or adapter batches in flight). */
const CLIENTS = 4;
const TARGET_RATIO = 1 / 3;
/** The route concurrency (broker prefetch) of the second delivery-alone figure, beside the bench's 16. */
const WIDE_CONCURRENCY = 64;

/** A mix of the country's records: students, study rights and assessments, 100 to a batch. */
function sample(records: number): LaisBatch[] {
  const students = Math.max(1, Math.round(records / 42));
  return [...countryBatches({ students, attainmentsPerStudent: 40, batchSize: 100, institutions: ['lu.lv', 'rtu.lv'] })];
}

const total = (bs: LaisBatch[]) => bs.reduce((n, b) => n + b.records.length, 0);

async function checkAllDelivered(counts: () => Promise<Record<string, number>>, n: number): Promise<void> {
  await until(async () => ((await counts()).delivered ?? 0) === n, 30_000, `${n} messages delivered`, 50).catch(async (e: unknown) => {
    throw new Error(`${(e as Error).message}; statuses: ${JSON.stringify(await counts())}`);
  });
}

/** End to end: ingest from CLIENTS clients while the relay and the router deliver, until the no-op sink has every record. */
async function endToEnd(backend: Backend, batches: LaisBatch[]): Promise<number> {
  const n = total(batches);
  const b = await benchHub({ backend });
  try {
    const t = clock();
    await ingestAll(b.hub, batches, CLIENTS);
    await until(() => b.counter.count >= n, 600_000, `${n} deliveries`);
    const ms = sinceMs(t);
    await checkAllDelivered(() => b.hub.store.countMessagesByStatus(), n);
    return (n / ms) * 1000;
  } finally {
    await b.stop();
  }
}

/** The two halves apart: ingest with an API-only hub, then a worker-only hub (its route at `concurrency` deliveries in flight, default 16) drains the outbox. */
async function halves(backend: Backend, batches: LaisBatch[], concurrency?: number): Promise<{ ingest: number; deliver: number; times: StoreTimes }> {
  const n = total(batches);
  const api = await benchHub({ backend, role: 'api' });
  const counter = new DeliveryCounter();
  let worker: Awaited<ReturnType<typeof benchHub>> | undefined;
  try {
    const ingestTimes = timeStore(api.hub.store);
    let t = clock();
    await ingestAll(api.hub, batches, CLIENTS);
    const ingestMs = sinceMs(t);
    t = clock();
    const config = concurrency === undefined ? {} : { config: benchConfig({ concurrency }) };
    worker = await benchHub({ backend, role: 'worker', counter, dir: api.dir, ...config, ...(api.isolation ? { join: api.isolation } : {}) });
    const deliverTimes = timeStore(worker.hub.store);
    await until(() => counter.count >= n, 600_000, `${n} deliveries`);
    const deliverMs = sinceMs(t);
    const times = { ...ingestTimes(), ...deliverTimes() };
    await checkAllDelivered(() => worker!.hub.store.countMessagesByStatus(), n);
    return { ingest: (n / ingestMs) * 1000, deliver: (n / deliverMs) * 1000, times };
  } finally {
    await worker?.stop();
    const iso = api.isolation;
    await api.stop();
    // The worker joined the API hub's schema and prefix; the API hub removes them (real) or its dir (embedded).
    if (iso && !api.isolation) await cleanupReal(realEnv()!, iso.schema, iso.prefix, ['route.all']);
  }
}

function storeNote(report: Report, mode: string, n: number, times: StoreTimes): void {
  const parts = Object.entries(times).map(([k, v]) => `${k} ${v.msPerCall} ms × ${v.calls}`);
  const perRecord = Object.values(times).reduce((s, v) => s + v.totalMs, 0) / n;
  report.note(`${mode}: store calls (ms per call × calls, for ${n} records): ${parts.join(', ')}; ${perRecord.toFixed(2)} ms per record in all`);
}

/**
 * Scenario 1: records per second through ingest → map → validate → commit → publish → deliver to a
 * no-op sink, embedded and on RabbitMQ + PostgreSQL, each beside its engine's own limit.
 */
export const pipelineScenario: Scenario = {
  name: 'pipeline',
  title: 'pipeline throughput end to end, beside the engines’ own limit',
  async run(o: BenchOptions) {
    const report = new Report('pipeline', this.title, o.mode);
    const reps = bySize(o.mode, { full: 3, quick: 2, dry: 1 });
    const embedded = sample(bySize(o.mode, { full: 2016, quick: 504, dry: 84 }));
    const payloads = (bs: LaisBatch[]) => bs.flatMap((b) => b.records.map((r) => Buffer.from(JSON.stringify(r))));

    const runs = await repeat(reps, () => endToEnd('embedded', embedded));
    const base = await repeat(reps, async () => sqliteBaseline(payloads(embedded)).perSecond);
    report.add({
      name: `embedded: hub end to end (${total(embedded)} records)`,
      value: median(runs),
      unit: 'records/s',
      runs,
      baseline: { name: 'raw SQLite durable enqueue + dequeue (WAL, one transaction each)', value: median(base), unit: 'records/s' },
      target: { text: `≥ 1/3 of the baseline`, met: median(runs) / median(base) >= TARGET_RATIO },
    });
    const prof = await profiled(profileFile(o, 'pipeline'), () => endToEnd('embedded', embedded));
    if (prof.summary) report.note(profileNote('one more embedded end-to-end run (not among the figures)', prof.summary));
    if (o.mode !== 'dry') {
      const h = await halves('embedded', embedded);
      report.add({ name: 'embedded: ingest alone (map, validate, commit)', value: h.ingest, unit: 'records/s' });
      report.add({ name: 'embedded: delivery alone (relay, broker, router)', value: h.deliver, unit: 'records/s', detail: { storeCalls: h.times } });
      storeNote(report, 'embedded', total(embedded), h.times);
    }

    const real = realEnv();
    if (!real) {
      report.note('RabbitMQ + PostgreSQL mode skipped: set DATABASE_URL and AMQP_URL to measure it');
      return report;
    }
    const batches = sample(bySize(o.mode, { full: 756, quick: 252, dry: 84 }));
    const realReps = bySize(o.mode, { full: 3, quick: 1, dry: 1 });
    const realRuns = await repeat(realReps, () => endToEnd('real', batches));
    const prefetch = 16;
    const pipelined = await repeat(realReps, async () => (await amqpBaseline(real.amqpUrl, payloads(batches), { window: 64, prefetch, noDelay: true })).perSecond);
    const serial = await repeat(realReps, async () => (await amqpBaseline(real.amqpUrl, payloads(batches).slice(0, 300), { window: 1, prefetch, noDelay: true })).perSecond);
    report.add({
      name: `RabbitMQ + PostgreSQL: hub end to end (${total(batches)} records)`,
      value: median(realRuns),
      unit: 'records/s',
      runs: realRuns,
      baseline: { name: 'raw amqplib, persistent + confirms (64 in flight), manual acks, quorum queue', value: median(pipelined), unit: 'records/s' },
      target: { text: '≥ 1/3 of the baseline', met: median(realRuns) / median(pipelined) >= TARGET_RATIO },
    });
    report.add({
      name: 'RabbitMQ + PostgreSQL: hub end to end',
      value: median(realRuns),
      unit: 'records/s',
      baseline: { name: 'raw amqplib, one confirm at a time (as the relay publishes)', value: median(serial), unit: 'records/s' },
    });
    const txs = await repeat(realReps, async () => (await pgBaseline(real.databaseUrl, payloads(batches).slice(0, 400), CLIENTS)).perSecond);
    report.add({
      name: 'RabbitMQ + PostgreSQL: hub end to end',
      value: median(realRuns),
      unit: 'records/s',
      baseline: { name: `raw PostgreSQL, one INSERT per transaction, ${CLIENTS} clients`, value: median(txs), unit: 'transactions/s' },
    });
    report.note(
      'the hub runs one PostgreSQL transaction per ingest chunk of up to 100 records (ingestBatch), one per batch of delivery claims (beginAttempts), one per batch of outcomes with their disclosure-log entries (finishAttempts; batches grow with the deliveries in flight, up to the route’s concurrency), and one per relay batch (markPublished), each waiting for its WAL to be flushed',
    );
    if (o.mode === 'full') {
      const nagle = await amqpBaseline(real.amqpUrl, payloads(batches).slice(0, 150), { window: 1, prefetch, noDelay: false });
      report.add({ name: 'raw amqplib, one confirm at a time, Nagle on', value: nagle.perSecond, unit: 'records/s' });
      report.note('the amqplib baselines connect with noDelay: true; with Nagle on (amqplib’s default), this raw publisher that awaits each confirm waits for the delayed TCP ACK (~40 ms) every time');
    }
    if (o.mode === 'full') {
      const h = await halves('real', batches);
      report.add({ name: 'RabbitMQ + PostgreSQL: ingest alone', value: h.ingest, unit: 'records/s' });
      report.add({ name: 'RabbitMQ + PostgreSQL: delivery alone', value: h.deliver, unit: 'records/s', detail: { storeCalls: h.times } });
      storeNote(report, 'RabbitMQ + PostgreSQL', total(batches), h.times);
      // A route whose sink takes more calls at once (its `concurrency`, the broker's prefetch): larger batches of claims and outcomes.
      const wide = await halves('real', batches, WIDE_CONCURRENCY);
      report.add({ name: `RabbitMQ + PostgreSQL: delivery alone, route concurrency ${WIDE_CONCURRENCY}`, value: wide.deliver, unit: 'records/s', detail: { storeCalls: wide.times } });
      storeNote(report, `RabbitMQ + PostgreSQL, route concurrency ${WIDE_CONCURRENCY}`, total(batches), wide.times);
    }
    return report;
  },
};
