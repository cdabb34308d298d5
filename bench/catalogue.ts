import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/app.ts';
import { fold } from '../src/catalogue/fold.ts';
import type { HubConfig } from '../src/config/types.ts';
import { benchHub } from './lib/hub.ts';
import { runLoad } from './lib/load.ts';
import { memoryUsage } from 'node:process';
import { clock, round, sinceMs } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

const SUBJECTS: [string, string][] = [
  ['Datu', 'Data'],
  ['Zinātnes', 'Science'],
  ['Ekonomikas', 'Economics'],
  ['Vēstures', 'History'],
  ['Matemātikas', 'Mathematics'],
  ['Fizikas', 'Physics'],
  ['Ķīmijas', 'Chemistry'],
  ['Bioloģijas', 'Biology'],
  ['Tiesību', 'Law'],
  ['Valodniecības', 'Linguistics'],
  ['Mākslas', 'Art'],
  ['Medicīnas', 'Medicine'],
  ['Inženierzinātņu', 'Engineering'],
  ['Vadības', 'Management'],
  ['Psiholoģijas', 'Psychology'],
  ['Socioloģijas', 'Sociology'],
  ['Ģeogrāfijas', 'Geography'],
  ['Filozofijas', 'Philosophy'],
];
const KINDS: [string, string][] = [
  ['pamati', 'Foundations of'],
  ['metodes', 'Methods of'],
  ['teorija', 'Theory of'],
  ['prakse', 'Practice of'],
  ['analīze', 'Analysis in'],
  ['seminārs', 'Seminar in'],
  ['projekts', 'Project in'],
  ['modelēšana', 'Modelling in'],
  ['ētika', 'Ethics of'],
  ['vēsture', 'History of'],
];
const LANGS = ['lv', 'en'];
const MODES = ['in-person', 'online', 'blended'];
const ISCED = ['0111', '0213', '0222', '0311', '0413', '0421', '0511', '0533', '0541', '0612', '0613', '0711', '0912', '0923'];

/** A number from n and a salt, so that the attributes of a course vary independently of each other. */
function pick(n: number, salt: number, size: number): number {
  let h = Math.imul(n ^ Math.imul(salt, 0x9e3779b1), 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (h >>> 13), 0xc2b2ae35) >>> 0;
  return ((h ^ (h >>> 16)) >>> 0) % size;
}

/** The bench data set: `perInstitution` canonical courses of one institution, Latvian and English texts with diacritics. */
export function courses(inst: number, perInstitution: number) {
  return Array.from({ length: perInstitution }, (_, i) => {
    const n = inst * 100_000 + i;
    const [sLv, sEn] = SUBJECTS[pick(n, 1, SUBJECTS.length)]!;
    const [kLv, kEn] = KINDS[pick(n, 2, KINDS.length)]!;
    const level = 6 + pick(n, 3, 3);
    const lang = LANGS[pick(n, 4, 2)]!;
    const code = `K${inst}-${String(i).padStart(5, '0')}`;
    return {
      sourceId: code,
      identifiers: [{ scheme: 'local-code', value: code }],
      code,
      name: [
        { lang: 'lv', text: `${sLv} ${kLv} ${(i % 7) + 1}` },
        { lang: 'en', text: `${kEn} ${sEn} ${(i % 7) + 1}` },
      ],
      credits: { value: [2, 3, 4, 6, 8][pick(n, 5, 5)]!, scheme: 'ECTS' },
      eqfLevel: level,
      language: lang,
      iscedF: ISCED[pick(n, 6, ISCED.length)]!,
      description: [
        { lang: 'lv', text: `Kurss aptver ${sLv.toLowerCase()} jomas ${kLv} un to lietojumu; lekcijas, semināri un patstāvīgais darbs (${code}).` },
        { lang: 'en', text: `The course covers ${kEn.toLowerCase()} ${sEn.toLowerCase()} and its use; lectures, seminars and independent work (${code}).` },
      ],
      teachingLanguages: [lang],
      modesOfDelivery: [MODES[pick(n, 7, 3)]!],
      levelOfStudy: level === 6 ? 'bachelor' : level === 7 ? 'master' : 'doctoral',
      openToOtherInstitutions: pick(n, 8, 4) !== 0,
      microCredential: pick(n, 9, 10) === 0,
      validFrom: '2024-09-01',
    };
  });
}

