import { join } from 'node:path';
import type { Report } from './report.ts';

export type Mode = 'full' | 'quick' | 'dry';

export interface BenchOptions {
  /** full: the sizes the issue names (within the 15-minute budget); quick: < 2 min in all; dry: smallest, proves the harness. */
  mode: Mode;
  /** Where <scenario>.json goes (bench/results/ unless --out). */
  out: string;
  /** Run the country at its full size (75,000 students, 3,000,000 assessments) whatever the time. */
  fullSize: boolean;
  /** Profile the main measured part of each scenario (V8 CPU profiler), writing <out>/<scenario>.cpuprofile.json. */
  profile: boolean;
}

export interface Scenario {
  name: string;
  title: string;
  run(o: BenchOptions): Promise<Report>;
}

/** Where a scenario's CPU profile goes when profiling is on (.json, so git ignores it in bench/results/). */
export function profileFile(o: BenchOptions, name: string): string | undefined {
  return o.profile ? join(o.out, `${name}.cpuprofile.json`) : undefined;
}

/** Picks a size by mode. */
export function bySize<T>(mode: Mode, sizes: { full: T; quick: T; dry: T }): T {
  return sizes[mode];
}
