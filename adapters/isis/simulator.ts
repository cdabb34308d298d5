import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { listen } from 'soap';
import { COURSES, PROGRAMMES, resultPlan, rigaTime, studentPlan, type StudentPlan } from '../_sim/simulator-data.ts';
import { SimTable } from '../_sim/simulator-table.ts';
import { BUNDLED_WSDL, ISIS_LISTS, type IsisList } from './client.ts';
import { isisCourse, isisProgramme, isisResult, isisStudent, isisStudyRight, type IsisRecord } from './simulator-records.ts';

export type IsisFault = 'http-503' | 'timeout' | 'malformed' | 'soap-fault' | 'drop';

export interface IsisSimulatorOptions {
  students?: number;
  resultsPerStudent?: number;
  seed?: number;
  /** Prefix of student numbers. */
  prefix?: string;
  latencyMs?: number;
  /** Random faults, each a probability per list request (for the demo). */
  faultRates?: Partial<Record<IsisFault, number>>;
  /** How long a 'timeout' fault holds the request before dropping it (ms). */
  hangMs?: number;
  /** Largest MaxRecords served (ISIS caps pages). */
  maxPage?: number;
  today?: string;
  path?: string;
}

const DAY = 86_400_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

const SERVER_FAULT = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault><faultcode>soap:Server</faultcode><faultstring>ISIS: datubāze aizņemta (database busy), try again later</faultstring></soap:Fault></soap:Body></soap:Envelope>`;
const CUT_OFF = `<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><i:StudentsResponse xmlns:i="urn:studyhub:modelled:isis:1"><i:LastChangeNo>`;

/**
 * An ISIS SOAP server for tests and the demo (the `soap` package on node:http, with isis.wsdl): the same
 * generated students as the LAIS simulator, rendered as ISIS records and listed by change number. It can
 * be slowed down, made to fail (HTTP 503, timeouts, cut-off answers, soap:Server faults, dropped
 * connections) and changed while a client pages through it.
 */
export class IsisSimulator {
  readonly tables: Record<IsisList, SimTable<IsisRecord>>;
  readonly requests: { list: IsisList; after: number; records: number; fault?: IsisFault }[] = [];
  readonly pagingChanges: { list: IsisList; index: number }[] = [];
  recordsServed = 0;
  changeDuringPaging = false;
  url = '';
  readonly students: number;
  readonly resultsPerStudent: number;
  private readonly seed: number;
  private readonly prefix: string;
  private readonly today: string;
  private readonly faults: IsisFault[] = [];
  private readonly plans = new Map<number, StudentPlan>();
  private changeNo: number;
  private latencyMs: number;
  private server: http.Server | undefined;
  private activity: NodeJS.Timeout | undefined;
  readonly path: string;

  constructor(private readonly o: IsisSimulatorOptions = {}) {
    this.students = Math.min(100_000, Math.max(0, o.students ?? 200));
    this.resultsPerStudent = Math.max(0, o.resultsPerStudent ?? 4);
    this.seed = o.seed ?? 7001;
    this.prefix = o.prefix ?? 'RSU';
    this.today = o.today ?? new Date().toISOString().slice(0, 10);
    this.latencyMs = o.latencyMs ?? 0;
    this.path = o.path ?? '/isis/studijas';
    const n = this.students;
    const k = this.resultsPerStudent;
    const epoch = Date.now() - 30 * DAY;
    // One global change sequence: the base records of each list take consecutive numbers.
    let offset = 0;
    const table = (size: number, make: (i: number, no: number, modified: string) => IsisRecord, exists?: (i: number) => boolean) => {
      const base = offset;
      offset += size;
      const step = Math.max(1, Math.floor((30 * DAY) / Math.max(1, size)));
      return new SimTable<IsisRecord>({
        size,
        baseKey: (i) => base + i + 1,
        make: (i, key) => make(i, key, rigaTime(epoch + i * step)),
        stamp: (r, key) => ({ ...r, ChangeNo: key, Modified: rigaTime(Date.now()) }),
        ...(exists ? { exists } : {}),
      });
    };
    this.tables = {
      programmes: table(PROGRAMMES.length, (i, no, m) => isisProgramme(PROGRAMMES[i]!, no, m)),
      courses: table(COURSES.length, (i, no, m) => isisCourse(COURSES[i]!, no, m)),
      students: table(n, (i, no, m) => isisStudent(this.plan(i), no, m)),
      studyRights: table(n, (i, no, m) => isisStudyRight(this.plan(i), no, m)),
      results: table(n * k, (j, no, m) => {
        const s = this.plan(Math.floor(j / k));
        return isisResult(s, j % k, resultPlan(this.seed, s, j % k, k), no, m);
      }),
    };
    this.changeNo = offset;
  }

  plan(i: number): StudentPlan {
    let p = this.plans.get(i);
    if (!p) {
      if (this.plans.size > 4096) this.plans.clear();
      p = studentPlan(this.seed, this.prefix, i, this.today);
      this.plans.set(i, p);
    }
    return p;
  }

  /** Listens on host:port (0 = a free port); resolves with the service URL (the WSDL is at ?wsdl). */
  async start(port = 0, host = '127.0.0.1'): Promise<string> {
    const server = http.createServer((_req, res) => {
      res.statusCode = 404;
      res.end('not found');
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => resolve());
    });
    await new Promise<void>((resolve, reject) => {
      const s = listen(server, {
        path: this.path,
        services: this.services(),
        xml: readFileSync(BUNDLED_WSDL, 'utf8'),
        uri: BUNDLED_WSDL,
        suppressStack: true,
        callback: (err: unknown) => (err ? reject(err as Error) : resolve()),
      });
      s.authorizeConnection = (req, res) => (res ? this.gate(req, res) : true);
    });
    this.server = server;
    this.url = `http://${host}:${(server.address() as AddressInfo).port}${this.path}`;
    return this.url;
  }

  /** For the demo: every `everyMs`, a few students get a new result or a changed e-mail. */
  startActivity(everyMs = 30_000, changes = 2): void {
    this.stopActivity();
    let n = 0;
    this.activity = setInterval(() => {
      for (let c = 0; c < changes && this.students > 0; c++) {
        const i = (n++ * 7907) % this.students;
        if (c % 2 === 0) this.addResult(i);
        else this.change('students', i);
      }
    }, everyMs);
    this.activity.unref();
  }

  stopActivity(): void {
    if (this.activity) clearInterval(this.activity);
    this.activity = undefined;
  }

  async close(): Promise<void> {
    this.stopActivity();
    const s = this.server;
    this.server = undefined;
    if (!s) return;
    s.closeAllConnections();
    await new Promise<void>((r) => s.close(() => r()));
  }

  failNext(n: number, kind: IsisFault): void {
    for (let i = 0; i < n; i++) this.faults.push(kind);
  }

  setLatency(ms: number): void {
    this.latencyMs = ms;
  }

  /** Changes record i of a list (a small edit by default); the change gets the next change number. */
  change(list: IsisList, i: number, fn: (r: IsisRecord) => IsisRecord = (r) => touch(list, r)): IsisRecord {
    return this.tables[list].change(i, ++this.changeNo, fn);
  }

  /** A new result for student i, assessed today. */
  addResult(student: number): IsisRecord {
    const s = this.plan(student);
    const t = this.tables.results;
    const slot = this.resultsPerStudent + (t.size - this.students * this.resultsPerStudent);
    const i = t.add(++this.changeNo, () => ({
      ...isisResult(s, slot, resultPlan(this.seed, s, slot, this.resultsPerStudent), 0, ''),
      Date: `${this.today.slice(8, 10)}.${this.today.slice(5, 7)}.${this.today.slice(0, 4)}`,
    }));
    return t.get(i)!;
  }

  record(list: IsisList, i: number): IsisRecord | undefined {
    return this.tables[list].get(i);
  }

  count(list: IsisList): number {
    return this.tables[list].count();
  }

  private nextFault(): IsisFault | undefined {
    const forced = this.faults.shift();
    if (forced) return forced;
    for (const [kind, rate] of Object.entries(this.o.faultRates ?? {}) as [IsisFault, number][]) if (Math.random() < rate) return kind;
    return undefined;
  }

  /** Transport-level faults, before the SOAP layer sees the request (list operations only). */
  private gate(req: http.IncomingMessage, res: http.ServerResponse): boolean {
    if (req.method !== 'POST' || !/Get/.test(String(req.headers.soapaction ?? ''))) return true;
    const f = this.nextFault();
    if (!f) return true;
    const op = String(req.headers.soapaction ?? '')
      .replace(/"/g, '')
      .split(':')
      .pop();
    this.requests.push({ list: ISIS_LISTS.find((l) => l.operation === op)?.name ?? 'students', after: -1, records: 0, fault: f });
    if (f === 'http-503') res.writeHead(503, { 'content-type': 'text/plain', 'retry-after': '1' }).end('service unavailable');
    else if (f === 'soap-fault') res.writeHead(500, { 'content-type': 'text/xml; charset=utf-8' }).end(SERVER_FAULT);
    else if (f === 'malformed') res.writeHead(200, { 'content-type': 'text/xml; charset=utf-8' }).end(CUT_OFF);
    else if (f === 'drop') req.socket.destroy();
    else {
      // Hold the request without an answer (the soap server ends refused requests: not this one).
      res.end = (() => res) as typeof res.end;
      setTimeout(() => req.socket.destroy(), this.o.hangMs ?? 30_000).unref();
    }
    return false;
  }

  private async list(name: IsisList, args: unknown) {
    if (this.latencyMs > 0) await sleep(this.latencyMs);
    const a = (args ?? {}) as { AfterChangeNo?: unknown; MaxRecords?: unknown };
    const after = Number(a.AfterChangeNo ?? 0);
    const max = Math.min(this.o.maxPage ?? 1000, Number(a.MaxRecords ?? 100));
    if (!Number.isInteger(after) || after < 0 || !Number.isInteger(max) || max < 1) {
      throw { Fault: { faultcode: 'soap:Client', faultstring: 'AfterChangeNo must be a change number ≥ 0 and MaxRecords ≥ 1', statusCode: 500 } };
    }
    const { items, more } = this.tables[name].list({ after, limit: max });
    const element = ISIS_LISTS.find((l) => l.name === name)!.element;
    const last = items[items.length - 1];
    this.requests.push({ list: name, after, records: items.length });
    if (this.requests.length > 2000) this.requests.splice(0, 1000);
    this.recordsServed += items.length;
    if (more && after > 0 && this.changeDuringPaging && last) {
      // A registrar edits a record already given out and one still to come, while the client pages.
      const ahead = this.tables[name].list({ after: last.key, limit: 1 }).items[0];
      for (const x of [items[0]!, ahead]) {
        if (!x) continue;
        this.change(name, x.index);
        this.pagingChanges.push({ list: name, index: x.index });
      }
    }
    return { LastChangeNo: last ? last.key : after, More: more, Count: items.length, [element]: items.map((x) => x.record) };
  }

  private services() {
    const port: Record<string, (args: unknown) => unknown> = { Ping: async () => ({ Status: 'OK' }) };
    for (const l of ISIS_LISTS) port[l.operation] = (args: unknown) => this.list(l.name, args);
    return { StudyDataService: { StudyDataSoap11: port } };
  }
}