/**
 * What students type: 2,800 different questions: a subject in Latvian without diacritics or in English,
 * subject and kind together (with a course number), subjects with a filter, and filters alone.
 */
function distinctQueries(): string[] {
  const out: string[] = [];
  for (const [lv, en] of SUBJECTS) {
    out.push(`/ooapi/v5/courses?q=${encodeURIComponent(fold(lv))}`, `/ooapi/v5/courses?q=${encodeURIComponent(en)}`);
    for (const [k, ke] of KINDS)
      for (let n = 1; n <= 7; n++) out.push(`/ooapi/v5/courses?q=${encodeURIComponent(`${fold(lv)} ${fold(k)} ${n}`)}`, `/ooapi/v5/courses?q=${encodeURIComponent(`${ke} ${en} ${n}`)}`);
    out.push(
      `/ooapi/v5/courses?q=${encodeURIComponent(en)}&teachingLanguage=eng`,
      `/ooapi/v5/courses?q=${encodeURIComponent(fold(lv).slice(0, 5))}&level=master&pageSize=20`,
      `/ooapi/v5/courses?q=${encodeURIComponent(fold(lv))}&modeOfDelivery=online`,
    );
  }
  for (const mode of ['on%20campus', 'online', 'hybrid'])
    for (const level of ['bachelor', 'master', 'doctoral'])
      out.push(`/ooapi/v5/courses?modeOfDelivery=${mode}&level=${level}`, `/ooapi/v5/courses?modeOfDelivery=${mode}&level=${level}&microCredential=true`);
  // In a mixed order, so that popularity (below) does not follow the kind of question.
  return out
    .map((p, i) => ({ p, k: pick(i, 11, 1 << 30) }))
    .sort((a, b) => a.k - b.k)
    .map((x) => x.p);
}
const DISTINCT = distinctQueries();

/**
 * The stream of questions a catalogue gets: popularity follows Zipf's law (the r-th most asked
 * question is asked in proportion to 1/r), as search logs do: a few questions very often, most of them
 * rarely. `count` questions drawn from the distinct ones, deterministically.
 */
function zipfStream(count: number): string[] {
  const weights = DISTINCT.map((_, r) => 1 / (r + 1));
  const total = weights.reduce((a, b) => a + b, 0);
  const cumulative: number[] = [];
  let acc = 0;
  for (const w of weights) cumulative.push((acc += w / total));
  return Array.from({ length: count }, (_, i) => {
    const u = pick(i, 12, 1_000_000) / 1_000_000;
    let lo = 0;
    let hi = cumulative.length - 1;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (cumulative[mid]! < u) lo = mid + 1;
      else hi = mid;
    }
    return DISTINCT[lo]!;
  });
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

