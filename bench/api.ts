import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createApp } from '../src/api/app.ts';
import { PAGE_CACHE_BYTES, pageCacheOf } from '../src/feeds/page-cache.ts';
import { EWP_ORIGIN, startEwpTarget } from './lib/ewp-target.ts';
import { benchHub, laisSource } from './lib/hub.ts';
import { countryBatches } from './lib/lais.ts';
import { runLoad, type LoadResult, type LoadSpec } from './lib/load.ts';
import { clock, LoopLag, median, repeat, round, sinceMs, until } from './lib/measure.ts';
import { Report, type Figure } from './lib/report.ts';
import { profiled, profileNote } from './lib/profile.ts';
import { bySize, profileFile, type BenchOptions, type Scenario } from './lib/scenario.ts';

const FIXED_RATE = 200;
const P99_TARGET_MS = 50;
const CONNECTIONS = 10;

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

interface Case {
  name: string;
  url: string;
  paths: string[];
  headers: Record<string, string>;
  ewpSign?: { origin: string; keyPem: string };
}

/**
 * Scenario 4: API latency under load from a second process on loopback (autocannon in a child
 * process): a record by id, feed paging, and (when src/ewp exists) an EWP get; at a fixed 200
 * requests/s and at the highest rate the server sustains. Baseline: a bare node:http server on the
 * same loopback answering with the same bytes.
 */
