/**
 * The load generator, run as its own process (so it does not share the server's event loop):
 * `node --import tsx bench/lib/load.ts '<json LoadSpec>'` prints one JSON line with the latency
 * percentiles and the request rate.
 *
 * At the highest rate it runs autocannon (closed loop: each connection sends its next request when
 * the last one is answered). At a fixed rate it sends open loop itself, one request every 1/rate s,
 * and measures each latency from the moment the request was due: autocannon's own rate limit sends
 * each connection's quota for the second back to back at the start of the second (bursts), and its
 * coordinated-omission correction assumes a 1 ms interval, so its fixed-rate percentiles say more
 * about autocannon than about the server.
 */
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { Agent, request } from 'node:http';
import { createRequire } from 'node:module';
import { performance } from 'node:perf_hooks';
import { fileURLToPath } from 'node:url';
import { percentile } from './measure.ts';

export interface LoadSpec {
  /** Base URL, e.g. http://127.0.0.1:1234 */
  url: string;
  /** Paths requested in turn. */
  paths: string[];
  /** Or a file of them, one a line (a long stream does not fit the child's command line). */
  pathsFile?: string;
  headers: Record<string, string>;
  connections: number;
  durationSec: number;
  /** Requests per second, sent open loop; absent = as fast as the server answers (autocannon). */
  rate?: number;
  /** Sign each request as an EWP partner (HTTP Signature) for this origin with this PKCS#8 PEM key. */
  ewpSign?: { origin: string; keyPem: string };
}

export interface LoadResult {
  p50: number;
  p90: number;
  p99: number;
  max: number;
  /** Mean requests per second over the run. */
  rps: number;
  requests: number;
  non2xx: number;
  errors: number;
  timeouts: number;
}

interface AutocannonResult {
  latency: { p50: number; p90: number; p99: number; max: number };
  requests: { average: number; total: number };
  non2xx: number;
  errors: number;
  timeouts: number;
}
type Autocannon = (opts: Record<string, unknown>) => Promise<AutocannonResult>;

/** Runs the spec in a child process and returns its result. */
export function runLoad(spec: LoadSpec): Promise<LoadResult> {
  const self = fileURLToPath(import.meta.url);
  return new Promise((resolve, reject) => {
    // cwd: the repository, where `--import tsx` resolves.
    const child = spawn(process.execPath, ['--import', 'tsx', self, JSON.stringify(spec)], { stdio: ['ignore', 'pipe', 'pipe'], cwd: fileURLToPath(new URL('../../', import.meta.url)) });
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.on('error', reject);
    child.on('exit', (code) => {
      if (code !== 0) return reject(new Error(`load generator exited with ${code}: ${err.trim()}`));
      try {
        resolve(JSON.parse(out.trim().split('\n').pop() ?? '') as LoadResult);
      } catch {
        reject(new Error(`load generator printed no result: ${out}${err}`));
      }
    });
  });
}

/** Headers of a request: the spec's, or freshly signed ones (each EWP request is signed anew: the hub refuses a replay). */
async function headerMaker(spec: LoadSpec): Promise<(path: string) => Record<string, string>> {
  if (!spec.ewpSign) return () => spec.headers;
  const { createPrivateKey } = await import('node:crypto');
  const { toEwpKey } = await import('../../src/ewp/security/keys.ts');
  const { signRequest } = await import('../../src/ewp/security/httpsig.ts');
  const key = toEwpKey(createPrivateKey(spec.ewpSign.keyPem));
  const origin = spec.ewpSign.origin;
  return (path) => ({ ...spec.headers, ...signRequest({ method: 'GET', url: new URL(origin + path), body: Buffer.alloc(0), key }).headers });
}

/** Open loop at spec.rate: request i is due at start + i/rate; latency = answer time - due time. */
async function openLoop(spec: LoadSpec & { rate: number }): Promise<LoadResult> {
  const headersFor = await headerMaker(spec);
  const base = new URL(spec.url);
  const agent = new Agent({ keepAlive: true, maxSockets: spec.connections });
  const total = Math.round(spec.rate * spec.durationSec);
  const interval = 1000 / spec.rate;
  const latencies: number[] = [];
  let non2xx = 0;
  let errors = 0;
  let timeouts = 0;
  let sent = 0;
  let pending = 0;
  let allSent = false;
  let done: () => void = () => undefined;
  const finished = new Promise<void>((r) => (done = r));
  const send = (due: number, path: string) => {
    pending++;
    const end = (ok: boolean, status?: number) => {
      if (ok) latencies.push(performance.now() - due);
      if (status !== undefined && (status < 200 || status > 299)) non2xx++;
      if (--pending === 0 && allSent) done();
    };
    const req = request({ host: base.hostname, port: base.port, path, method: 'GET', headers: headersFor(path), agent, timeout: 10_000 }, (res) => {
      res.resume();
      res.on('end', () => end(true, res.statusCode));
      res.on('error', () => (errors++, end(false)));
    });
    req.on('timeout', () => (timeouts++, req.destroy()));
    req.on('error', () => (errors++, end(false)));
    req.end();
  };
  const start = performance.now();
  while (sent < total) {
    const now = performance.now();
    while (sent < total && start + sent * interval <= now) {
      send(start + sent * interval, spec.paths[sent % spec.paths.length]!);
      sent++;
    }
    if (sent < total) await new Promise((r) => setTimeout(r, Math.max(0, start + sent * interval - performance.now())));
  }
  allSent = true;
  if (pending > 0) await finished;
  const seconds = (performance.now() - start) / 1000;
  agent.destroy();
  return {
    p50: percentile(latencies, 50),
    p90: percentile(latencies, 90),
    p99: percentile(latencies, 99),
    max: Math.max(...latencies),
    rps: latencies.length / seconds,
    requests: latencies.length,
    non2xx,
    errors,
    timeouts,
  };
}

async function main(spec: LoadSpec): Promise<void> {
  if (spec.rate) {
    console.log(JSON.stringify(await openLoop({ ...spec, rate: spec.rate })));
    return;
  }
  const autocannon = createRequire(import.meta.url)('autocannon') as Autocannon;
  const headersFor = await headerMaker(spec);
  let i = 0;
  const r = await autocannon({
    url: spec.url,
    connections: spec.connections,
    duration: spec.durationSec,
    headers: spec.headers,
    requests: [
      {
        method: 'GET',
        setupRequest: (req: Record<string, unknown>) => {
          const path = spec.paths[i++ % spec.paths.length]!;
          return { ...req, path, headers: headersFor(path) };
        },
      },
    ],
  });
  const out: LoadResult = {
    p50: r.latency.p50,
    p90: r.latency.p90,
    p99: r.latency.p99,
    max: r.latency.max,
    rps: r.requests.average,
    requests: r.requests.total,
    non2xx: r.non2xx,
    errors: r.errors,
    timeouts: r.timeouts,
  };
  console.log(JSON.stringify(out));
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) {
  const spec = JSON.parse(process.argv[2] ?? '{}') as LoadSpec;
  if (spec.pathsFile) spec.paths = readFileSync(spec.pathsFile, 'utf8').split('\n').filter(Boolean);
  await main(spec);
}
