import assert from 'node:assert/strict';
import amqp from 'amqplib';
import pg from 'pg';
import { eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { countingReceiver, isolatedDeployment, people, realBackends } from './setup.ts';

/** The route's concurrency in isolatedDeployment: the prefetch, so the most one worker holds unacknowledged. */
const PREFETCH = 16;
/** Enough that two workers are busy for a while before the kill and the restarted one has work after it. */
const RECORDS = 2000;
const BATCH = 250;
/** The batch after which a worker is killed (once more than a batch is at the sink). */
const KILL_AFTER = 3;

describe(`fault: kill -9 a worker during a run of ${RECORDS.toLocaleString('en')} records (RabbitMQ + PostgreSQL)`, function () {
  this.timeout(660_000);
  if (!realBackends(this)) return;

  it(`delivers every record under its own idempotency key; only an attempt the killed worker had in flight (at most ${PREFETCH}) comes twice`, async () => {
    const rx = await countingReceiver();
    const d = isolatedDeployment(rx.url);
    const procs: HubProcess[] = [];
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    const q = async <T>(sql: string) => (await db.query(sql.replaceAll('$schema', d.schema))).rows as T[];
    try {
      const port = await freePort();
      const api = runHub(['serve'], { ...d.env, PORT: String(port) });
      procs.push(api);
      await api.waitFor('listening on', 60_000);
      const w1 = runHub(['worker'], { ...d.env, PORT: String(await freePort()) });
      const w2 = runHub(['worker'], { ...d.env, PORT: String(await freePort()) });
      procs.push(w1, w2);
      await w1.waitFor('relaying and delivering', 60_000);
      await w2.waitFor('relaying and delivering', 60_000);
      const started = Date.now();
      let accepted = 0;
      let killedAt = -1;
      for (let b = 0; b < RECORDS / BATCH; b++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest/rtu-push/person`, {
          method: 'POST',
          headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(people(b * BATCH, BATCH)),
        });
        const text = await res.text();
        assert.equal(res.status, 202, text);
        accepted += (JSON.parse(text) as { accepted: number }).accepted;
        if (b === KILL_AFTER) {
          await eventually(async () => rx.counts.size > BATCH, 60_000, 'deliveries under way');
          killedAt = rx.counts.size;
          await w1.kill('SIGKILL');
          const w3 = runHub(['worker'], { ...d.env, PORT: String(await freePort()) });
          procs.push(w3);
        }
      }
      assert.equal(accepted, RECORDS);
      const progress = setInterval(() => console.log(`      … ${rx.counts.size} at the sink after ${((Date.now() - started) / 1000).toFixed(0)} s`), 15_000);
      try {
        await eventually(
          async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM $schema.deliveries WHERE status = 'delivered'`))[0]!.n) === RECORDS,
          600_000,
          `all ${RECORDS} deliveries recorded as delivered`,
        );
      } finally {
        clearInterval(progress);
      }
      // A copy that met another copy's attempt in progress waits in the retry queue (at most 2 s) and is
      // acked when it comes back; then every process stops (a graceful stop hands back what it holds),
      // and nothing may be left in the route's queues: what the sink has seen is all it will ever see.
      const conn = await amqp.connect(process.env.AMQP_URL!);
      try {
        const ch = await conn.createChannel();
        const left = async () => {
          let n = 0;
          for (const s of ['', '.retry']) n += (await ch.checkQueue(`${d.prefix}.route.to-hook${s}`)).messageCount;
          return n;
        };
        await eventually(async () => (await left()) === 0, 60_000, 'the copies waiting for a claim in progress acked');
        for (const p of procs) await p.kill('SIGTERM');
        for (const s of ['', '.retry', '.dead']) assert.equal((await ch.checkQueue(`${d.prefix}.route.to-hook${s}`)).messageCount, 0, `messages left in route.to-hook${s}`);
      } finally {
        await conn.close();
      }
      const seconds = (Date.now() - started) / 1000;

      const events = (await q<{ event_id: string }>(`SELECT event_id FROM $schema.changes`)).map((r) => r.event_id);
      assert.equal(events.length, RECORDS);
      assert.deepEqual([...rx.counts.keys()].sort(), events.sort(), 'the keys at the sink are the committed changes, each its own');
      const statuses = await q<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM $schema.deliveries GROUP BY status`);
      assert.deepEqual(
        statuses.map((s) => [s.status, Number(s.n)]),
        [['delivered', RECORDS]],
      );
      const twice = [...rx.counts.entries()].filter(([, n]) => n > 1);
      assert.ok(
        twice.every(([, n]) => n === 2),
        `a key came more than twice: ${twice
          .filter(([, n]) => n > 2)
          .map(([k, n]) => `${k} ×${n}`)
          .join(', ')}`,
      );
      // The claims let one copy of an event at a time reach the sink, and none after it was recorded as
      // delivered: the batch the killed relay published without marking it, republished by the next
      // holder, reaches the sink no second time. What can come twice is only an attempt the killed
      // worker had in flight (at the sink, not yet recorded): its claim is taken over once it timed out,
      // so the event has a claimed attempt with no recorded outcome. That is at most its prefetch.
      const claims = new Map(
        (
          await q<{ event_id: string; attempts: number; recorded: string }>(
            `SELECT d.event_id, d.attempts, (SELECT count(*) FROM $schema.delivery_attempts a WHERE a.event_id = d.event_id AND a.route_id = d.route_id) AS recorded FROM $schema.deliveries d`,
          )
        ).map((r) => [r.event_id, { attempts: Number(r.attempts), recorded: Number(r.recorded) }]),
      );
      const takenOver = [...claims].filter(([, c]) => c.attempts > c.recorded).map(([k]) => k);
      assert.ok(takenOver.length <= PREFETCH, `${takenOver.length} claims were taken over; the killed worker held at most ${PREFETCH}`);
      assert.deepEqual(
        twice.map(([k]) => k).filter((k) => !takenOver.includes(k)),
        [],
        'a key came twice that the killed worker did not have in flight',
      );
      assert.ok(twice.length <= PREFETCH, `${twice.length} keys came twice; the killed worker held at most ${PREFETCH}`);
      const total = [...rx.counts.values()].reduce((a, b) => a + b, 0);
      console.log(
        `      fault worker-kill: accepted ${accepted}, distinct at sink ${rx.counts.size}, deliveries ${total}, keys delivered twice ${twice.length} (at most ${PREFETCH}, each a claim of the killed worker taken over: ${takenOver.length}), worker killed after ${killedAt} deliveries, ${seconds.toFixed(1)} s`,
      );
    } finally {
      for (const p of procs) await p.kill('SIGTERM');
      await db.end();
      await rx.close();
      await d.cleanup();
    }
  });
});