export const apiScenario: Scenario = {
  name: 'api',
  title: 'API latency under load from a second process (loopback)',
  async run(o: BenchOptions) {
    const report = new Report('api', this.title, o.mode);
    const reps = bySize(o.mode, { full: 2, quick: 1, dry: 1 });
    const fixedSec = bySize(o.mode, { full: 5, quick: 2, dry: 1 });
    const maxSec = bySize(o.mode, { full: 3, quick: 1, dry: 1 });
    const students = bySize(o.mode, { full: 1000, quick: 300, dry: 20 });

    const b = await benchHub({ backend: 'embedded' });
    const servers: Server[] = [];
    const closers: (() => Promise<void>)[] = [];
    try {
      // Records to read: students and study rights, committed and delivered before the load starts.
      const recordIds: string[] = [];
      let n = 0;
      for (const batch of countryBatches({ students, attainmentsPerStudent: 0, batchSize: 200, institutions: ['lu.lv', 'rtu.lv'] })) {
        const res = await b.hub.pipeline.ingest(laisSource(batch.institution), batch.entity, batch.records, 'application/json');
        n += res.length;
        if (batch.entity === 'person') for (const r of res) if (r.recordId) recordIds.push(r.recordId);
      }
      await until(() => b.counter.count >= n, 120_000, 'the preload to be delivered', 20);
      const { token } = await b.hub.tokens.create('bench-reader', ['read:person', 'read:study-right']);
      const headers = { authorization: `Bearer ${token}` };
      const hubServer = createServer(createApp(b.hub));
      servers.push(hubServer);
      const hubUrl = await listen(hubServer);

      // Feed pages: walk the person feed once to collect real cursors.
      const cursors: string[] = ['0'];
      for (let after = '0'; ;) {
        const res = await fetch(`${hubUrl}/api/v1/feeds/person?after=${after}&limit=100`, { headers });
        if (!res.ok) throw new Error(`feed page: HTTP ${res.status} ${await res.text()}`);
        const page = (await res.json()) as { next: string; hasMore: boolean };
        if (!page.hasMore) break;
        cursors.push((after = page.next));
      }
      // Baseline: a bare node:http server answering with the same bytes as the hub (one record, one feed page).
      const bodies = new Map<string, string>([
        ['/record', await (await fetch(`${hubUrl}/api/v1/records/person/${recordIds[0]}`, { headers })).text()],
        ['/feed', await (await fetch(`${hubUrl}/api/v1/feeds/person?after=0&limit=100`, { headers })).text()],
      ]);
      const bare = createServer((req, res) => {
        res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' });
        res.end(bodies.get(req.url ?? '') ?? '{}');
      });
      servers.push(bare);
      const bareUrl = await listen(bare);

      const cases: (Case & { baseline: Case })[] = [
        {
          name: 'GET /api/v1/records/person/{id}',
          url: hubUrl,
          paths: recordIds.map((id) => `/api/v1/records/person/${id}`),
          headers,
          baseline: { name: 'bare node:http, same bytes (one record)', url: bareUrl, paths: ['/record'], headers: {} },
        },
        {
          name: 'GET /api/v1/feeds/person?after=&limit=100',
          url: hubUrl,
          paths: cursors.map((c) => `/api/v1/feeds/person?after=${c}&limit=100`),
          headers,
          baseline: { name: 'bare node:http, same bytes (one page of 100 events)', url: bareUrl, paths: ['/feed'], headers: {} },
        },
      ];
      // An EWP get with signature verification, when src/ewp is there: a second hub, the EWP node of lu.lv.
      const ewp = await startEwpTarget();
      if ('skipped' in ewp) report.note(`EWP get with signature verification: skipped, ${ewp.skipped}`);
      else {
        closers.push(ewp.close);
        bodies.set('/ewp', ewp.sample);
        cases.push({
          name: 'EWP GET institutions (HTTP Signature verified)',
          url: ewp.url,
          paths: ewp.paths,
          headers: {},
          ewpSign: { origin: EWP_ORIGIN, keyPem: ewp.keyPem },
          baseline: { name: 'bare node:http, same bytes (one EWP response), unsigned', url: bareUrl, paths: ['/ewp'], headers: {} },
        });
        report.note('EWP requests are signed by the load generator, each anew (RSA-SHA256, 2048 bits); at the highest rate the signing in the second process may be what limits');
      }

      const load = (c: Case, durationSec: number, rate?: number): Promise<LoadResult> => {
        const spec: LoadSpec = { url: c.url, paths: c.paths, headers: c.headers, connections: CONNECTIONS, durationSec, ...(rate ? { rate } : {}), ...(c.ewpSign ? { ewpSign: c.ewpSign } : {}) };
        return runLoad(spec);
      };
      const med = (rs: LoadResult[], k: keyof LoadResult) => median(rs.map((r) => r[k]));
      const failures = (rs: LoadResult[]) => rs.reduce((s, r) => s + r.non2xx + r.errors + r.timeouts, 0);

      let recordFixedP99: number[] = [];
      let feedFixedP99: number[] = [];
      for (const c of cases) {
        const baseline = c.baseline;
        const baseFixed = await repeat(reps, () => load(baseline, fixedSec, FIXED_RATE));
        const baseMax = await repeat(reps, () => load(baseline, maxSec));
        const fixed = await repeat(reps, () => load(c, fixedSec, FIXED_RATE));
        if (c === cases[0]) recordFixedP99 = fixed.map((r) => r.p99);
        if (c === cases[1]) feedFixedP99 = fixed.map((r) => r.p99);
        const max = await repeat(reps, () => load(c, maxSec));
        const bad = failures(fixed) + failures(max);
        if (bad) report.note(`${c.name}: ${bad} requests failed (non-2xx, errors or timeouts)`);
        report.add({
          name: `${c.name} @ ${FIXED_RATE}/s: p99`,
          value: med(fixed, 'p99'),
          unit: 'ms',
          runs: fixed.map((r) => r.p99),
          baseline: { name: baseline.name, value: med(baseFixed, 'p99'), unit: 'ms' },
          target: { text: `p99 < ${P99_TARGET_MS} ms at ${FIXED_RATE} requests/s`, met: med(fixed, 'p99') < P99_TARGET_MS && bad === 0 },
          detail: { p50: med(fixed, 'p50'), p90: med(fixed, 'p90'), max: med(fixed, 'max'), rps: med(fixed, 'rps') },
        });
        report.add({
          name: `${c.name} @ ${FIXED_RATE}/s: p50`,
          value: med(fixed, 'p50'),
          unit: 'ms',
          runs: fixed.map((r) => r.p50),
          baseline: { name: baseline.name, value: med(baseFixed, 'p50'), unit: 'ms' },
        });
        report.add({
          name: `${c.name} @ max: requests/s`,
          value: med(max, 'rps'),
          unit: 'requests/s',
          runs: max.map((r) => r.rps),
          baseline: { name: baseline.name, value: med(baseMax, 'rps'), unit: 'requests/s' },
          detail: { p50: med(max, 'p50'), p99: med(max, 'p99'), connections: CONNECTIONS },
        });
        report.add({ name: `${c.name} @ max: p99`, value: med(max, 'p99'), unit: 'ms', runs: max.map((r) => r.p99), baseline: { name: baseline.name, value: med(baseMax, 'p99'), unit: 'ms' } });
      }
      const prof = await profiled(profileFile(o, 'api'), () => load(cases[1]!, maxSec));
      if (prof.summary) report.note(profileNote('the server during one more feed run at max rate (not among the figures)', prof.summary));
      const ewpCase = cases.find((c) => c.ewpSign);
      if (ewpCase) {
        const p = await profiled(profileFile(o, 'api-ewp'), () => load(ewpCase, maxSec));
        if (p.summary) report.note(profileNote('the EWP node during one more run at max rate (not among the figures)', p.summary));
      }

      // The same reads while a client sends 100-record batches (in this process, as POST /ingest would;
      // Pipeline.ingest yields to the event loop between the records of a batch); then one record a call.
      const whileIngesting = async (perCall: number, c: Case = cases[0]!) => {
        let ingested = 0;
        let ingestMs = 0;
        const lag = new LoopLag().start();
        const more = countryBatches({ students: 1_000_000, attainmentsPerStudent: 40, batchSize: 100, institutions: ['rtu.lv'], seed: 11 + perCall });
        const runs = await repeat(reps, async () => {
          // Ingest runs for the sending phase of the load; the reads queued behind it are still measured.
          let ingesting = true;
          const stop = setTimeout(() => (ingesting = false), fixedSec * 1000);
          const t = clock();
          const background = (async () => {
            for (let n = more.next(); !n.done && ingesting; n = more.next()) {
              const batch = n.value;
              if (batch.entity !== 'attainment') continue;
              for (let i = 0; i < batch.records.length && ingesting; i += perCall) {
                ingested += (await b.hub.pipeline.ingest(laisSource(batch.institution), batch.entity, batch.records.slice(i, i + perCall), 'application/json')).length;
                await new Promise((r) => setImmediate(r));
              }
            }
            ingestMs += sinceMs(t);
          })();
          try {
            return await load(c, fixedSec, FIXED_RATE);
          } finally {
            ingesting = false;
            clearTimeout(stop);
            await background;
          }
        });
        return { runs, perSecond: (ingested / ingestMs) * 1000, lag: lag.stop() };
      };
      /** A p99 figure of reads made while an ingest ran, beside the same reads without it. */
      const busyFigure = (name: string, busy: Awaited<ReturnType<typeof whileIngesting>>, baseline: NonNullable<Figure['baseline']>, extra: Record<string, number> = {}) =>
        report.add({
          name,
          value: med(busy.runs, 'p99'),
          unit: 'ms',
          runs: busy.runs.map((r) => r.p99),
          baseline,
          target: { text: `p99 < ${P99_TARGET_MS} ms at ${FIXED_RATE} requests/s`, met: med(busy.runs, 'p99') < P99_TARGET_MS && failures(busy.runs) === 0 },
          detail: {
            p50: med(busy.runs, 'p50'),
            max: med(busy.runs, 'max'),
            rps: med(busy.runs, 'rps'),
            ingestedRecordsPerSecond: round(busy.perSecond, 1),
            eventLoopHeldMaxMs: busy.lag.maxMs,
            ...extra,
          },
        });
      for (const perCall of [100, 1]) {
        const busy = await whileIngesting(perCall);
        busyFigure(`${cases[0]!.name} @ ${FIXED_RATE}/s while ingesting, ${perCall === 1 ? 'one record a call' : `${perCall} records a call`}: p99`, busy, {
          name: 'the same reads with no ingest',
          value: median(recordFixedP99),
          unit: 'ms',
        });
      }
      // Feed pages while ingesting at full speed: without the page cache (as before it), then with it.
      const pages = pageCacheOf(b.hub);
      const feedCase = cases[1]!;
      for (const cached of [false, true]) {
        pages.resize(cached ? PAGE_CACHE_BYTES : 0);
        // The server's CPU per page (the load comes from another process): less swayed by a busy machine than latency.
        const cpu = process.cpuUsage();
        const quiet = await load(feedCase, fixedSec, FIXED_RATE);
        const used = process.cpuUsage(cpu);
        report.add({
          name: `${feedCase.name} @ ${FIXED_RATE}/s, ${cached ? 'page cache' : 'no page cache'}: server CPU per page`,
          value: (used.user + used.system) / 1000 / Math.max(1, quiet.requests),
          unit: 'ms',
          detail: { p99: quiet.p99, requests: quiet.requests },
        });
        const hitsBefore = pages.hits;
        const busy = await whileIngesting(100, feedCase);
        busyFigure(
          `${feedCase.name} @ ${FIXED_RATE}/s while ingesting 100 records a call, ${cached ? 'page cache' : 'no page cache'}: p99`,
          busy,
          { name: 'the same reads with no ingest (page cache)', value: median(feedFixedP99), unit: 'ms' },
          { cacheHits: pages.hits - hitsBefore },
        );
      }
      report.note(`${CONNECTIONS} connections; fixed rate runs ${fixedSec} s, max rate runs ${maxSec} s; ${recordIds.length} records and ${cursors.length} feed pages requested in turn`);
    } finally {
      for (const s of servers) await new Promise<void>((r) => s.close(() => r()));
      for (const c of closers) await c();
      await b.stop();
    }
    return report;
  },
};