export const catalogueScenario: Scenario = {
  name: 'catalogue',
  title: 'catalogue: build and rebuild the read model from the change log; OOAPI search at 200 requests/s (embedded)',
  async run(o: BenchOptions) {
    const report = new Report('catalogue', this.title, o.mode);
    const institutions = bySize(o.mode, { full: 30, quick: 10, dry: 2 });
    const perInstitution = bySize(o.mode, { full: 2000, quick: 500, dry: 50 });
    const seconds = bySize(o.mode, { full: 30, quick: 10, dry: 2 });
    const insts = Array.from({ length: institutions }, (_, i) => ({ id: `aug${i + 1}.lv`, name: `Augstskola ${i + 1}` }));
    const total = institutions * perInstitution;
    const config: HubConfig = {
      institutions: insts,
      sources: insts.map((i) => ({ id: `${i.id.split('.')[0]}-push`, institution: i.id, mappingSet: 'canonical' })),
      sinks: [],
      routes: [],
      catalogue: { requestsPerMinute: 1_000_000 },
    };
    const dir = mkdtempSync(join(tmpdir(), 'hub-bench-catalogue-'));
    try {
      {
        const b = await benchHub({ backend: 'embedded', config, dir });
        try {
          const t0 = clock();
          for (const [i, inst] of insts.entries()) {
            const all = courses(i, perInstitution);
            for (let k = 0; k < all.length; k += 500) await b.hub.pipeline.ingest(`${inst.id.split('.')[0]}-push`, 'course', all.slice(k, k + 500), 'application/json');
          }
          const ingestMs = sinceMs(t0);
          // The follower has been applying commits as they came; what is left is applied now.
          await b.hub.catalogue.catchUp();
          report.note(`${total} courses of ${institutions} institutions committed in ${round(ingestMs / 1000, 1)} s (pipeline, SQLite), the follower applying them meanwhile`);
          const t1 = clock();
          const applied = await b.hub.catalogue.rebuild();
          const rebuildMs = sinceMs(t1);
          if (applied !== total || (await b.hub.catalogue.store.count('course')) !== total) throw new Error(`rebuild applied ${applied} of ${total}`);
          report.add({ name: 'rebuild the read model from the change log', value: round(rebuildMs / 1000, 1), unit: 's', detail: { courses: total } });
          report.add({ name: 'rebuild rate', value: Math.round(total / (rebuildMs / 1000)), unit: 'courses/s' });
        } finally {
          await b.stop();
        }
      }
      const stream = zipfStream(200 * seconds);
      const streamFile = join(dir, 'questions.txt');
      writeFileSync(streamFile, stream.join('\n'));
      const search = async (cacheEntries: number, label: string) => {
        const b = await benchHub({ backend: 'embedded', config: { ...config, catalogue: { ...config.catalogue, cacheEntries } }, dir });
        const server = createServer(createApp(b.hub));
        try {
          const url = await listen(server);
          // Every query finds something (a search answering nothing quickly would prove nothing); the dry
          // run's hundred courses are too few for some word pairs.
          let hits = 0;
          // Asked once before the cached run too would fill its cache: only before the run without one.
          for (const path of cacheEntries === 0 ? DISTINCT : []) {
            const res = await fetch(`${url}${path}`);
            const body = (await res.json()) as { items?: unknown[] };
            if (body.items?.length) hits++;
            else if (o.mode !== 'dry') throw new Error(`${path} found nothing`);
          }
          if (cacheEntries === 0) report.note(`${hits} of ${DISTINCT.length} distinct queries find courses`);
          if (cacheEntries === 0) {
            // How many searches a second the hub answers at all without the cache (closed loop, as fast as it answers).
            const max = await runLoad({ url, paths: DISTINCT, headers: {}, connections: 16, durationSec: Math.max(2, Math.round(seconds / 3)) });
            report.add({ name: `searches answered per second at most, ${label}`, value: round(max.rps, 1), unit: 'requests/s', detail: { p50: max.p50, p99: max.p99 } });
          }
          const before = b.hub.catalogue.store.cacheStats();
          // 200 requests a second, open loop, from another process; each latency from when the request was due.
          const load = await runLoad({ url, paths: [], pathsFile: streamFile, headers: {}, connections: 64, durationSec: seconds, rate: 200 });
          if (load.non2xx) throw new Error(`search answered ${load.non2xx} non-2xx`);
          // Requests the load generator gave up on (10 s) count as failures of the target, not of the run.
          if (load.errors || load.timeouts) report.note(`${label}: ${load.errors} requests failed and ${load.timeouts} timed out of ${load.requests}`);
          const after = b.hub.catalogue.store.cacheStats();
          const served = after.hits - before.hits + (after.misses - before.misses);
          report.add({ name: `search p50 at 200 requests/s, ${label}`, value: round(load.p50, 1), unit: 'ms' });
          report.add({ name: `search p99 at 200 requests/s, ${label}`, value: round(load.p99, 1), unit: 'ms', target: { text: 'p99 < 50 ms', met: load.p99 < 50 && !load.errors && !load.timeouts } });
          report.add({ name: `search max at 200 requests/s, ${label}`, value: round(load.max, 1), unit: 'ms', detail: { requests: load.requests, rps: round(load.rps, 1) } });
          if (cacheEntries > 0 && served) report.add({ name: 'result cache hits', value: round(((after.hits - before.hits) / served) * 100, 1), unit: '%' });
        } finally {
          server.closeAllConnections();
          await new Promise<void>((r) => server.close(() => r()));
          await b.stop();
        }
      };
      await search(0, 'no result cache');
      await search(1000, 'result cache of 1000');
      const seen = new Set(stream).size;
      report.note(
        `the 200 requests/s: ${stream.length} questions drawn by Zipf's law from ${DISTINCT.length} distinct ones (${seen} of them asked at least once), cold: the cache starts empty; e.g. ${DISTINCT.slice(0, 4).join(' ')}`,
      );
      report.note(`RSS after the run: ${Math.round(memoryUsage().rss / 1e6)} MB`);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return report;
  },
};
