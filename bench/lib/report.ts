import { mkdirSync, writeFileSync } from 'node:fs';
import { cpus, freemem, loadavg, totalmem } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { clock, round, sinceMs } from './measure.ts';

export const RESULTS_DIR = fileURLToPath(new URL('../results/', import.meta.url));

export interface Machine {
  cores: number;
  cpu: string;
  memoryGb: number;
  freeMemoryGb: number;
  /** 1-minute load average when the scenario started: above the core count, others were busy too. */
  load1: number;
  node: string;
  platform: string;
}

export function machine(): Machine {
  const c = cpus();
  return {
    cores: c.length,
    cpu: c[0]?.model ?? 'unknown',
    memoryGb: round(totalmem() / 1024 ** 3, 1),
    freeMemoryGb: round(freemem() / 1024 ** 3, 1),
    load1: round(loadavg()[0] ?? 0, 2),
    node: process.version,
    platform: `${process.platform} ${process.arch}`,
  };
}

export interface Target {
  text: string;
  met: boolean;
}

/** One measured figure; a baseline measured in the same run sits beside it. */
export interface Figure {
  name: string;
  value: number;
  unit: string;
  /** Each repetition; value is their median. */
  runs?: number[];
  baseline?: { name: string; value: number; unit: string };
  /** value / baseline.value */
  ratio?: number;
  target?: Target;
  detail?: Record<string, unknown>;
}

export interface ScenarioResult {
  scenario: string;
  title: string;
  mode: 'full' | 'quick' | 'dry';
  startedAt: string;
  durationMs: number;
  machine: Machine;
  figures: Figure[];
  notes: string[];
}

const fmt = (v: number) => (Math.abs(v) >= 100 ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Collects a scenario's figures, prints each as a line, and writes bench/results/<scenario>.json. */
export class Report {
  readonly figures: Figure[] = [];
  readonly notes: string[] = [];
  private readonly started = clock();
  private readonly startedAt = new Date().toISOString();
  private readonly machine = machine();

  constructor(
    readonly scenario: string,
    readonly title: string,
    readonly mode: ScenarioResult['mode'],
    private readonly print: (line: string) => void = console.log,
  ) {
    this.print(`\n== ${scenario}: ${title} (${mode}; ${this.machine.cores} cores, load ${this.machine.load1}, node ${this.machine.node})`);
  }

  /** Adds a figure; with a baseline the ratio is computed; prints it at once. */
  add(f: Omit<Figure, 'ratio'>): Figure {
    const fig: Figure = { ...f, value: round(f.value, 3) };
    if (f.baseline && f.baseline.value > 0) fig.ratio = round(f.value / f.baseline.value, 3);
    this.figures.push(fig);
    let line = `  ${f.name.padEnd(44)} ${fmt(f.value).padStart(9)} ${f.unit}`;
    if (f.runs && f.runs.length > 1) line += `  (median of ${f.runs.length}: ${f.runs.map(fmt).join(', ')})`;
    if (f.baseline) line += `\n  ${''.padEnd(44)} baseline ${f.baseline.name}: ${fmt(f.baseline.value)} ${f.baseline.unit}${fig.ratio !== undefined ? `  → ratio ${fig.ratio}` : ''}`;
    if (f.target) line += `\n  ${''.padEnd(44)} target ${f.target.text}: ${f.target.met ? 'met' : 'MISSED'}`;
    this.print(line);
    return fig;
  }

  note(text: string): void {
    this.notes.push(text);
    this.print(`  note: ${text}`);
  }

  result(): ScenarioResult {
    return {
      scenario: this.scenario,
      title: this.title,
      mode: this.mode,
      startedAt: this.startedAt,
      durationMs: Math.round(sinceMs(this.started)),
      machine: this.machine,
      figures: this.figures,
      notes: this.notes,
    };
  }

  /** Writes <dir>/<scenario>.json and returns its path. */
  write(dir: string = RESULTS_DIR): string {
    mkdirSync(dir, { recursive: true });
    const file = join(dir, `${this.scenario}.json`);
    writeFileSync(file, `${JSON.stringify(this.result(), null, 2)}\n`);
    return file;
  }
}
