// Prints bench/results/*.json (or <dir>/*.json) as Markdown tables, for docs/performance.md:
// `node --import tsx bench/markdown.ts [dir]`.
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { RESULTS_DIR, type ScenarioResult } from './lib/report.ts';

const ORDER = ['pipeline', 'country', 'mapping', 'api', 'scaleout', 'failover', 'lais-sync', 'admin-reads'];
const dir = process.argv[2] ?? RESULTS_DIR;
const results = readdirSync(dir)
  .filter((f) => f.endsWith('.json') && !f.endsWith('.cpuprofile.json'))
  .map((f) => JSON.parse(readFileSync(join(dir, f), 'utf8')) as ScenarioResult)
  .sort((a, b) => ORDER.indexOf(a.scenario) - ORDER.indexOf(b.scenario));

const num = (v: number) => (Math.abs(v) >= 100 ? String(Math.round(v)) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));
const cell = (s: string) => s.replace(/\|/g, '\\|');

for (const r of results) {
  const m = r.machine;
  console.log(`\n### ${r.scenario}: ${r.title}\n`);
  console.log(`${r.mode} run of ${r.startedAt.slice(0, 16).replace('T', ' ')} UTC, ${Math.round(r.durationMs / 1000)} s, load average ${m.load1} on ${m.cores} cores\n`);
  console.log('| figure | value | runs | baseline (same run) | ratio | target |');
  console.log('| --- | ---: | --- | --- | ---: | --- |');
  for (const f of r.figures) {
    const runs = f.runs && f.runs.length > 1 ? f.runs.map(num).join(', ') : '';
    const base = f.baseline ? `${cell(f.baseline.name)}: ${num(f.baseline.value)} ${f.baseline.unit}` : '';
    const target = f.target ? `${f.target.met ? 'met' : '**missed**'} (${cell(f.target.text)})` : '';
    console.log(`| ${cell(f.name)} | ${num(f.value)} ${f.unit} | ${runs} | ${base} | ${f.ratio ?? ''} | ${target} |`);
  }
  if (r.notes.length) console.log(`\n${r.notes.map((n) => `- ${n}`).join('\n')}`);
}
