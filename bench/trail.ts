import Database from 'better-sqlite3';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MappingEngine } from '../src/mapping/engine.ts';
import { ChainVerifier, type LoggedEntry } from '../src/privacy/disclosure-log.ts';
import { Pseudonyms } from '../src/privacy/pseudonym.ts';
import type { SqliteStore } from '../src/store/sqlite/store.ts';
import { benchHub, LAIS_INSTITUTIONS } from './lib/hub.ts';
import { ingestAll } from './lib/ingest.ts';
import { countryBatches, type LaisBatch } from './lib/lais.ts';
import { CursorRoute } from './lib/lean-delivery.ts';
import { leanIngestAll, leanItem, type IngestTimes } from './lib/lean-ingest.ts';
import { LeanStore, type LeanItem } from './lib/lean-store.ts';
import { amqpBaseline } from './lib/amqp-baseline.ts';
import { LeanPgStore, PgCursorRoute } from './lib/lean-pg.ts';
import { clock, median, round, sinceMs, until } from './lib/measure.ts';
import { formatProfile, profiled, type ProfileSummary } from './lib/profile.ts';
import { Report } from './lib/report.ts';
import { bySize, profileFile, type BenchOptions, type Scenario } from './lib/scenario.ts';
import { census, checkpoint, COUNTRY_RECORDS, processWrites, serverCpuMs, sqliteBytes, totalChanges } from './lib/trail-measure.ts';

/** As the country scenario: 4 clients, 500 records a call, students with 40 assessments each. */
const CLIENTS = 4;
const BATCH = 500;
const PER_STUDENT = 40;
/** Changes a route consumer reads and delivers at a time. */
export const DELIVERY_BATCH = 500;
const TARGET_MIN = 10;
const ROUTE = { id: 'all', recipient: 'noop', legalBasis: 'public-task', purpose: 'benchmark', batch: DELIVERY_BATCH };

/** One run's counts, per record. */
interface Run {
  records: number;
  ms: number;
  perSecond: number;
  usPerRecord: number;
  /** SQLite row changes (inserts, updates, deletes) per record, all connections of the run. */
  rowWrites: number;
  /** Rows left in the tables per record, by table. */
  rowsKept: Record<string, number>;
  /** Bytes handed to write() per record (the WAL and its checkpoints; the sink's lines not counted). */
  bytesWritten?: number;
  /** SQLite files on disk per record, after a checkpoint. */
  bytesOnDisk: number;
  extra?: Record<string, unknown>;
}

const total = (bs: LaisBatch[]) => bs.reduce((n, b) => n + b.records.length, 0);

function batchesOf(records: number): LaisBatch[] {
  const students = Math.max(1, Math.round(records / (2 + PER_STUDENT)));
  return [...countryBatches({ students, attainmentsPerStudent: PER_STUDENT, batchSize: BATCH, institutions: LAIS_INSTITUTIONS.map((i) => i.id), seed: 17 })];
}

const perRecord = (counts: Record<string, number>, n: number) => Object.fromEntries(Object.entries(counts).map(([k, v]) => [k, round(v / n, 3)]));

function finish(n: number, ms: number, rowWrites: number, kept: Record<string, number>, bytes: number | undefined, onDisk: number, extra?: Record<string, unknown>): Run {
  return {
    records: n,
    ms: round(ms),
    perSecond: round((n / ms) * 1000, 1),
    usPerRecord: round((ms * 1000) / n, 1),
    rowWrites: round(rowWrites / n, 3),
    rowsKept: perRecord(kept, n),
    ...(bytes === undefined ? {} : { bytesWritten: Math.round(bytes / n) }),
    bytesOnDisk: Math.round(onDisk / n),
    ...(extra ? { extra } : {}),
  };
}

