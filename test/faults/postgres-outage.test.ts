import assert from 'node:assert/strict';
import amqp from 'amqplib';
import pg from 'pg';
import { eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { countingReceiver, isolatedDeployment, needs, people } from './setup.ts';

interface Answer {
  status: number;
  headers: Headers;
  body: string;
}

/**
 * PostgreSQL unreachable: the API and a worker reach the database through a TCP proxy that the test
 * cuts (every connection dropped, new ones refused) and restores; the shared server is not touched.
 */
describe('fault: PostgreSQL unreachable (RabbitMQ + PostgreSQL, the database behind a proxy)', function () {
  this.timeout(240_000);

  it('answers 503 with Retry-After, acknowledges nothing uncommitted, and resumes by itself', async function () {
    needs(
      this,
      ['DATABASE_URL', 'AMQP_URL'].filter((v) => !process.env[v]),
    );
    const direct = new URL(process.env.DATABASE_URL!);
    const proxy = new TcpProxy(direct.hostname, Number(direct.port || 5432));
    const proxied = new URL(direct);
    proxied.hostname = '127.0.0.1';
    proxied.port = String(await proxy.start());

    const rx = await countingReceiver();
    const d = isolatedDeployment(rx.url);
    const env = { ...d.env, DATABASE_URL: proxied.toString() };
    const procs: HubProcess[] = [];
    const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
    await db.connect();
    try {
      const apiPort = await freePort();
      const workerPort = await freePort();
      const api = runHub(['serve'], { ...env, PORT: String(apiPort) });
      procs.push(api);
      await api.waitFor('listening on', 60_000);
      const worker = runHub(['worker'], { ...env, PORT: String(workerPort) });
      procs.push(worker);
      await worker.waitFor('relaying and delivering', 60_000);
      const apiUrl = `http://127.0.0.1:${apiPort}`;
      const workerUrl = `http://127.0.0.1:${workerPort}`;

      const ingest = async (records: unknown[]): Promise<Answer> => {
        const res = await fetch(`${apiUrl}/api/v1/ingest/rtu-push/person`, {
          method: 'POST',
          headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(records),
        });
        return { status: res.status, headers: res.headers, body: await res.text() };
      };
      const ready = async (base: string) => (await fetch(`${base}/readyz`)).status;
      /** Source ids the hub answered 202 for: each must end up committed and delivered. */
      const accepted = new Set<string>();
      const send = async (records: ReturnType<typeof people>) => {
        const a = await ingest(records);
        if (a.status === 202) for (const r of records) accepted.add(r.sourceId);
        return a;
      };

      // 1. Records accepted while the database is up; the sink holds its answers, so deliveries are in flight.
      rx.state.hold = true;
      for (let b = 0; b < 4; b++) {
        const a = await send(people(b * 50, 50, 'P'));
        assert.equal(a.status, 202, a.body);
      }
      await eventually(async () => rx.held.length >= 1, 60_000, 'deliveries in flight at the sink');

      // 2. The database goes away.
      proxy.refusing = true;
      proxy.drop();
      const cutAt = Date.now();
      // The deliveries in flight succeed at the sink now, but the hub cannot record them: they must not be acked as done.
      const heldKeys = rx.release();

      await eventually(async () => (await ready(apiUrl)) === 503, 30_000, 'API /readyz 503');
      await eventually(async () => (await ready(workerUrl)) === 503, 30_000, 'worker /readyz 503');
      const notReady = await fetch(`${apiUrl}/readyz`);
      assert.match(notReady.headers.get('content-type') ?? '', /application\/problem\+json/);
      assert.equal(notReady.headers.get('retry-after'), '5');
      const checks = ((await notReady.json()) as { checks: Record<string, string> }).checks;
      assert.notEqual(checks.store, 'ok');
      assert.equal(checks.broker, 'ok');

      const refused: ReturnType<typeof people>[] = [];
      for (let b = 0; b < 4; b++) {
        const batch = people(1000 + b * 25, 25, 'P');
        const a = await send(batch);
        assert.equal(a.status, 503, a.body);
        assert.match(a.headers.get('content-type') ?? '', /^application\/problem\+json/);
        assert.match(a.headers.get('retry-after') ?? '', /^\d+$/);
        const problem = JSON.parse(a.body) as { status: number; code: string };
        assert.equal(problem.status, 503);
        assert.equal(problem.code, 'HUB_ERR_STORE');
        refused.push(batch);
      }
      // Messages the broker hands the worker now cannot be claimed in the store: they go back through
      // the retry queue instead of being acked.
      const amqpConn = await amqp.connect(process.env.AMQP_URL!);
      try {
        const ch = await amqpConn.createChannel();
        await eventually(async () => (await ch.checkQueue(`${d.prefix}.route.to-hook.retry`)).messageCount > 0, 60_000, 'deliveries sent back to the retry queue during the outage');
      } finally {
        await amqpConn.close();
      }
      // The processes live on.
      assert.equal(api.child.exitCode, null, api.output());
      assert.equal(worker.child.exitCode, null, worker.output());
      const outageMs = Date.now() - cutAt;

      // 3. The database is back: the processes find it by themselves.
      proxy.refusing = false;
      const restoredAt = Date.now();
      await eventually(async () => (await ready(apiUrl)) === 200 && (await ready(workerUrl)) === 200, 60_000, '/readyz 200 on API and worker');
      const readyMs = Date.now() - restoredAt;
      let recoverMs = 0;
      for (const batch of refused) {
        const a = await send(batch);
        assert.equal(a.status, 202, `a refused batch sent again: ${a.body}`);
        recoverMs ||= Date.now() - restoredAt;
      }
      const after = await send(people(2000, 50, 'P'));
      assert.equal(after.status, 202, after.body);

      // 4. Every accepted record is committed, and every change reaches the sink under its own key.
      const q = async <T>(sql: string) => (await db.query(sql.replaceAll('$schema', d.schema))).rows as T[];
      const committed = new Set((await q<{ source_id: string }>(`SELECT source_id FROM $schema.records WHERE entity = 'person'`)).map((r) => r.source_id));
      assert.equal(accepted.size, 350);
      assert.deepEqual(
        [...accepted].filter((id) => !committed.has(id)),
        [],
        'accepted but not committed',
      );
      const events = (await q<{ event_id: string }>(`SELECT event_id FROM $schema.changes`)).map((r) => r.event_id);
      assert.equal(events.length, committed.size);
      await eventually(async () => rx.counts.size >= events.length, 120_000, `all ${events.length} changes at the sink`);
      await eventually(
        async () => Number((await q<{ n: string }>(`SELECT count(*) AS n FROM $schema.deliveries WHERE status = 'delivered'`))[0]!.n) === events.length,
        60_000,
        'every delivery recorded as delivered',
      );
      assert.deepEqual([...rx.counts.keys()].sort(), [...events].sort(), 'the keys at the sink are the committed changes');
      // What was in flight when the database went away was delivered again: it had not been acknowledged.
      // What was in flight when the database went away was either delivered again (its ack had waited
      // for the store, which failed) or recorded once the store answered again (the write waited out
      // the outage); never acked without the record of it.
      const inFlight = [...new Set(heldKeys)];
      const again = inFlight.filter((k) => (rx.counts.get(k) ?? 0) >= 2);
      const waited = inFlight.filter((k) => (rx.counts.get(k) ?? 0) === 1);
      const recorded = await q<{ event_id: string; n: string }>(
        `SELECT event_id, count(*) AS n FROM $schema.delivery_attempts WHERE outcome = 'delivered' AND event_id IN (${waited.map((k) => `'${k}'`).join(',') || 'NULL'}) GROUP BY event_id`,
      );
      assert.deepEqual(recorded.map((r) => [r.event_id, Number(r.n)]).sort(), waited.map((k) => [k, 1]).sort(), 'each delivery in flight at the cut is recorded once');
      assert.equal(again.length + waited.length, inFlight.length);
      const statuses = await q<{ status: string; n: string }>(`SELECT status, count(*) AS n FROM $schema.deliveries GROUP BY status`);
      assert.deepEqual(
        statuses.map((s) => [s.status, Number(s.n)]),
        [['delivered', events.length]],
      );
      const total = [...rx.counts.values()].reduce((a, b) => a + b, 0);
      console.log(
        `      fault postgres-outage: accepted ${accepted.size} records (${refused.length * 25} refused with 503 during the outage, accepted when sent again), ` +
          `${events.length} changes, deliveries ${total}, keys delivered more than once ${rx.duplicates()}; in flight at the cut ${inFlight.length}: ${again.length} delivered again, ${waited.length} recorded after the outage; ` +
          `outage ${(outageMs / 1000).toFixed(1)} s, ready ${(readyMs / 1000).toFixed(1)} s after restore, first 202 ${(recoverMs / 1000).toFixed(1)} s after restore`,
      );
    } finally {
      proxy.refusing = false;
      for (const p of procs) await p.kill('SIGTERM');
      await db.end();
      await proxy.stop();
      await rx.close();
      await d.cleanup();
    }
  });
});
