import { clock, sinceMs } from './lib/measure.ts';
import { RESULTS_DIR, type ScenarioResult } from './lib/report.ts';
import type { BenchOptions, Mode, Scenario } from './lib/scenario.ts';

/** A scenario by name, its module loaded only when it runs (loading them all through tsx takes ~2 s). */
export interface ScenarioEntry {
  name: string;
  load(): Promise<Scenario>;
}

export const SCENARIOS: readonly ScenarioEntry[] = [
  { name: 'pipeline', load: async () => (await import('./pipeline.ts')).pipelineScenario },
  { name: 'country', load: async () => (await import('./country.ts')).countryScenario },
  { name: 'mapping', load: async () => (await import('./mapping.ts')).mappingScenario },
  { name: 'api', load: async () => (await import('./api.ts')).apiScenario },
  { name: 'scaleout', load: async () => (await import('./scaleout.ts')).scaleoutScenario },
  { name: 'lais-sync', load: async () => (await import('./lais-sync.ts')).laisSyncScenario },
  { name: 'admin-reads', load: async () => (await import('./admin-reads.ts')).adminReadsScenario },
  { name: 'catalogue', load: async () => (await import('./catalogue.ts')).catalogueScenario },
  { name: 'credentials', load: async () => (await import('./credentials.ts')).credentialsScenario },
  { name: 'failover', load: async () => (await import('./failover.ts')).failoverScenario },
  { name: 'trail', load: async () => (await import('./trail.ts')).trailScenario },
];

const USAGE = `usage: npm run bench -- [scenario...] [--quick | --dry] [--out <dir>] [--full-size]
  scenarios: ${SCENARIOS.map((s) => s.name).join(', ')} (default: all)
  --quick      a short version of each (< 2 minutes in all)
  --dry        the smallest run that exercises the harness (for tests)
  --out <dir>  write <scenario>.json there instead of bench/results/
  --full-size  country: load all 75,000 students and 3,000,000 assessments, however long it takes
  --profile    CPU-profile the main measured part of pipeline, country, api and trail (slower figures);
               writes <out>/<scenario>.cpuprofile.json and notes the summary
RabbitMQ + PostgreSQL figures need DATABASE_URL and AMQP_URL.`;

export interface Parsed {
  scenarios: ScenarioEntry[];
  options: BenchOptions;
}

export function parseArgs(argv: readonly string[]): Parsed {
  let mode: Mode = 'full';
  let out = RESULTS_DIR;
  let fullSize = false;
  let profile = false;
  const names: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === '--quick') mode = mode === 'dry' ? 'dry' : 'quick';
    else if (a === '--dry') mode = 'dry';
    else if (a === '--full-size') fullSize = true;
    else if (a === '--profile') profile = true;
    else if (a === '--out') {
      const dir = argv[++i];
      if (!dir) throw new Error('--out needs a directory');
      out = dir;
    } else if (a === '--help' || a === '-h') throw new Error(USAGE);
    else if (a.startsWith('-')) throw new Error(`unknown option ${a}\n${USAGE}`);
    else names.push(a);
  }
  const scenarios = names.length ? names.map((n) => SCENARIOS.find((s) => s.name === n) ?? failName(n)) : [...SCENARIOS];
  return { scenarios, options: { mode, out, fullSize, profile } };
}

function failName(n: string): never {
  throw new Error(`unknown scenario '${n}'\n${USAGE}`);
}

function summary(results: ScenarioResult[], failed: string[], ms: number): string {
  const lines = ['', `== summary (${Math.round(ms / 1000)} s)`];
  for (const r of results) {
    lines.push(`  ${r.scenario} (${Math.round(r.durationMs / 1000)} s)`);
    for (const f of r.figures.filter((x) => x.target)) lines.push(`    ${f.target!.met ? 'met   ' : 'MISSED'} ${f.target!.text}: ${f.name} = ${f.value} ${f.unit}`);
  }
  for (const f of failed) lines.push(`  ${f}: FAILED`);
  return lines.join('\n');
}

/** Runs the scenarios named in argv (all by default); returns the exit code. */
export async function main(argv: readonly string[]): Promise<number> {
  let parsed: Parsed;
  try {
    parsed = parseArgs(argv);
  } catch (e) {
    console.error((e as Error).message);
    return 2;
  }
  const t = clock();
  const results: ScenarioResult[] = [];
  const failed: string[] = [];
  for (const s of parsed.scenarios) {
    try {
      const scenario = await s.load();
      if (scenario.name !== s.name) throw new Error(`the module of scenario '${s.name}' exports '${scenario.name}'`);
      const report = await scenario.run(parsed.options);
      const file = report.write(parsed.options.out);
      results.push(report.result());
      console.log(`  → ${file}`);
    } catch (e) {
      failed.push(s.name);
      console.error(`\n${s.name} failed: ${(e as Error).stack ?? String(e)}`);
    }
  }
  console.log(summary(results, failed, sinceMs(t)));
  return failed.length ? 1 : 0;
}