/** A small edit of a record (what a registrar would change). */
export function touch(list: IsisList, r: IsisRecord): IsisRecord {
  switch (list) {
    case 'students':
      return { ...r, Email: String(r.Email ?? 'x@stud.example.lv').replace(/(\.v\d+)?@/, `.v${Date.now() % 1000}@`) };
    case 'results':
      return r.Grade === 'I' || r.Grade === 'NI' ? { ...r, Grade: 'I' } : { ...r, Grade: String(Math.min(10, Number(r.Grade) + 1)) };
    case 'studyRights':
      return { ...r, Funding: r.Funding === 'VB' ? 'M' : 'VB' };
    default:
      return { ...r, TitleEn: `${String(r.TitleEn)} (updated)` };
  }
}

/** `npx tsx adapters/isis/simulator.ts [port] [students]`: an ISIS to point an isis source at. */
async function main(argv: string[]): Promise<void> {
  const sim = new IsisSimulator({ students: Number(argv[1] ?? 1000), latencyMs: 50 });
  const url = await sim.start(Number(argv[0] ?? 8092));
  console.log(`ISIS simulator at ${url} (WSDL: ${url}?wsdl; ${sim.students} students)`);
}

if (process.argv[1] && import.meta.url === new URL(`file://${process.argv[1]}`).href) {
  void main(process.argv.slice(2));
}
