import { Agent, createServer, get, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createApp } from '../src/api/app.ts';
import type { HubConfig, LimitsConfig } from '../src/config/types.ts';
import { ADMIN_TOKEN, benchConfig, benchHub, laisSource } from './lib/hub.ts';
import { countryBatches } from './lib/lais.ts';
import { runLoad, type LoadResult } from './lib/load.ts';
import { clock, LoopLag, percentile, sinceMs, sleep, until } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

const READERS = 500;
const PROBE_EVERY_MS = 50;
/** Enough that probes never queue in the prober for a free connection (20/s, answered within 3 s). */
const PROBE_SOCKETS = 64;
/** Pages an admin asks for: the newest 500, one institution, one status. */
const READ_PATHS = ['/api/v1/messages?limit=500', '/api/v1/messages?institution=lu.lv&limit=200', '/api/v1/messages?status=delivered&limit=100', '/api/v1/messages?source=rtu-lais&limit=50'];

/**
 * GET /healthz every `everyMs` (open loop) over keep-alive connections opened beforehand, each latency counted from
 * the moment the probe was due: a probe held up by a busy event loop counts the whole wait. From the
 * hub's process, not another one: on 2 cores with the hub and 500 readers busy, a prober process of its
 * own measures mostly its own wait for a CPU; and a connection opened during the flood is read by node
 * only when the flood ends (a bare node:http server does the same), so the connections are opened first.
 */
class HealthProber {
  private readonly agent = new Agent({ keepAlive: true, maxSockets: PROBE_SOCKETS });
  private readonly ms: number[] = [];
  /** Probes that got no answer (a reset or refused connection), by error code: reported, not thrown. */
  private readonly failed = new Map<string, number>();
  private running = false;

  constructor(private readonly url: string) {}

  /** One probe; resolves with its latency from `due` (a clock() value). */
  once(due: bigint = clock()): Promise<number> {
    return new Promise((resolve, reject) => {
      get(`${this.url}/healthz`, { agent: this.agent }, (res) => {
        res.resume();
        res.on('end', () => (res.statusCode === 200 ? resolve(sinceMs(due)) : reject(new Error(`/healthz answered ${res.statusCode}`))));
      }).on('error', reject);
    });
  }

  /** Opens the connections. */
  async warm(): Promise<void> {
    await Promise.all(Array.from({ length: PROBE_SOCKETS }, () => this.once()));
  }

  async run(everyMs: number): Promise<void> {
    this.running = true;
    const start = clock();
    const pending: Promise<void>[] = [];
    for (let i = 0; this.running; i++) {
      const due = start + BigInt(Math.round(i * everyMs * 1e6));
      pending.push(
        this.once(due).then(
          (ms) => void this.ms.push(ms),
          (e: NodeJS.ErrnoException) => void this.failed.set(e.code ?? e.message, (this.failed.get(e.code ?? e.message) ?? 0) + 1),
        ),
      );
      const wait = (i + 1) * everyMs - sinceMs(start);
      if (wait > 0) await sleep(wait);
    }
    await Promise.all(pending);
  }

  async stop(running: Promise<void>): Promise<Health> {
    this.running = false;
    await running;
    this.agent.destroy();
    const failed = [...this.failed].map(([code, n]) => `${n} ${code}`).join(', ');
    return { p50: percentile(this.ms, 50), p99: percentile(this.ms, 99), max: Math.max(...this.ms), probes: this.ms.length, failed };
  }
}

async function listen(server: Server): Promise<string> {
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}

/** Latencies of the answered probes; `failed`: the probes that got no answer, by error code ('' when none). */
interface Health {
  p50: number;
  p99: number;
  max: number;
  probes: number;
  failed: string;
}

interface Phase {
  health: Health;
  lag: { maxMs: number; p99Ms: number };
  reads?: LoadResult;
}

/**
 * Scenario admin-reads (issue 14, item 9): how /healthz answers while 500 admin clients list messages
 * as fast as the hub lets them (autocannon, 500 connections, in a process of its own), with health asked
 * over a keep-alive connection (HealthProber). Once with the cap on heavy admin reads as configured by
 * default (limits.adminReads 8 running, limits.adminReadQueue 16 waiting, the rest 503 + Retry-After)
 * and once with the cap lifted (256 running, 10,000 waiting) as the baseline: what the hub did before.
 */
