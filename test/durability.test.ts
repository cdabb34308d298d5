import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startReceiver } from '../src/demo/receiver.ts';
import { baseConfig, canonicalPerson, eventually } from './helpers/hub.ts';
import { freePort, runHub, type HubProcess } from './helpers/process.ts';

const TOKEN = 'durability-admin-token-123456';

describe('durability of the embedded mode: kill -9 loses nothing', function () {
  this.timeout(90_000);
  let dir: string;
  let hub: HubProcess | undefined;
  after(async () => {
    await hub?.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('delivers every accepted record exactly once after a kill -9 and restart', async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-durable-'));
    const hookPort = await freePort();
    const apiPort = await freePort();
    const config = baseConfig({
      sinks: [{ id: 'hook', type: 'webhook', options: { url: `http://127.0.0.1:${hookPort}/hook`, secretEnv: 'HOOK_SECRET', timeoutMs: 2000 } }],
      routes: [{ id: 'to-hook', sink: 'hook', match: {}, legalBasis: 'public-task', purpose: 'test', retry: { maxAttempts: 100, initialDelayMs: 100, multiplier: 1.5, maxDelayMs: 500 } }],
    });
    const configFile = join(dir, 'hub.json');
    writeFileSync(configFile, JSON.stringify(config));
    // The embedded mode: the child must not pick up DATABASE_URL / AMQP_URL from the test environment.
    const env = { DATABASE_URL: '', AMQP_URL: '', HUB_DATA_DIR: join(dir, 'data'), HUB_ADMIN_TOKEN: TOKEN, HOOK_SECRET: 'k', PORT: String(apiPort), HOST: '127.0.0.1' };

    // 1. The receiver is down: everything is accepted, nothing can be delivered yet.
    hub = runHub(['start', '--config', configFile], env);
    await hub.waitFor('listening on');
    const accepted = new Set<string>();
    for (let batch = 0; batch < 10; batch++) {
      const body = Array.from({ length: 20 }, (_, i) => canonicalPerson(batch * 20 + i + 1));
      const res = await fetch(`http://127.0.0.1:${apiPort}/api/v1/ingest/rtu-push/person`, {
        method: 'POST',
        headers: { authorization: `Bearer ${TOKEN}`, 'content-type': 'application/json' },
        body: JSON.stringify(body),
      });
      assert.equal(res.status, 202);
      for (const m of ((await res.json()) as { messages: { recordId: string }[] }).messages) accepted.add(m.recordId);
    }
    assert.equal(accepted.size, 200);
    await hub.kill('SIGKILL');

    // 2. The receiver comes up, the hub restarts: every accepted record arrives, once.
    const seen = new Map<string, number>();
    const rx = await startReceiver('k', (e) => {
      const id = (e as unknown as { recordId: string }).recordId;
      seen.set(id, (seen.get(id) ?? 0) + 1);
    });
    rx.server.close();
    await new Promise<void>((r) => rx.server.listen(hookPort, '127.0.0.1', r));
    try {
      hub = runHub(['start', '--config', configFile], env);
      await hub.waitFor('listening on');
      await eventually(async () => seen.size === 200, 60_000, 'all 200 records at the receiver');
      // Nothing is left to send: every message delivered, no event waiting in the outbox, none in the
      // route's queue (in flight included). What the receiver has seen is all it will ever see.
      const get = (path: string) => fetch(`http://127.0.0.1:${apiPort}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
      await eventually(
        async () => {
          const delivered = ((await (await get('/api/v1/messages?status=delivered&limit=1000')).json()) as { items: unknown[] }).items.length;
          const metrics = await (await get('/metrics')).text();
          const left = /^hub_queue_depth\{route="to-hook",state="ready"\} (\d+)$/m.exec(metrics)?.[1];
          const outbox = /^hub_outbox_pending (\d+)$/m.exec(metrics)?.[1];
          if (delivered !== 200 || left !== '0' || outbox !== '0') throw new Error(`${delivered} delivered, ${left} in the queue, ${outbox} in the outbox`);
          return true;
        },
        60_000,
        'every delivery finished',
      );
      assert.equal(rx.rejectedSignatures, 0);
      assert.deepEqual(
        [...accepted].filter((id) => !seen.has(id)),
        [],
      );
      assert.deepEqual(
        [...seen.values()].filter((n) => n !== 1),
        [],
        'a record arrived more than once',
      );
    } finally {
      await hub.kill('SIGTERM');
      await rx.close();
    }
  });
});
