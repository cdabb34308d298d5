import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { LAIS_RESOURCES, type LaisResource } from './client.ts';
import { COURSES, PROGRAMMES, resultPlan, rigaTime, studentPlan, type StudentPlan } from '../_sim/simulator-data.ts';
import { laisCourse, laisDiploma, laisOffering, laisProgramme, laisResult, laisStudent, laisStudyRight, laisTerm, laisTerms, type LaisRecord } from './simulator-records.ts';
import { SimTable } from '../_sim/simulator-table.ts';

export type LaisFault = 'http-500' | 'http-503' | 'timeout' | 'malformed' | 'drop';

export interface LaisSimulatorOptions {
  /** Number of students (each with a study right, results and, for graduates, a diploma); up to 100,000. */
  students?: number;
  /** Results per student. */
  resultsPerStudent?: number;
  seed?: number;
  /** Prefix of student numbers (LU000001). */
  prefix?: string;
  /** Every answer waits this long (ms). */
  latencyMs?: number;
  /** Require this bearer token. */
  token?: string;
  /** Random faults, each a probability per listing request (for the demo). */
  faultRates?: Partial<Record<LaisFault, number>>;
  /** How long a 'timeout' fault holds the request before dropping it (ms). */
  hangMs?: number;
  /** On the second page of each listing, change one record already served and one still to come. */
  changeDuringPaging?: boolean;
  /** The date the data is as of (default: today). */
  today?: string;
  /** URL path of the interface. */
  basePath?: string;
}

export interface SimRequest {
  resource: string;
  continued: boolean;
  from: string | null;
  status: number;
  records: number;
  fault?: LaisFault;
}

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

interface Token {
  /** Key (mainits ms) of the last record served. */
  k: number;
  /** Lower bound of the listing (inclusive), if any. */
  f: number | null;
  /** Upper bound: the time of the listing's first page. */
  u: number;
}

function encodeToken(t: Token): string {
  return Buffer.from(JSON.stringify(t)).toString('base64url');
}

function decodeToken(s: string): Token | undefined {
  try {
    const t = JSON.parse(Buffer.from(s, 'base64url').toString('utf8')) as Token;
    return Number.isFinite(t.k) && Number.isFinite(t.u) && (t.f === null || Number.isFinite(t.f)) ? t : undefined;
  } catch {
    return undefined;
  }
}

/**
 * A LAIS REST server for tests and the demo (modelled interface, see README.md): generated students
 * with study rights, results over several years and diplomas, served as changed-since listings with
 * keyset paging, in the native format of mappings/lais/. Records are made on demand from their index,
 * so 100,000 students cost no memory until changed. It can be slowed down, made to fail (5xx, timeouts,
 * cut-off pages, dropped connections) and changed while a client pages through it.
 */
export class LaisSimulator {
  readonly tables: Record<LaisResource, SimTable<LaisRecord>>;
  readonly requests: SimRequest[] = [];
  readonly pagingChanges: { resource: LaisResource; index: number }[] = [];
  recordsServed = 0;
  /** Requests received and not answered yet (a test waits for 0 before it counts what was served). */
  inFlight = 0;
  url = '';
  /** See LaisSimulatorOptions.changeDuringPaging; may be switched on and off. */
  changeDuringPaging: boolean;
  private readonly seed: number;
  private readonly prefix: string;
  private readonly today: string;
  private readonly started = Date.now();
  private readonly faults: LaisFault[] = [];
  private readonly plans = new Map<number, StudentPlan>();
  private readonly pagingChanged = new Set<string>();
  private lastKey: number;
  private server: http.Server | undefined;
  private latencyMs: number;
  private activity: NodeJS.Timeout | undefined;
  readonly students: number;
  readonly resultsPerStudent: number;

  constructor(private readonly o: LaisSimulatorOptions = {}) {
    this.students = Math.min(100_000, Math.max(0, o.students ?? 200));
    this.resultsPerStudent = Math.max(0, o.resultsPerStudent ?? 4);
    this.seed = o.seed ?? 2026;
    this.prefix = o.prefix ?? 'LU';
    this.today = o.today ?? new Date().toISOString().slice(0, 10);
    this.latencyMs = o.latencyMs ?? 0;
    this.changeDuringPaging = o.changeDuringPaging ?? false;
    this.lastKey = this.started;
    const n = this.students;
    const k = this.resultsPerStudent;
    // Base records were last changed in the 30 days before the simulator started, in key order.
    const epoch = this.started - 30 * DAY;
    const table = (size: number, make: (i: number, key: number) => LaisRecord, exists?: (i: number) => boolean) => {
      const step = Math.max(1, Math.floor((30 * DAY - 1000) / Math.max(1, size)));
      return new SimTable<LaisRecord>({ size, baseKey: (i) => epoch + i * step, make, stamp: (r, key) => ({ ...r, mainits: rigaTime(key) }), ...(exists ? { exists } : {}) });
    };
    const terms = laisTerms(this.today);
    this.tables = {
      'studiju-programmas': table(PROGRAMMES.length, (i, key) => laisProgramme(PROGRAMMES[i]!, key)),
      kursi: table(COURSES.length, (i, key) => laisCourse(COURSES[i]!, key)),
      semestri: table(terms.length, (i, key) => laisTerm(terms[i]!, key)),
      'kursu-piedavajumi': table(COURSES.length, (i, key) => laisOffering(COURSES[i]!, terms, key)),
      studenti: table(n, (i, key) => laisStudent(this.plan(i), key)),
      'studiju-tiesibas': table(n, (i, key) => laisStudyRight(this.plan(i), key)),
      vertejumi: table(n * k, (j, key) => {
        const s = this.plan(Math.floor(j / k));
        return laisResult(s, j % k, resultPlan(this.seed, s, j % k, k), key);
      }),
      diplomi: table(
        n,
        (i, key) => laisDiploma(this.plan(i), key),
        (i) => this.plan(i).outcome === 'graduated',
      ),
    };
  }