/** (a) The hub end to end, embedded, as the country scenario runs it: every record committed and delivered to the no-op sink. */
async function hubRun(batches: LaisBatch[]): Promise<Run> {
  const n = total(batches);
  const b = await benchHub({ backend: 'embedded' });
  try {
    const store = (b.hub.store as SqliteStore).db;
    // The embedded broker's connection (private to it): its queue rows are part of the trail.
    const broker = (b.hub.broker as unknown as { conn: Database.Database }).conn;
    const c0 = totalChanges(store) + totalChanges(broker);
    const w0 = processWrites();
    const t = clock();
    await ingestAll(b.hub, batches, CLIENTS);
    await until(() => b.counter.count >= n, 3_600_000, `${n} deliveries`, 20);
    const ms = sinceMs(t);
    await until(async () => ((await b.hub.store.countMessagesByStatus()).delivered ?? 0) >= n, 60_000, 'every message delivered', 50);
    const w1 = processWrites();
    const changes = totalChanges(store) + totalChanges(broker) - c0;
    checkpoint(store);
    checkpoint(broker);
    const kept = { ...census(store), ...Object.fromEntries(Object.entries(census(broker)).map(([k, v]) => [`broker.${k}`, v])) };
    return finish(n, ms, changes, kept, w0 === undefined || w1 === undefined ? undefined : w1 - w0, sqliteBytes(b.dir));
  } finally {
    await b.stop();
  }
}

/** Checks a prototype's disclosure log chain from the first entry, as DisclosureLog.verify does. */
async function verifyChain(
  rows: Iterable<Record<string, unknown>> | AsyncIterable<Record<string, unknown>>,
  head: { seq: number; hash: string } | undefined,
): Promise<{ ok: boolean; entries: number; problems: number }> {
  const v = new ChainVerifier(true);
  for await (const r of rows) {
    const e: LoggedEntry = {
      seq: Number(r.seq),
      at: String(r.at),
      kind: r.kind as LoggedEntry['kind'],
      person: (r.person as string | null) ?? null,
      recipient: (r.recipient as string | null) ?? null,
      route: (r.route_id as string | null) ?? null,
      entity: (r.entity as string | null) ?? null,
      recordId: (r.record_id as string | null) ?? null,
      recordVersion: r.record_version === null ? null : Number(r.record_version),
      legalBasis: (r.legal_basis as string | null) ?? null,
      purpose: (r.purpose as string | null) ?? null,
      fields: r.fields === null ? null : (JSON.parse(String(r.fields)) as string[]),
      eventId: (r.event_id as string | null) ?? null,
      prevHash: String(r.prev_hash),
      hash: String(r.hash),
    };
    v.push(e);
  }
  const report = v.finish(head);
  return { ok: report.ok, entries: report.entries, problems: report.problems.length };
}

/** The SQLite prototype's log and head. */
function sqliteChain(db: Database.Database): Promise<{ ok: boolean; entries: number; problems: number }> {
  const head = db.prepare('SELECT seq, hash FROM lean_log_head WHERE id = 1').get() as { seq: number; hash: string } | undefined;
  return verifyChain(db.prepare('SELECT * FROM lean_disclosure_log ORDER BY seq').iterate() as Iterable<Record<string, unknown>>, head);
}

/**
 * (b) and (c): the prototype. 'ingest': map, validate and the lean store only, then the route's
 * consumer drains the change log alone (delivery alone, timed apart). 'e2e': the consumer runs
 * concurrently with the ingest, on the same event loop, until its cursor is at the last change.
 */
