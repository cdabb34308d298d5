import assert from 'node:assert/strict';
import amqp from 'amqplib';
import pg from 'pg';
import { eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { findRabbitTools, PrivateRabbitNode } from './rabbitmq-node.ts';
import { countingReceiver, isolatedDeployment, needs, people } from './setup.ts';

const RECORDS = 1500;
const BATCH = 100;

/**
 * RabbitMQ restart (rabbitmqctl stop_app / start_app) during a run of records. The hub talks to a
 * RabbitMQ node of its own, started for this test, so that the shared broker is never stopped.
 * With DATABASE_URL the API and a worker are two processes on PostgreSQL; without it, `hub start`.
 */
describe('fault: RabbitMQ restart (stop_app / start_app) during a run of records', function () {
  this.timeout(300_000);
  let node: PrivateRabbitNode | undefined;

  before(async function () {
    const tools = findRabbitTools();
    needs(this, [...(process.env.AMQP_URL ? [] : ['AMQP_URL']), ...(tools ? [] : ['rabbitmq-server and rabbitmqctl on the PATH'])]);
    node = new PrivateRabbitNode(tools!);
    try {
      await node.start();
    } catch (e) {
      throw new Error(`cannot start a private RabbitMQ node: ${(e as Error).message}\n${node.log()}`);
    }
  });

  after(async () => {
    await node?.stop();
  });

  it(`reconnects by itself; all ${RECORDS} records reach the sink, each under its own key`, async () => {
    const rabbit = node!;
    const rx = await countingReceiver();
    const d = isolatedDeployment(rx.url);
    const env = { ...d.env, AMQP_URL: rabbit.url };
    const procs: HubProcess[] = [];
    const twoProcesses = Boolean(process.env.DATABASE_URL);
    try {
      const apiPort = await freePort();
      const api = runHub([twoProcesses ? 'serve' : 'start'], { ...env, PORT: String(apiPort) });
      procs.push(api);
      await api.waitFor('listening on', 60_000);
      let worker = api;
      let workerPort = apiPort;
      if (twoProcesses) {
        workerPort = await freePort();
        worker = runHub(['worker'], { ...env, PORT: String(workerPort) });
        procs.push(worker);
        await worker.waitFor('relaying and delivering', 60_000);
      }
      const probes = [`http://127.0.0.1:${apiPort}/readyz`, `http://127.0.0.1:${workerPort}/readyz`];
      const allReady = async (status: number) => {
        for (const u of probes) if ((await fetch(u)).status !== status) return false;
        return true;
      };
      let accepted = 0;
      const ingest = async (batch: number) => {
        const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/ingest/rtu-push/person`, {
          method: 'POST',
          headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(people(batch * BATCH, BATCH, 'R')),
        });
        const text = await res.text();
        assert.equal(res.status, 202, text);
        accepted += (JSON.parse(text) as { accepted: number }).accepted;
      };
      const batches = RECORDS / BATCH;
      const started = Date.now();

      // A third of the records, and deliveries under way.
      for (let b = 0; b < batches / 3; b++) await ingest(b);
      await eventually(async () => rx.counts.size >= 100, 60_000, 'deliveries under way');

      // RabbitMQ goes away: the hub notices, says it is not ready, and still accepts records (the outbox holds them).
      const stoppedAt = Date.now();
      const atStop = rx.counts.size;
      await rabbit.stopApp();
      await eventually(async () => allReady(503), 30_000, '/readyz 503 while RabbitMQ is down');
      await worker.waitFor('RabbitMQ connection lost', 30_000);
      for (let b = batches / 3; b < (2 * batches) / 3; b++) await ingest(b);
      const duringOutage = rx.counts.size - atStop;

      // RabbitMQ is back: nobody restarts the hub.
      await rabbit.startApp();
      const restartedAt = Date.now();
      const outageMs = restartedAt - stoppedAt;
      const atRestart = rx.counts.size;
      await eventually(async () => allReady(200), 120_000, '/readyz 200 after RabbitMQ is back');
      const readyMs = Date.now() - restartedAt;
      await eventually(async () => rx.counts.size > atRestart, 120_000, 'deliveries resume');
      const resumeMs = Date.now() - restartedAt;
      for (let b = (2 * batches) / 3; b < batches; b++) await ingest(b);

      await eventually(async () => rx.counts.size >= RECORDS, 180_000, `all ${RECORDS} records at the sink`);
      // Every queue of the route drains: nothing waits for a retry, nothing is dead.
      const conn = await amqp.connect(rabbit.url);
      try {
        const ch = await conn.createChannel();
        const depth = async (suffix: string) => (await ch.checkQueue(`${d.prefix}.route.to-hook${suffix}`)).messageCount;
        await eventually(async () => (await depth('')) + (await depth('.retry')) === 0, 60_000, 'route queues drained');
        assert.equal(await depth('.dead'), 0, 'nothing dead-lettered');
      } finally {
        await conn.close();
      }
      if (twoProcesses) {
        const db = new pg.Client({ connectionString: process.env.DATABASE_URL });
        await db.connect();
        try {
          const events = (await db.query<{ event_id: string }>(`SELECT event_id FROM ${d.schema}.changes`)).rows.map((r) => r.event_id);
          assert.deepEqual([...rx.counts.keys()].sort(), events.sort(), 'the keys at the sink are the committed changes');
          await eventually(
            async () => Number((await db.query<{ n: string }>(`SELECT count(*) AS n FROM ${d.schema}.deliveries WHERE status = 'delivered'`)).rows[0]!.n) === RECORDS,
            60_000,
            'every delivery recorded as delivered',
          );
        } finally {
          await db.end();
        }
      }
      const failedAttempts = (worker.output().match(/RabbitMQ reconnection attempt \d+ failed/g) ?? []).length;
      assert.equal(accepted, RECORDS);
      assert.equal(rx.counts.size, RECORDS);
      for (const p of procs) assert.equal(p.child.exitCode, null, p.output());
      const total = [...rx.counts.values()].reduce((a, b) => a + b, 0);
      console.log(
        `      fault rabbitmq-restart (${twoProcesses ? 'API + worker, PostgreSQL' : 'hub start, SQLite'}): ${RECORDS} records, distinct keys at the sink ${rx.counts.size}, ` +
          `deliveries ${total}, keys delivered more than once ${rx.duplicates()}; RabbitMQ down ${(outageMs / 1000).toFixed(1)} s (${duringOutage} deliveries finished meanwhile), ` +
          `${failedAttempts} reconnection attempts refused meanwhile; ready ${(readyMs / 1000).toFixed(1)} s and delivering ${(resumeMs / 1000).toFixed(1)} s after start_app; whole run ${((Date.now() - started) / 1000).toFixed(1)} s`,
      );
    } finally {
      for (const p of procs) await p.kill('SIGTERM');
      await rx.close();
      await d.cleanup({ amqpUrl: null });
    }
  });
});