  /** The generated plan of student i (cached, a few thousand at most). */
  plan(i: number): StudentPlan {
    let p = this.plans.get(i);
    if (!p) {
      if (this.plans.size > 4096) this.plans.clear();
      p = studentPlan(this.seed, this.prefix, i, this.today);
      this.plans.set(i, p);
    }
    return p;
  }

  /** Listens on host:port (0 = a free port); resolves with the base URL of the interface. */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((req, res) => {
      this.inFlight++;
      void this.handle(req, res).finally(() => this.inFlight--);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    this.server = server;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}${this.o.basePath ?? '/lais/api/v1'}`;
    return this.url;
  }

  async close(): Promise<void> {
    this.stopActivity();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  /** The next n listing requests fail this way. */
  failNext(n: number, kind: LaisFault): void {
    for (let i = 0; i < n; i++) this.faults.push(kind);
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** A change time above every key so far (LAIS stamps mainits). */
  private tick(): number {
    this.lastKey = Math.max(Date.now(), this.lastKey + 1);
    return this.lastKey;
  }

  /** Changes record i of a resource (by default a small, realistic edit); returns the new record. */
  change(resource: LaisResource, i: number, fn: (r: LaisRecord) => LaisRecord = (r) => touch(resource, r)): LaisRecord {
    return this.tables[resource].change(i, this.tick(), fn);
  }

  /** Adds a new result for student i (a retake or a new course, assessed today); returns the record. */
  addResult(student: number): LaisRecord {
    const s = this.plan(student);
    const t = this.tables.vertejumi;
    const slot = this.resultsPerStudent + (t.size - this.students * this.resultsPerStudent);
    const key = this.tick();
    const i = t.add(key, () => ({ ...laisResult(s, slot, resultPlan(this.seed, s, slot, this.resultsPerStudent), key), datums: lvToday(this.today) }));
    return t.get(i)!;
  }

  record(resource: LaisResource, i: number): LaisRecord | undefined {
    return this.tables[resource].get(i);
  }

  count(resource: LaisResource): number {
    return this.tables[resource].count();
  }

  /** For the demo: every `everyMs`, a few students get a new result or a changed e-mail. */
  startActivity(everyMs = 20_000, changes = 3): void {
    this.stopActivity();
    let n = 0;
    this.activity = setInterval(() => {
      for (let c = 0; c < changes && this.students > 0; c++) {
        const i = (n++ * 7919) % this.students;
        if (c % 2 === 0) this.addResult(i);
        else this.change('studenti', i);
      }
    }, everyMs);
    this.activity.unref();
  }

  stopActivity(): void {
    if (this.activity) clearInterval(this.activity);
    this.activity = undefined;
  }

  private send(res: http.ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
    res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', ...headers }).end(JSON.stringify(body));
  }

  private nextFault(): LaisFault | undefined {
    const forced = this.faults.shift();
    if (forced) return forced;
    for (const [kind, rate] of Object.entries(this.o.faultRates ?? {}) as [LaisFault, number][]) if (Math.random() < rate) return kind;
    return undefined;
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://sim');
    const base = this.o.basePath ?? '/lais/api/v1';
    if (!url.pathname.startsWith(`${base}/`) || req.method !== 'GET') return this.send(res, 404, { kluda: 'nav atrasts' });
    if (this.o.token && req.headers.authorization !== `Bearer ${this.o.token}`) return this.send(res, 401, { kluda: 'nepieciešama autorizācija' });
    const name = url.pathname.slice(base.length + 1);
    if (name === 'veseliba') return this.send(res, 200, { statuss: 'ok' });
    const resource = LAIS_RESOURCES.find((r) => r.path === name)?.path;
    if (!resource) return this.send(res, 404, { kluda: `nav resursa '${name}'` });
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const log: SimRequest = { resource, continued: url.searchParams.has('turpinajums'), from: url.searchParams.get('mainits_no'), status: 200, records: 0 };
    this.requests.push(log);
    if (this.requests.length > 2000) this.requests.splice(0, 1000);
    const fault = this.nextFault();
    if (fault) log.fault = fault;
    if (fault === 'http-500' || fault === 'http-503') {
      log.status = fault === 'http-500' ? 500 : 503;
      return this.send(res, log.status, { kluda: fault === 'http-500' ? 'iekšēja kļūda' : 'serviss īslaicīgi nav pieejams' }, fault === 'http-503' ? { 'retry-after': '1' } : {});
    }
    if (fault === 'drop') return void req.socket.destroy();
    if (fault === 'timeout') {
      await sleep(this.o.hangMs ?? 30_000);
      return void req.socket.destroy();
    }
    const page = this.page(resource, url.searchParams);
    if ('error' in page) {
      log.status = 400;
      return this.send(res, 400, { kluda: page.error });
    }
    log.records = page.body.dati.length;
    const text = JSON.stringify(page.body);
    if (fault === 'malformed') {
      log.status = 200;
      res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text.slice(0, Math.max(1, Math.floor(text.length / 2))));
      return;
    }
    this.recordsServed += page.body.dati.length;
    res.writeHead(200, { 'content-type': 'application/json; charset=utf-8' }).end(text);
  }

  private page(resource: LaisResource, q: URLSearchParams): { body: { dati: LaisRecord[]; turpinajums: string | null; lidz: string } } | { error: string } {
    const limitText = q.get('limits') ?? '500';
    const limit = Number(limitText);
    if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return { error: 'limits: vesels skaitlis no 1 līdz 1000' };
    let t: Token;
    const cont = q.get('turpinajums');
    if (cont) {
      const d = decodeToken(cont);
      if (!d) return { error: 'turpinajums: nederīgs' };
      t = d;
    } else {
      const from = q.get('mainits_no');
      const f = from === null ? null : Date.parse(from);
      if (f !== null && (Number.isNaN(f) || !/T.*(Z|[+-]\d{2}:\d{2})$/.test(from!))) return { error: 'mainits_no: RFC 3339 laiks ar nobīdi' };
      t = { k: Number.NEGATIVE_INFINITY, f, u: Math.max(Date.now(), this.lastKey) };
    }
    const table = this.tables[resource];
    if (cont && this.changeDuringPaging) this.changeWhilePaging(resource, t, limit);
    const { items, more } = table.list({ ...(t.f !== null ? { from: t.f } : {}), ...(Number.isFinite(t.k) ? { after: t.k } : {}), to: t.u, limit });
    const last = items[items.length - 1];
    return {
      body: {
        dati: items.map((x) => x.record),
        turpinajums: more && last ? encodeToken({ k: last.key, f: t.f, u: t.u }) : null,
        lidz: rigaTime(t.u),
      },
    };
  }

  /** Once per listing: a record already served and one still to come change now. */
  private changeWhilePaging(resource: LaisResource, t: Token, limit: number): void {
    const id = `${resource}:${t.u}`;
    if (this.pagingChanged.has(id)) return;
    this.pagingChanged.add(id);
    const table = this.tables[resource];
    const served = table.list({ ...(t.f !== null ? { from: t.f } : {}), to: t.k, limit: 1 }).items[0];
    const ahead = table.list({ after: t.k, to: t.u, limit: limit + 1 }).items[limit];
    for (const x of [served, ahead]) {
      if (!x) continue;
      this.change(resource, x.index);
      this.pagingChanges.push({ resource, index: x.index });
    }
  }
}

function lvToday(today: string): string {
  return `${today.slice(8, 10)}.${today.slice(5, 7)}.${today.slice(0, 4)}`;
}

/** A small, realistic edit of a record (what a registrar would change). */
export function touch(resource: LaisResource, r: LaisRecord): LaisRecord {
  switch (resource) {
    case 'studenti':
      return { ...r, epasts: String(r.epasts).replace(/(\.v\d+)?@/, `.v${Date.now() % 1000}@`) };
    case 'vertejumi':
      return r.atzime === 'ieskaitīts' || r.atzime === 'neieskaitīts' ? { ...r, atzime: 'ieskaitīts' } : { ...r, atzime: String(Math.min(10, Number(r.atzime) + 1)) };
    case 'studiju-tiesibas':
      return { ...r, finansejums: r.finansejums === 'budžets' ? 'maksas' : 'budžets' };
    case 'diplomi':
      return { ...r, pielikuma_nr: `${String(r.pielikuma_nr)}-A` };
    default:
      return { ...r, nosaukums_en: `${String(r.nosaukums_en)} (updated)` };
  }
}

/** `npx tsx adapters/lais/simulator.ts [port] [students]`: a LAIS to point a lais source at. */
async function main(argv: string[]): Promise<void> {
  const sim = new LaisSimulator({ students: Number(argv[1] ?? 1000), latencyMs: 50 });
  const url = await sim.start(Number(argv[0] ?? 8091));
  console.log(`LAIS simulator at ${url} (${sim.students} students; try ${url}/studenti?limits=2)`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
