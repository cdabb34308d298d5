import { LAIS_RESOURCES } from '../adapters/lais/client.ts';
import { LaisSimulator } from '../adapters/lais/simulator.ts';
import { benchHub } from './lib/hub.ts';
import { clock, sinceMs, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

/**
 * The LAIS adapter end to end at size: a full sync of simulated students (2 results each, their
 * study rights and diplomas) from the LAIS simulator over loopback HTTP into the embedded hub, then
 * an incremental sync of 50 changes. test/sources/lais-20k.test.ts proves the same behaviour at a
 * small size; the duration is this scenario's.
 */
export const laisSyncScenario: Scenario = {
  name: 'lais-sync',
  title: 'LAIS adapter: full sync of simulated students, then an incremental sync (embedded)',
  async run(o: BenchOptions) {
    const report = new Report('lais-sync', this.title, o.mode);
    const students = bySize(o.mode, { full: 20_000, quick: 2_000, dry: 100 });
    const sim = new LaisSimulator({ students, resultsPerStudent: 2 });
    await sim.start();
    const b = await benchHub({
      backend: 'embedded',
      config: {
        institutions: [{ id: 'lu.lv', name: 'Latvijas Universitāte' }],
        sources: [
          {
            id: 'lu-lais',
            institution: 'lu.lv',
            system: 'lais',
            mappingSet: 'lais',
            adapter: { type: 'lais', options: { baseUrl: sim.url, pageSize: 1000, batchSize: 500, pollIntervalMs: 3_600_000 } },
          },
        ],
        sinks: [],
        routes: [],
      },
    });
    try {
      const runner = b.hub.sources?.runner('lu-lais');
      if (!runner) throw new Error('no runner for lu-lais');
      const passDone = (after: number, timeoutMs: number) => until(() => runner.passes > after && runner.lastPass?.result === 'ok', timeoutMs, 'a successful pass', 50);
      const t = clock();
      await passDone(0, 1_800_000);
      const seconds = sinceMs(t) / 1000;
      const total = LAIS_RESOURCES.reduce((n, r) => n + sim.count(r.path), 0);
      report.add({ name: `full sync, ${students} students`, value: total / seconds, unit: 'records/s', detail: { records: total, seconds } });

      const before = runner.passes;
      for (let i = 0; i < 25; i++) sim.change('studenti', (i * 97) % students);
      for (let i = 0; i < 25; i++) sim.addResult((i * 131) % students);
      const served = sim.recordsServed;
      const u = clock();
      await b.hub.sources!.trigger('lu-lais', false);
      await passDone(before, 120_000);
      report.add({ name: 'incremental sync, 50 changes', value: sinceMs(u), unit: 'ms', detail: { recordsServed: sim.recordsServed - served } });
    } finally {
      await b.stop();
      await sim.close();
    }
    return report;
  },
};
