import { MappingEngine } from '../src/mapping/engine.ts';
import { transform } from '../src/mapping/transform.ts';
import { benchHub, LAIS_INSTITUTIONS, laisSource, schemas } from './lib/hub.ts';
import { ingestAll } from './lib/ingest.ts';
import { countryBatches, countryTotal, type LaisBatch } from './lib/lais.ts';
import { clock, LoopLag, RssSampler, round, sinceMs, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { profiled, profileNote } from './lib/profile.ts';
import { bySize, profileFile, type BenchOptions, type Scenario } from './lib/scenario.ts';

export const COUNTRY = { students: 75_000, attainmentsPerStudent: 40 };
const TARGET_MIN = 10;
const CLIENTS = 4;
/** Records per ingest call (one adapter batch). */
const BATCH = 500;

/** Stops a batch stream once the deadline has passed (at a batch boundary). */
function* until_(deadline: number | undefined, batches: Iterable<LaisBatch>): Generator<LaisBatch> {
  for (const b of batches) {
    if (deadline !== undefined && Date.now() > deadline) return;
    yield b;
  }
}

/** map + validate alone, no storage: the floor the pipeline's per-record work cannot go below. */
async function mapValidateRate(seconds: number): Promise<number> {
  const engine = new MappingEngine();
  const deadline = Date.now() + seconds * 1000;
  let n = 0;
  const t = clock();
  for (const b of countryBatches({ ...COUNTRY, batchSize: BATCH, institutions: LAIS_INSTITUTIONS.map((i) => i.id), seed: 99 })) {
    for (const r of b.records) {
      JSON.stringify(r);
      await transform(engine, schemas, 'lais', b.entity, r, { institution: b.institution, source: laisSource(b.institution) });
    }
    n += b.records.length;
    if (Date.now() > deadline) break;
  }
  return (n / sinceMs(t)) * 1000;
}

/** Ingest alone (map, validate, store and commit in one transaction per chunk), no relay or delivery running. */
async function ingestAloneRate(records: number): Promise<number> {
  const b = await benchHub({ backend: 'embedded', role: 'api' });
  try {
    const students = Math.max(1, Math.round(records / (2 + COUNTRY.attainmentsPerStudent)));
    const batches = countryBatches({ students, attainmentsPerStudent: COUNTRY.attainmentsPerStudent, batchSize: BATCH, institutions: ['lu.lv'], seed: 5 });
    const t = clock();
    const n = await ingestAll(b.hub, batches, CLIENTS);
    return (n / sinceMs(t)) * 1000;
  } finally {
    await b.stop();
  }
}

/**
 * Scenario 2: the country at full size, 75,000 students with study rights and 3,000,000 assessments
 * in the LAIS format, streamed (generated batch by batch) into the embedded hub, until every record is
 * committed and delivered; peak memory sampled throughout. Within the bench's time budget a measured
 * fraction runs and the full size is projected from its rate; --full-size runs all of it.
 */
export const countryScenario: Scenario = {
  name: 'country',
  title: 'the country at full size: 75,000 students, 3,000,000 assessments, LAIS format',
  async run(o: BenchOptions) {
    const report = new Report('country', this.title, o.mode);
    const full = countryTotal(COUNTRY);
    const budgetSec = o.fullSize || o.mode === 'dry' ? undefined : bySize(o.mode, { full: 100, quick: 8, dry: 0 });
    const students = o.mode === 'dry' && !o.fullSize ? 2 : COUNTRY.students;
    const b = await benchHub({ backend: 'embedded' });
    const rss = new RssSampler().start(250);
    const loop = new LoopLag().start();
    let n = 0;
    let ms = 0;
    let lag: ReturnType<LoopLag['stop']> = { maxMs: 0, p99Ms: 0, ticks: 0 };
    let stopMs = 0;
    let cpu: NodeJS.CpuUsage = { user: 0, system: 0 };
    try {
      const cpuAtStart = process.cpuUsage();
      const t = clock();
      const deadline = budgetSec === undefined ? undefined : Date.now() + budgetSec * 1000;
      const stream = countryBatches({ students, attainmentsPerStudent: COUNTRY.attainmentsPerStudent, batchSize: BATCH, institutions: LAIS_INSTITUTIONS.map((i) => i.id) });
      const prof = await profiled(profileFile(o, 'country'), async () => {
        n = await ingestAll(b.hub, until_(deadline, stream), CLIENTS, async (h, x) => {
          await h.pipeline.ingest(laisSource(x.institution), x.entity, x.records, 'application/json');
          rss.sample();
        });
        await until(() => b.counter.count >= n, 3_600_000, `${n} deliveries`, 20);
      });
      if (prof.summary) report.note(profileNote('the load (figures of this run were measured under the profiler)', prof.summary));
      ms = sinceMs(t);
      cpu = process.cpuUsage(cpuAtStart);
      const counts = await b.hub.store.countMessagesByStatus();
      if ((counts.delivered ?? 0) < n) await until(async () => ((await b.hub.store.countMessagesByStatus()).delivered ?? 0) >= n, 30_000, 'delivered statuses', 50);
    } finally {
      // The load's figures end here: the hub's stop (its queues drained, the stores' last checkpoints on
      // close) is timed on its own, not counted as the load holding the event loop.
      lag = loop.stop();
      const stopping = clock();
      await b.stop();
      stopMs = sinceMs(stopping);
    }
    const mem = rss.stop();
    const rate = (n / ms) * 1000;
    const projectedMin = full / rate / 60;
    const floor = await mapValidateRate(bySize(o.mode, { full: 10, quick: 3, dry: 1 }));
    report.add({
      name: `hub, embedded: ${n} of ${full} records ${n < full ? '(a measured fraction)' : ''}`.trim(),
      value: rate,
      unit: 'records/s',
      baseline: { name: 'map + validate alone, nothing stored (the per-record CPU floor)', value: floor, unit: 'records/s' },
      detail: { records: n, seconds: round(ms / 1000, 1), clients: CLIENTS, batch: BATCH },
    });
    report.add({
      name: n < full ? 'full size, projected from that rate' : 'full size, measured',
      value: n < full ? projectedMin : ms / 60_000,
      unit: 'minutes',
      target: { text: `under ${TARGET_MIN} minutes`, met: (n < full ? projectedMin : ms / 60_000) < TARGET_MIN },
    });
    const growth = mem.lastQuarterPeakMb / Math.max(1, mem.firstQuarterPeakMb);
    report.add({
      name: 'peak memory (RSS of the hub process)',
      value: mem.peakMb,
      unit: 'MB',
      target: { text: 'flat: last-quarter peak within 25 % of first-quarter peak', met: growth <= 1.25 },
      detail: { ...mem },
    });
    // CPU time is what a busy neighbour on a shared machine changes least (wall time waits for a core).
    report.add({
      name: 'CPU time a record (the hub process, all its threads: the loop, checkpoints, GC)',
      value: n ? (cpu.user + cpu.system) / n : 0,
      unit: 'µs',
      detail: { userUs: n ? round(cpu.user / n, 1) : 0, systemUs: n ? round(cpu.system / n, 1) : 0 },
    });
    report.add({
      name: 'longest the event loop was held during the load',
      value: lag.maxMs,
      unit: 'ms',
      detail: lag,
    });
    report.note(`the hub's stop after the load (its queues drained, the stores closed with their last checkpoints) took ${round(stopMs / 1000, 2)} s, not counted above`);
    report.note(`RSS ${mem.startMb} MB at start, first-quarter peak ${mem.firstQuarterPeakMb} MB, last-quarter peak ${mem.lastQuarterPeakMb} MB (${mem.samples} samples)`);
    if (o.mode === 'full') {
      report.add({
        name: 'ingest alone (map, validate, store and commit), nothing delivered',
        value: await ingestAloneRate(20_000),
        unit: 'records/s',
        baseline: { name: 'map + validate alone, nothing stored', value: floor, unit: 'records/s' },
      });
    }
    if (n < full && !o.fullSize) report.note('run `npm run bench -- country --full-size` to load the whole country (hours at this rate)');
    return report;
  },
};
