import { readFileSync } from 'node:fs';

/** A V8 .cpuprofile (node --cpu-prof), summarised by self time per function and per package. */
interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  hitCount?: number;
  children?: number[];
}
interface CpuProfile {
  nodes: ProfileNode[];
  startTime: number;
  endTime: number;
  samples?: number[];
  timeDeltas?: number[];
}

export interface ProfileSummary {
  totalMs: number;
  /** Self time by area: a package under node_modules, a folder of this repo, or (gc), (idle), (program). */
  byArea: { area: string; ms: number; share: number }[];
  top: { fn: string; where: string; ms: number; share: number }[];
}

function areaOf(url: string, fn: string): string {
  if (!url) return fn.startsWith('(') ? fn : '(native)';
  const nm = url.lastIndexOf('node_modules/');
  if (nm >= 0) {
    const rest = url.slice(nm + 'node_modules/'.length).split('/');
    return rest[0]!.startsWith('@') ? `${rest[0]}/${rest[1]}` : rest[0]!;
  }
  if (url.startsWith('node:')) return url;
  const m = /\/(src|bench|adapters)\/([^/]+)/.exec(url);
  return m ? `${m[1]}/${m[2]}` : url.replace(/^file:\/\//, '');
}

export function summariseProfile(file: string, top = 15): ProfileSummary {
  const p = JSON.parse(readFileSync(file, 'utf8')) as CpuProfile;
  const selfUs = new Map<number, number>();
  const samples = p.samples ?? [];
  const deltas = p.timeDeltas ?? [];
  for (let i = 0; i < samples.length; i++) selfUs.set(samples[i]!, (selfUs.get(samples[i]!) ?? 0) + (deltas[i] ?? 0));
  const total = [...selfUs.values()].reduce((a, b) => a + b, 0) || 1;
  const byArea = new Map<string, number>();
  const byFn = new Map<string, { where: string; us: number }>();
  const parent = new Map<number, ProfileNode>();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  for (const n of p.nodes) for (const c of n.children ?? []) parent.set(c, n);
  // A native function (a better-sqlite3 statement, a crypto hash…) counts for the code that called it.
  const areaOfNode = (n: ProfileNode): string => {
    const { functionName, url } = n.callFrame;
    if (url || functionName.startsWith('(')) return areaOf(url, functionName);
    for (let q = parent.get(n.id); q; q = parent.get(q.id)) if (q.callFrame.url) return `${areaOf(q.callFrame.url, '')} (native calls)`;
    return '(native)';
  };
  for (const n of p.nodes) {
    const us = selfUs.get(n.id) ?? 0;
    if (!us) continue;
    const { functionName, url, lineNumber } = n.callFrame;
    const area = areaOfNode(byId.get(n.id)!);
    byArea.set(area, (byArea.get(area) ?? 0) + us);
    const key = `${functionName || '(anonymous)'} ${url}:${lineNumber + 1}`;
    const f = byFn.get(key) ?? { where: `${area}:${lineNumber + 1}`, us: 0 };
    f.us += us;
    byFn.set(key, f);
  }
  const share = (us: number) => Math.round((us / total) * 1000) / 10;
  return {
    totalMs: Math.round(total / 1000),
    byArea: [...byArea.entries()]
      .sort((a, b) => b[1] - a[1])
      .slice(0, top)
      .map(([area, us]) => ({ area, ms: Math.round(us / 1000), share: share(us) })),
    top: [...byFn.entries()]
      .sort((a, b) => b[1].us - a[1].us)
      .slice(0, top)
      .map(([k, v]) => ({ fn: k.split(' ')[0]!, where: v.where, ms: Math.round(v.us / 1000), share: share(v.us) })),
  };
}

export function formatProfile(s: ProfileSummary): string {
  const lines = [`self time ${s.totalMs} ms`, 'by area:'];
  for (const a of s.byArea) lines.push(`  ${String(a.share).padStart(5)} %  ${a.area}`);
  lines.push('top functions:');
  for (const f of s.top) lines.push(`  ${String(f.share).padStart(5)} %  ${f.fn}  (${f.where})`);
  return lines.join('\n');
}

/**
 * Runs fn under the V8 CPU profiler of this process (node:inspector) when `file` is given, writes
 * the .cpuprofile there and returns its summary; without a file it only runs fn.
 */
export async function profiled<T>(file: string | undefined, fn: () => Promise<T>): Promise<{ value: T; summary?: ProfileSummary }> {
  if (!file) return { value: await fn() };
  const { Session } = await import('node:inspector/promises');
  const { mkdirSync, writeFileSync } = await import('node:fs');
  const { dirname } = await import('node:path');
  mkdirSync(dirname(file), { recursive: true });
  const session = new Session();
  session.connect();
  await session.post('Profiler.enable');
  await session.post('Profiler.setSamplingInterval', { interval: 500 });
  await session.post('Profiler.start');
  try {
    const value = await fn();
    const { profile } = await session.post('Profiler.stop');
    writeFileSync(file, JSON.stringify(profile));
    return { value, summary: summariseProfile(file, 12) };
  } finally {
    session.disconnect();
  }
}

/** One line per area, for a report note. */
export function profileNote(what: string, s: ProfileSummary): string {
  const areas = s.byArea.filter((a) => a.share >= 1).map((a) => `${a.area} ${a.share} %`);
  const fns = s.top.slice(0, 6).map((f) => `${f.fn} (${f.where}) ${f.share} %`);
  return `CPU profile of ${what} (${s.totalMs} ms sampled): by area ${areas.join(', ')}; top functions ${fns.join(', ')}`;
}
