import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { ScenarioResult } from '../bench/lib/report.ts';

const BENCH = fileURLToPath(new URL('../bin/bench.mjs', import.meta.url));

function bench(args: string[]) {
  return spawnSync(process.execPath, [BENCH, ...args], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, DATABASE_URL: '', AMQP_URL: '' } });
}

// The benchmarks themselves are not tests (npm run bench); this proves the harness runs end to end.
describe('bench harness (bin/bench.mjs)', function () {
  this.timeout(120_000);
  let out: string;

  // The scenarios that need no services run in one bench process, those that use them when set
  // (pipeline, failover, trail's PostgreSQL prototype) in another: each process spends seconds loading the hub through tsx.
  let local: ReturnType<typeof bench>;
  let withServices: ReturnType<typeof bench>;
  before(function () {
    this.timeout(300_000);
    out = mkdtempSync(join(tmpdir(), 'hub-bench-test-'));
    local = bench(['mapping', 'credentials', '--dry', '--out', out]);
    // One failover run: the load, the kill, then every record delivered (the killed worker's claims lapse 3 s after its last renewal).
    withServices = spawnSync(process.execPath, [BENCH, 'pipeline', 'failover', 'trail', '--dry', '--out', out], { encoding: 'utf8', timeout: 200_000, env: process.env });
  });
  after(() => rmSync(out, { recursive: true, force: true }));

  it('runs the mapping scenario in its smallest mode, prints each figure beside its baseline and writes its JSON', () => {
    const r = local;
    assert.equal(r.status, 0, r.stderr + r.stdout);
    assert.match(r.stdout, /== mapping: /);
    assert.match(r.stdout, /person: compiled mapping \(MappingEngine\.map\)\s+[\d.]+ µs\/record/);
    assert.match(r.stdout, /person: JSONata interpreter \(evaluate\(\)\)\s+[\d.]+ µs\/record/);
    assert.match(r.stdout, /baseline the same mapping in TypeScript: [\d.]+ µs\/record {2}→ ratio [\d.]+/);
    const result = JSON.parse(readFileSync(join(out, 'mapping.json'), 'utf8')) as ScenarioResult;
    assert.equal(result.scenario, 'mapping');
    assert.equal(result.mode, 'dry');
    assert.ok(result.machine.cores >= 1 && result.machine.node.startsWith('v'));
    for (const name of ['attainment: compiled mapping (MappingEngine.map)', 'attainment: JSONata interpreter (evaluate())']) {
      const f = result.figures.find((x) => x.name === name);
      assert.ok(f && f.value > 0 && f.baseline && f.ratio! > 0, JSON.stringify(result.figures));
    }
    assert.ok(result.notes.some((n) => n.includes('agree on the golden cases')));
  });

  it('runs the pipeline scenario in its smallest mode: every record delivered, each baseline swept on the events the hub delivered and the best reported', function () {
    const real = Boolean(process.env.DATABASE_URL && process.env.AMQP_URL);
    const r = withServices;
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const result = JSON.parse(readFileSync(join(out, 'pipeline.json'), 'utf8')) as ScenarioResult;
    const embedded = result.figures.find((f) => f.name === 'embedded: hub end to end (84 records)');
    assert.ok(embedded && embedded.value > 0 && embedded.target, JSON.stringify(result.figures));
    assert.match(embedded.baseline!.name, /^raw SQLite durable enqueue \+ dequeue \(WAL, synchronous NORMAL, (10|50) a transaction, 84 events\)$/);
    assert.ok(embedded.baseline!.value > 0);
    assert.ok(result.figures.some((f) => f.baseline?.name.includes('one transaction each') && f.baseline.value > 0));
    assert.match(result.notes.join('\n'), /the baselines’ payloads: the JSON of the events the hub delivered, 84 payloads of \d+–\d+ B/);
    assert.match(result.notes.join('\n'), /raw SQLite sweep .*: 10 a transaction \d+\/s, 50 a transaction \d+\/s/);
    if (!real) {
      assert.match(result.notes.join('\n'), /RabbitMQ \+ PostgreSQL mode skipped/);
      return;
    }
    const amqp = result.figures.find((f) => f.name === 'RabbitMQ + PostgreSQL: hub end to end (84 records)');
    assert.ok(amqp && amqp.value > 0 && amqp.target, JSON.stringify(result.figures));
    assert.match(amqp.baseline!.name, /^raw amqplib, persistent \+ confirms \((64|256) in flight\), prefetch (16|256), manual acks, quorum queue, 84 events$/);
    assert.match(result.notes.join('\n'), /raw amqplib sweep .*window 64 × prefetch 16 \d+\/s, window 256 × prefetch 256 \d+\/s/);
    assert.ok(result.figures.some((f) => f.baseline?.name.startsWith('raw PostgreSQL, multi-row INSERTs, 10 rows a transaction, 2 clients') && f.baseline.value > 0));
  });

  it('runs the credentials scenario in its smallest mode: every award issued and sealed, the resume issuing nothing', () => {
    const r = local;
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const result = JSON.parse(readFileSync(join(out, 'credentials.json'), 'utf8')) as ScenarioResult;
    const names = result.figures.map((f) => f.name);
    assert.deepEqual(names, [
      'issue and seal the back-catalogue',
      'issuing rate',
      'signing share of the time',
      'notices into the change log (pipeline)',
      'run again (resume: everything issued already)',
    ]);
    assert.ok(result.figures.find((f) => f.name === 'issuing rate')!.value > 0);
    assert.equal((result.figures.find((f) => f.name === 'signing share of the time')!.detail as { signatures: number }).signatures, 200);
    assert.equal((result.figures.find((f) => f.name === 'notices into the change log (pipeline)')!.detail as { notices: number }).notices, 200);
  });

  it('runs the failover scenario in its smallest mode: the lease holder killed, the survivor takes the lease, and changes committed after the kill are delivered', function () {
    const real = Boolean(process.env.DATABASE_URL && process.env.AMQP_URL);
    const r = withServices;
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const result = JSON.parse(readFileSync(join(out, 'failover.json'), 'utf8')) as ScenarioResult;
    if (!real) {
      assert.deepEqual(result.figures, []);
      assert.match(result.notes.join('\n'), /skipped: set DATABASE_URL and AMQP_URL/);
      return;
    }
    const fig = (name: string) => result.figures.find((f) => f.name === name)!;
    assert.deepEqual(
      result.figures.map((f) => f.name),
      [
        'kill → survivor holds the relay lease',
        'kill → first delivery of a change committed after it',
        'longest time without a delivery during the load',
        'kill → the last delivery (what the killed worker had in flight)',
      ],
    );
    const lease = fig('kill → survivor holds the relay lease').value;
    const resumed = fig('kill → first delivery of a change committed after it');
    assert.ok(lease > 0, `the survivor took the lease after the kill (${lease} ms)`);
    assert.ok(resumed.value >= lease, 'a change committed after the kill was delivered only once the survivor held the lease');
    const detail = resumed.detail as { delivered: number[]; records: number[] };
    assert.ok(detail.records[0]! > 0 && detail.delivered[0]! > 0);
  });

  it('runs the trail scenario in its smallest mode: the prototype delivers every record it committed, on at most 4 rows a record, beside the hub on the same records', () => {
    const r = withServices;
    assert.equal(r.status, 0, r.stderr + r.stdout);
    const result = JSON.parse(readFileSync(join(out, 'trail.json'), 'utf8')) as ScenarioResult;
    const fig = (prefix: string) => {
      const f = result.figures.find((x) => x.name.startsWith(prefix));
      assert.ok(f, `no figure '${prefix}' in ${result.figures.map((x) => x.name).join(' | ')}`);
      return f;
    };
    type Run = { records: number; rowWrites: number; rowsKept: Record<string, number>; extra: Record<string, unknown> };
    const hub = fig('(a) hub end to end').detail as Run;
    const e2e = fig('(c) prototype end to end').detail as Run;
    const ingest = fig('(b) prototype: ingest alone').detail as Run;
    assert.equal(e2e.records, 420);
    assert.equal(hub.records, 420, 'the hub took the same records');
    for (const run of [e2e, ingest]) {
      const x = run.extra as {
        committed: number;
        delivered: number;
        sinkLines: number;
        cursorAtLastChange: boolean;
        disclosureChain: { ok: boolean; entries: number };
        rowsPerRecordHappyPath: number;
      };
      assert.equal(x.committed, run.records, 'every record committed');
      assert.equal(x.delivered, x.committed, 'records delivered = records committed');
      assert.equal(x.sinkLines, x.delivered, 'one line in the file sink per delivered record');
      assert.equal(x.cursorAtLastChange, true);
      assert.deepEqual(x.disclosureChain, { ok: true, entries: run.records, problems: 0 });
      assert.ok(x.rowsPerRecordHappyPath <= 4, `rows per record: ${x.rowsPerRecordHappyPath}`);
      // Per record 4 rows at most; per delivered batch the cursor, the batch log and the log head (figures rounded to 3 places).
      assert.ok(run.rowWrites <= 4 + 3 * (Number((run.extra as { batches: number }).batches) / run.records) + 0.001, `row writes per record: ${run.rowWrites}`);
      for (const t of ['lean_messages', 'lean_records', 'lean_changes', 'lean_disclosure_log']) assert.equal(run.rowsKept[t], 1, t);
    }
    assert.ok(hub.rowWrites > e2e.rowWrites, `the hub writes more rows a record (${hub.rowWrites}) than the prototype (${e2e.rowWrites})`);
    assert.ok(fig('country (3.15M records) projected: prototype').value > 0);
    assert.ok(fig('(d) raw SQLite baseline').value > 0);
    // (e): the lean trail's ingest rows alone, every record stored once.
    const rows = fig("(e) the lean trail's ingest rows alone");
    assert.ok(rows.value > 0);
    for (const t of ['lean_messages', 'lean_records', 'lean_changes']) assert.equal((rows.detail as Run).rowsKept[t], 1, t);
    assert.match(r.stdout, /\(e\) against \(d\): [\d.]+ %/);
    if (!process.env.DATABASE_URL || !process.env.AMQP_URL) {
      assert.match(r.stdout, /\(f\) and \(g\), the prototype on RabbitMQ \+ PostgreSQL: not run/);
      return;
    }
    // (f): the prototype on RabbitMQ + PostgreSQL loses and doubles nothing either.
    const pgRun = fig('(f) prototype on RabbitMQ + PostgreSQL').detail as Run;
    assert.equal(pgRun.records, 420);
    const x = pgRun.extra as { committed: number; delivered: number; sinkLines: number; cursorAtLastChange: boolean; disclosureChain: unknown };
    assert.equal(x.committed, 420);
    assert.equal(x.delivered, 420);
    assert.equal(x.sinkLines, 420);
    assert.equal(x.cursorAtLastChange, true);
    assert.deepEqual(x.disclosureChain, { ok: true, entries: 420, problems: 0 });
    assert.deepEqual(
      ['messages', 'changes', 'records', 'disclosures'].map((k) => pgRun.rowsKept[k]),
      [1, 1, 1, 1],
    );
    assert.ok(fig('(g) raw amqplib baseline').value > 0);
    assert.match(r.stdout, /\(f\) against \(g\): [\d.]+ %/);
  });

  it('refuses an unknown scenario with the usage and exit code 2', () => {
    const r = bench(['no-such-scenario', '--dry', '--out', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /unknown scenario 'no-such-scenario'/);
    assert.match(r.stderr, /scenarios: pipeline, country, mapping, api, scaleout, lais-sync, admin-reads/);
  });
});