async function leanRun(batches: LaisBatch[], mode: 'ingest' | 'e2e', profile?: string): Promise<{ run: Run; profile?: ProfileSummary }> {
  const n = total(batches);
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-trail-'));
  const store = new LeanStore(join(dir, 'lean.sqlite'));
  const route = new CursorRoute(store, { ...ROUTE, file: join(dir, 'sink.jsonl') }, new Pseudonyms(Buffer.from('bench-pseudonym-secret-0123456789abcdef')));
  const engine = new MappingEngine();
  try {
    const c0 = totalChanges(store.db);
    const w0 = processWrites();
    let times: IngestTimes | undefined;
    let ingestMs = 0;
    let deliverMs = 0;
    const t = clock();
    const prof = await profiled(profile, async () => {
      if (mode === 'e2e') {
        let done = false;
        const consumer = route.run(() => done);
        times = await leanIngestAll(store, engine, batches, CLIENTS).finally(() => (done = true));
        ingestMs = sinceMs(t);
        await consumer;
      } else {
        times = await leanIngestAll(store, engine, batches, CLIENTS);
        ingestMs = sinceMs(t);
        const d = clock();
        await route.run(() => true);
        deliverMs = sinceMs(d);
      }
    });
    const ms = mode === 'e2e' ? sinceMs(t) : ingestMs;
    const w1 = processWrites();
    const changes = totalChanges(store.db) - c0;
    const lines = readFileSync(join(dir, 'sink.jsonl'), 'utf8').split('\n').filter(Boolean).length;
    const chain = await sqliteChain(store.db);
    checkpoint(store.db);
    const kept = census(store.db);
    const written = w0 === undefined || w1 === undefined ? undefined : w1 - w0 - route.sinkBytes;
    const perRecordRows = ['lean_messages', 'lean_records', 'lean_changes', 'lean_disclosure_log'].reduce((s, k) => s + (kept[k] ?? 0), 0) / n;
    const run = finish(n, ms, changes, kept, written, sqliteBytes(dir), {
      committed: times!.committed,
      rejected: times!.rejected,
      delivered: route.delivered,
      sinkLines: lines,
      cursorAtLastChange: route.position === store.lastChangeSeq(),
      batches: route.batches,
      disclosureChain: chain,
      rowsPerRecordHappyPath: round(perRecordRows, 3),
      rowsPerBatch: { cursor: 1, batchLog: 1, logHead: 1 },
      usMapValidate: round(Number(times!.prepareNs) / 1000 / n, 1),
      usStoreTransactions: round(Number(times!.storeNs) / 1000 / n, 1),
      ingestMs: round(ingestMs),
      ...(mode === 'ingest' ? { deliverMs: round(deliverMs), deliverPerSecond: round((n / deliverMs) * 1000, 1) } : {}),
      sinkBytesPerRecord: Math.round(route.sinkBytes / n),
    });
    if (route.delivered !== times!.committed || lines !== route.delivered || !chain.ok || chain.entries !== route.delivered) {
      throw new Error(`the prototype lost or doubled something: ${JSON.stringify(run.extra)}`);
    }
    return { run, ...(prof.summary ? { profile: prof.summary } : {}) };
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/**
 * (e) The lean trail's ingest rows alone: every record mapped and validated beforehand (not timed), then
 * only the prototype store's transactions, 100 records each, one after the other (the look-ups of the
 * idempotency key and the natural key, the message, change and record rows). What storing the trail
 * costs even if mapping, validation and delivery were free: the bound of any design that keeps it.
 */
async function leanStoreAlone(batches: LaisBatch[]): Promise<Run> {
  const engine = new MappingEngine();
  const items: LeanItem[] = [];
  for (const b of batches) for (const r of b.records) items.push(await leanItem(engine, b.institution, b.entity, r));
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-trail-rows-'));
  const store = new LeanStore(join(dir, 'lean.sqlite'));
  try {
    const c0 = totalChanges(store.db);
    const w0 = processWrites();
    const t = clock();
    for (let i = 0; i < items.length; i += 100) store.ingestChunk(items.slice(i, i + 100));
    const ms = sinceMs(t);
    const w1 = processWrites();
    const changes = totalChanges(store.db) - c0;
    checkpoint(store.db);
    return finish(items.length, ms, changes, census(store.db), w0 === undefined || w1 === undefined ? undefined : w1 - w0, sqliteBytes(dir));
  } finally {
    store.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** What a run on RabbitMQ + PostgreSQL gave, with the event texts it delivered (the payloads of the amqplib baseline). */
interface PgRun {
  run: Run;
  payloads: Buffer[];
}

/**
 * (f) The prototype on RabbitMQ + PostgreSQL end to end (bench/lib/lean-pg.ts): the same mapping and
 * validation, the lean trail's rows written set-based, one transaction a chunk, 4 clients; a route
 * delivering by cursor as RabbitMQ says chunks are committed, concurrently with the ingest.
 */
async function leanPgRun(batches: LaisBatch[], databaseUrl: string, amqpUrl: string): Promise<PgRun> {
  const n = total(batches);
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-trail-pg-'));
  let store: LeanPgStore | undefined;
  let route: PgCursorRoute | undefined;
  try {
    // Each committed chunk is announced on the route's queue.
    store = await LeanPgStore.create(databaseUrl, CLIENTS, (last) => route!.notify(last));
    route = new PgCursorRoute(store, { ...ROUTE, file: join(dir, 'sink.jsonl') }, new Pseudonyms(Buffer.from('bench-pseudonym-secret-0123456789abcdef')));
    await route.connect(amqpUrl);
    const engine = new MappingEngine();
    const servers0 = serverCpuMs();
    const cpu0 = process.cpuUsage();
    const t = clock();
    const times = await leanIngestAll(store, engine, batches, CLIENTS);
    const ingestMs = sinceMs(t);
    await route.flush();
    await route.drained(store.lastSeq);
    const ms = sinceMs(t);
    const cpu = process.cpuUsage(cpu0);
    const servers1 = serverCpuMs();
    // Where the machine's CPU went, a record: this process (mapping, the prototype's code, pg and amqplib), PostgreSQL's processes, RabbitMQ's.
    const cpuUs = {
      bench: round((cpu.user + cpu.system) / n, 1),
      ...(servers0 && servers1 ? { postgres: round(((servers1.postgres - servers0.postgres) * 1000) / n, 1), rabbitmq: round(((servers1.rabbitmq - servers0.rabbitmq) * 1000) / n, 1) } : {}),
    };
    const counts = await store.counts();
    const lines = readFileSync(join(dir, 'sink.jsonl'), 'utf8').split('\n').filter(Boolean);
    const chain = await verifyChain(store.logEntries(), await store.head());
    // Row writes are not counted on PostgreSQL (its statistics lag); the rows kept are.
    const run = finish(n, ms, Number.NaN, { ...counts }, undefined, 0, {
      committed: times.committed,
      rejected: times.rejected,
      delivered: route.delivered,
      sinkLines: lines.length,
      cursorAtLastChange: route.position === store.lastSeq,
      batches: route.batches,
      disclosureChain: chain,
      usMapValidate: round(Number(times.prepareNs) / 1000 / n, 1),
      usStoreTransactions: round(Number(times.storeNs) / 1000 / n, 1),
      ingestMs: round(ingestMs),
      cpuUs,
    });
    if (route.delivered !== times.committed || lines.length !== route.delivered || !chain.ok || chain.entries !== route.delivered) {
      throw new Error(`the PostgreSQL prototype lost or doubled something: ${JSON.stringify(run.extra)}`);
    }
    return { run, payloads: lines.map((l) => Buffer.from(l)) };
  } finally {
    await route?.close();
    await store?.drop();
    rmSync(dir, { recursive: true, force: true });
  }
}

/** (d) Raw SQLite: one row per record (its input JSON), 100 rows a transaction, the hub's pragmas; no map, no validation. */
function rawBaseline(batches: LaisBatch[]): Run {
  const texts = batches.flatMap((b) => b.records.map((r) => JSON.stringify(r)));
  const dir = mkdtempSync(join(tmpdir(), 'hub-bench-trail-raw-'));
  const db = new Database(join(dir, 'raw.sqlite'));
  try {
    db.pragma('journal_mode = WAL');
    db.pragma('synchronous = NORMAL');
    db.exec('CREATE TABLE items (id INTEGER PRIMARY KEY, body TEXT NOT NULL)');
    const ins = db.prepare('INSERT INTO items (body) VALUES (?)');
    const chunk = db.transaction((xs: string[]) => {
      for (const x of xs) ins.run(x);
    });
    const c0 = totalChanges(db);
    const w0 = processWrites();
    const t = clock();
    for (let i = 0; i < texts.length; i += 100) chunk(texts.slice(i, i + 100));
    const ms = sinceMs(t);
    const w1 = processWrites();
    const changes = totalChanges(db) - c0;
    checkpoint(db);
    return finish(texts.length, ms, changes, census(db), w0 === undefined || w1 === undefined ? undefined : w1 - w0, sqliteBytes(dir));
  } finally {
    db.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

const medianRun = (runs: Run[]): Run => [...runs].sort((a, b) => a.perSecond - b.perSecond)[Math.floor((runs.length - 1) / 2)]!;

/**
 * Issue 17, directions 2 and 3: a prototype of the lean trail (≤ 4 rows per record, the record's JSON
 * twice, raw once; delivery by a cursor over the change log, disclosures in the cursor's transaction)
 * beside the hub end to end on the same records, and raw SQLite.
 */
export const trailScenario: Scenario = {
  name: 'trail',
  title: 'a prototype of the lean trail (issue 17): write the trail once, deliver by cursor',
  async run(o: BenchOptions) {
    const report = new Report('trail', this.title, o.mode);
    const reps = bySize(o.mode, { full: 3, quick: 1, dry: 1 });
    const batches = batchesOf(bySize(o.mode, { full: 100_800, quick: 10_080, dry: 420 }));
    const n = total(batches);
    const hub: Run[] = [];
    const leanE2e: Run[] = [];
    const leanIngest: Run[] = [];
    const raw: Run[] = [];
    const rows: Run[] = [];
    // Alternating, so that a busy spell of the shared machine does not fall on one of them only.
    for (let i = 0; i < reps; i++) {
      hub.push(await hubRun(batches));
      leanE2e.push((await leanRun(batches, 'e2e')).run);
      leanIngest.push((await leanRun(batches, 'ingest')).run);
      raw.push(rawBaseline(batches));
      rows.push(await leanStoreAlone(batches));
    }
    const rates = (rs: Run[]) => rs.map((r) => r.perSecond);
    const h = medianRun(hub);
    const e = medianRun(leanE2e);
    const g = medianRun(leanIngest);
    const r = medianRun(raw);
    const base = { name: 'raw SQLite, one row per record, 100 a transaction', value: median(rates(raw)), unit: 'records/s' };
    report.add({ name: `(a) hub end to end, embedded (${n} records)`, value: median(rates(hub)), unit: 'records/s', runs: rates(hub), baseline: base, detail: { ...h } });
    report.add({ name: '(b) prototype: ingest alone (map, validate, lean store)', value: median(rates(leanIngest)), unit: 'records/s', runs: rates(leanIngest), baseline: base, detail: { ...g } });
    report.add({
      name: '(b′) prototype: delivery alone (cursor, file sink)',
      value: median(leanIngest.map((x) => Number(x.extra!.deliverPerSecond))),
      unit: 'records/s',
      runs: leanIngest.map((x) => Number(x.extra!.deliverPerSecond)),
    });
    report.add({
      name: '(c) prototype end to end (delivery concurrent)',
      value: median(rates(leanE2e)),
      unit: 'records/s',
      runs: rates(leanE2e),
      baseline: base,
      detail: { ...e },
    });
    report.add({ name: '(d) raw SQLite baseline', value: median(rates(raw)), unit: 'records/s', runs: rates(raw), detail: { ...r } });
    report.add({
      name: "(e) the lean trail's ingest rows alone (mapped beforehand; nothing delivered)",
      value: median(rates(rows)),
      unit: 'records/s',
      runs: rates(rows),
      baseline: base,
      detail: { ...medianRun(rows) },
    });
    const us = (x: Run[]) => median(x.map((y) => y.usPerRecord));
    report.add({ name: 'µs per record: hub end to end', value: us(hub), unit: 'µs' });
    report.add({ name: 'µs per record: prototype end to end', value: us(leanE2e), unit: 'µs' });
    report.add({ name: 'µs per record: prototype, map + validate part', value: median(leanE2e.map((x) => Number(x.extra!.usMapValidate))), unit: 'µs' });
    report.add({ name: 'µs per record: prototype, store transactions part', value: median(leanE2e.map((x) => Number(x.extra!.usStoreTransactions))), unit: 'µs' });
    report.add({ name: 'row writes per record: hub', value: h.rowWrites, unit: 'rows', detail: { kept: h.rowsKept } });
    report.add({ name: 'row writes per record: prototype end to end', value: e.rowWrites, unit: 'rows', detail: { kept: e.rowsKept } });
    report.add({ name: 'rows per record kept: prototype (messages, records, changes, disclosure log)', value: Number(e.extra!.rowsPerRecordHappyPath), unit: 'rows' });
    if (h.bytesWritten !== undefined && e.bytesWritten !== undefined) {
      report.add({ name: 'bytes written per record: hub (WAL + checkpoints)', value: h.bytesWritten, unit: 'bytes' });
      report.add({ name: 'bytes written per record: prototype (sink lines apart)', value: e.bytesWritten, unit: 'bytes' });
    }
    report.add({ name: 'SQLite files per record: hub', value: h.bytesOnDisk, unit: 'bytes' });
    report.add({ name: 'SQLite files per record: prototype', value: e.bytesOnDisk, unit: 'bytes' });
    const project = (perSecond: number) => COUNTRY_RECORDS / perSecond / 60;
    const hubMin = project(median(rates(hub)));
    const leanMin = project(median(rates(leanE2e)));
    report.add({ name: 'country (3.15M records) projected: hub', value: hubMin, unit: 'minutes', target: { text: `under ${TARGET_MIN} minutes`, met: hubMin < TARGET_MIN } });
    report.add({ name: 'country (3.15M records) projected: prototype', value: leanMin, unit: 'minutes', target: { text: `under ${TARGET_MIN} minutes`, met: leanMin < TARGET_MIN } });
    report.note(
      `(e) against (d): ${round((median(rates(rows)) / median(rates(raw))) * 100, 1)} %, the most an end-to-end ratio to raw SQLite can reach with the lean trail's rows stored, even with mapping, validation and delivery free`,
    );
    report.note(`the prototype's disclosure chain verified from its first entry in every run (${e.extra!.disclosureChain ? JSON.stringify(e.extra!.disclosureChain) : ''})`);
    report.note(`delivery batch ${DELIVERY_BATCH} changes; the hub delivers to a no-op sink, the prototype appends JSON lines to a file (${e.extra!.sinkBytesPerRecord} bytes a record)`);
    const databaseUrl = process.env.DATABASE_URL;
    const amqpUrl = process.env.AMQP_URL;
    if (databaseUrl && amqpUrl) {
      const pgRuns: Run[] = [];
      const amqpRates: number[] = [];
      for (let i = 0; i < reps; i++) {
        const { run, payloads } = await leanPgRun(batches, databaseUrl, amqpUrl);
        pgRuns.push(run);
        amqpRates.push((await amqpBaseline(amqpUrl, payloads, { window: 256, prefetch: 256, noDelay: true })).perSecond);
      }
      const amqpBase = { name: 'raw amqplib, persistent + confirms (256 in flight), prefetch 256, quorum queue, the events the prototype delivered', value: median(amqpRates), unit: 'records/s' };
      const p = medianRun(pgRuns);
      report.add({
        name: '(f) prototype on RabbitMQ + PostgreSQL end to end (a message a committed chunk, delivery by cursor)',
        value: median(rates(pgRuns)),
        unit: 'records/s',
        runs: rates(pgRuns),
        baseline: amqpBase,
        detail: { ...p },
      });
      report.add({ name: '(g) raw amqplib baseline (as the pipeline scenario’s, at its best setting)', value: median(amqpRates), unit: 'records/s', runs: amqpRates.map((x) => round(x, 1)) });
      report.note(
        `(f) against (g): ${round((median(rates(pgRuns)) / median(amqpRates)) * 100, 1)} % (the pipeline scenario's target is 1/3); of (f)'s ${p.usPerRecord} µs a record, map + validate ${String(p.extra!.usMapValidate)} µs, its store transactions ${String(p.extra!.usStoreTransactions)} µs (4 clients at once); CPU a record ${JSON.stringify(p.extra!.cpuUs)} µs (this process, PostgreSQL's processes, RabbitMQ's)`,
      );
    } else report.note('(f) and (g), the prototype on RabbitMQ + PostgreSQL: not run (DATABASE_URL and AMQP_URL unset)');
    const prof = await leanRunProfiled(o, batches);
    if (prof) report.note(`CPU profile of one more prototype end-to-end run (not among the figures):\n${prof}`);
    return report;
  },
};

async function leanRunProfiled(o: BenchOptions, batches: LaisBatch[]): Promise<string | undefined> {
  const file = profileFile(o, 'trail');
  if (!file) return undefined;
  const { profile, run } = await leanRun(batches, 'e2e', file);
  return profile && `${run.perSecond} records/s under the profiler; ${formatProfile(profile)}`;
}
