import assert from 'node:assert/strict';
import { eventually } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { countingReceiver, isolatedDeployment, people, realBackends } from './setup.ts';

describe('fault: kill -9 a worker during a run of 10,000 records (RabbitMQ + PostgreSQL)', function () {
  this.timeout(660_000);
  if (!realBackends(this)) return;

  it('delivers every record exactly once by its idempotency key after the restart', async () => {
    const rx = await countingReceiver();
    const d = isolatedDeployment(rx.url);
    const procs: HubProcess[] = [];
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
      for (let b = 0; b < 20; b++) {
        const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest/rtu-push/person`, {
          method: 'POST',
          headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}`, 'content-type': 'application/json' },
          body: JSON.stringify(people(b * 500, 500)),
        });
        const text = await res.text();
        assert.equal(res.status, 202, text);
        accepted += (JSON.parse(text) as { accepted: number }).accepted;
        if (b === 8) {
          await eventually(async () => rx.counts.size > 500, 60_000, 'deliveries under way');
          killedAt = rx.counts.size;
          await w1.kill('SIGKILL');
          const w3 = runHub(['worker'], { ...d.env, PORT: String(await freePort()) });
          procs.push(w3);
        }
      }
      const progress = setInterval(() => console.log(`      … ${rx.counts.size} at the sink after ${((Date.now() - started) / 1000).toFixed(0)} s`), 15_000);
      try {
        await eventually(async () => rx.counts.size >= 10_000, 600_000, 'all 10,000 records at the sink');
      } finally {
        clearInterval(progress);
      }
      await new Promise((r) => setTimeout(r, 1000));
      const seconds = (Date.now() - started) / 1000;
      const total = [...rx.counts.values()].reduce((a, b) => a + b, 0);
      console.log(
        `      fault worker-kill: accepted ${accepted}, distinct at sink ${rx.counts.size}, deliveries ${total}, keys delivered more than once ${rx.duplicates()}, worker killed after ${killedAt} deliveries, ${seconds.toFixed(1)} s`,
      );
      assert.equal(accepted, 10_000);
      assert.equal(rx.counts.size, 10_000);
    } finally {
      for (const p of procs) await p.kill('SIGTERM');
      await rx.close();
      await d.cleanup();
    }
  });
});