export const adminReadsScenario: Scenario = {
  name: 'admin-reads',
  title: 'health while 500 concurrent admin message lists run (embedded)',
  async run(o: BenchOptions) {
    const report = new Report('admin-reads', this.title, o.mode);
    const students = bySize(o.mode, { full: 5000, quick: 2000, dry: 50 });
    const seconds = bySize(o.mode, { full: 10, quick: 5, dry: 1 });
    const dir = mkdtempSync(join(tmpdir(), 'hub-bench-reads-'));
    const headers = { authorization: `Bearer ${ADMIN_TOKEN}` };
    const configOf = (limits: LimitsConfig): HubConfig => ({ ...benchConfig({ institutions: 2 }), limits });
    try {
      // The messages to list: students with their study rights, each kept with its raw payload.
      let messages = 0;
      {
        const b = await benchHub({ backend: 'embedded', dir, config: configOf({}) });
        for (const batch of countryBatches({ students, attainmentsPerStudent: 0, batchSize: 200, institutions: ['lu.lv', 'rtu.lv'] })) {
          messages += (await b.hub.pipeline.ingest(laisSource(batch.institution), batch.entity, batch.records, 'application/json')).length;
        }
        await until(() => b.counter.count >= messages, 300_000, 'the preload to be delivered', 20);
        await b.stop();
      }
      report.note(`${messages} messages stored (SQLite); reads: ${READ_PATHS.join(', ')}`);

      const phase = async (limits: LimitsConfig, withReads: boolean): Promise<Phase> => {
        const b = await benchHub({ backend: 'embedded', dir, config: configOf(limits) });
        const server = createServer(createApp(b.hub));
        try {
          const url = await listen(server);
          const prober = new HealthProber(url);
          await prober.warm();
          const lag = new LoopLag().start();
          const probing = prober.run(PROBE_EVERY_MS);
          const reads = withReads ? await runLoad({ url, paths: READ_PATHS, headers, connections: READERS, durationSec: seconds }) : await sleep(seconds * 1000);
          const health = await prober.stop(probing);
          return { health, lag: lag.stop(), ...(reads ? { reads } : {}) };
        } finally {
          await new Promise<void>((r) => server.close(() => r()));
          server.closeAllConnections();
          await b.stop();
        }
      };

      const idle = await phase({}, false);
      const uncapped = await phase({ adminReads: 256, adminReadQueue: 10_000 }, true);
      const capped = await phase({}, true);

      const ms = (name: string, value: number, base?: { name: string; value: number }) => report.add({ name, value, unit: 'ms', ...(base ? { baseline: { ...base, unit: 'ms' } } : {}) });
      ms('health p50, idle', idle.health.p50);
      ms('health p99, idle', idle.health.p99);
      ms('health p50, 500 readers, capped (8 + 16)', capped.health.p50, { name: 'uncapped', value: uncapped.health.p50 });
      ms('health p99, 500 readers, capped (8 + 16)', capped.health.p99, { name: 'uncapped', value: uncapped.health.p99 });
      ms('health max, 500 readers, capped (8 + 16)', capped.health.max, { name: 'uncapped', value: uncapped.health.max });
      ms('event loop delay p99, 500 readers, capped', capped.lag.p99Ms, { name: 'uncapped', value: uncapped.lag.p99Ms });
      ms('event loop delay max, 500 readers, capped', capped.lag.maxMs, { name: 'uncapped', value: uncapped.lag.maxMs });
      for (const [name, p] of [
        ['capped', capped],
        ['uncapped', uncapped],
      ] as const) {
        const r = p.reads!;
        const served = r.requests ? (r.rps * (r.requests - r.non2xx)) / r.requests : 0;
        report.add({
          name: `admin reads served (200), ${name}`,
          value: served,
          unit: 'req/s',
          detail: { requests: r.requests, non2xx: r.non2xx, errors: r.errors, timeouts: r.timeouts, p50: r.p50, p99: r.p99, handledPerSecond: r.rps },
        });
        report.add({ name: `admin reads refused (503), ${name}`, value: r.requests ? (100 * r.non2xx) / r.requests : 0, unit: '%' });
        report.add({ name: `admin read p99 (answered or refused), ${name}`, value: r.p99, unit: 'ms' });
      }
      report.note(
        `health: GET /healthz every ${PROBE_EVERY_MS} ms (open loop, latency from when each was due) over keep-alive connections from the hub's process (${capped.health.probes} probes answered capped, ${uncapped.health.probes} uncapped; without an answer: idle ${idle.health.failed || 'none'}, capped ${capped.health.failed || 'none'}, uncapped ${uncapped.health.failed || 'none'}); the reads come from another process (500 connections, closed loop: a refused reader asks again at once, it does not honour Retry-After)`,
      );
      report.note(
        'a connection opened while the 500 readers run is accepted by the kernel but read by node only when the flood ends (seen with a bare node:http server too): a probe that opens a new connection each time waits for the flood, whatever the cap',
      );
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return report;
  },
};
