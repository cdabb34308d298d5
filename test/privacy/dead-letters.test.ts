import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { routeQueue } from '../../src/broker/types.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { auth, backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { TcpProxy } from '../helpers/tcp-proxy.ts';
import { code, deliveryStatus, findEverywhere, ingest, person, privacyConfig } from './helpers.ts';

/** A receiver that refuses everything (400): each delivery is dead-lettered at once. */
async function refusingReceiver(): Promise<{ url: string; close: () => Promise<void> }> {
  const server = http.createServer((req, res) => {
    req.resume();
    req.on('end', () => res.writeHead(400).end('no'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/refuse`,
    close: async () => {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    },
  };
}

for (const backend of backends()) {
  describe(`erasure of dead-lettered broker copies (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let rx: Awaited<ReturnType<typeof refusingReceiver>>;
    /** RabbitMQ as the hub reaches it (real backend): the test can make it unreachable. */
    let proxy: TcpProxy | undefined;
    const pc = code(1993, 2, 11, 707);
    const otherCode = code(1994, 8, 19, 808);
    const queue = routeQueue('register');

    /** The events in the dead-letter queue, read without removing them. */
    const deadEvents = async (): Promise<ChangeEvent[]> => {
      const seen: ChangeEvent[] = [];
      await t.hub.broker.purgeDead(queue, (e) => {
        seen.push(e);
        return false;
      });
      return seen;
    };

    before(async () => {
      rx = await refusingReceiver();
      const base = privacyConfig();
      let amqp: NonNullable<Parameters<typeof makeHub>[0]>['amqp'] = undefined;
      if (backend === 'real') {
        const direct = new URL(process.env.AMQP_URL!);
        proxy = new TcpProxy(direct.hostname, Number(direct.port || 5672));
        const url = new URL(direct);
        url.hostname = '127.0.0.1';
        url.port = String(await proxy.start());
        amqp = { url: url.toString(), options: { unavailableTimeoutMs: 1000, reconnect: { initialDelayMs: 50, maxDelayMs: 200 } } };
      }
      t = await makeHub({
        ...(amqp ? { amqp } : {}),
        backend,
        env: { REGISTER_SECRET: 'register-secret-0123456789' },
        config: {
          ...base,
          sinks: [...base.sinks, { id: 'register', type: 'webhook', options: { url: rx.url, secretEnv: 'REGISTER_SECRET', timeoutMs: 2000 } }],
          routes: [{ id: 'register', sink: 'register', match: { entities: ['person'] }, legalBasis: 'legal-obligation', purpose: 'Student register', retry: { maxAttempts: 2, initialDelayMs: 20 } }],
        },
      });
    });
    after(async () => {
      if (proxy) proxy.refusing = false;
      await t?.stop();
      await proxy?.stop();
      await rx?.close();
    });

    it('removes the dead letters of the erased person from the broker and keeps the others', async () => {
      const a = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU700001', pc));
      const b = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU700002', otherCode));
      for (const m of [a, b]) await deliveryStatus(t, m.messageId, 'register', ['dead']);
      await eventually(async () => ((await t.hub.broker.stats(queue)).dead === 2 ? true : undefined), 10_000, 'two dead letters');
      const before = await deadEvents();
      assert.ok(JSON.stringify(before).includes(pc), 'the dead letter holds the personal code before the erasure');
      assert.equal((await t.hub.broker.stats(queue)).dead, 2, 'reading the dead letters leaves them there');

      const res = await request(t.app).post(`/api/v1/persons/${a.recordId}/erasure`).set(auth).expect(200);
      assert.equal(res.body.deadLettersRemoved, 1);
      const after = await deadEvents();
      assert.deepEqual(
        after.map((e) => e.recordId),
        [b.recordId],
      );
      assert.ok(!JSON.stringify(after).includes(pc));
      assert.ok(JSON.stringify(after).includes(otherCode), 'the other person’s dead letter is intact');
      const erasure = (await request(t.app).get('/api/v1/audit/erasures').set(auth).expect(200)).body.items.find((e: { id: string }) => e.id === res.body.id);
      assert.equal(erasure.counts['broker dead letters'], 1);
      // The store's copy of the dead delivery is scrubbed with the rest (searched over every table).
      assert.deepEqual(await findEverywhere(t.hub.store.sql, pc), []);
      // A requeue of what is left does not bring the erased person back.
      assert.equal(await t.hub.broker.requeueDead(queue), 1);
    });

    it('removes dead letters later when the broker could not be reached at the erasure', async () => {
      const c = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU700003', code(1990, 1, 15, 909)));
      await deliveryStatus(t, c.messageId, 'register', ['dead']);
      await eventually(async () => ((await deadEvents()).some((e) => e.recordId === c.recordId) ? true : undefined), 10_000, 'the dead letter');
      // The broker fails for real while the erasure runs: RabbitMQ unreachable (every connection cut,
      // new ones refused), or the embedded broker's file moved away (its writes are refused).
      let restore: () => Promise<void>;
      if (proxy) {
        proxy.refusing = true;
        proxy.drop();
        restore = async () => {
          proxy!.refusing = false;
          await eventually(() => t.hub.broker.ping().then(() => true), 10_000, 'RabbitMQ reachable again');
        };
      } else {
        const files = ['broker.sqlite', 'broker.sqlite-wal', 'broker.sqlite-shm'].map((f) => join(t.dir, f)).filter((f) => existsSync(f));
        for (const f of files) renameSync(f, `${f}.away`);
        await assert.rejects(t.hub.broker.ping(), /broker\.sqlite was removed while the hub had it open/);
        restore = async () => {
          for (const f of files) renameSync(`${f}.away`, f);
          await eventually(() => t.hub.broker.ping().then(() => true), 10_000, 'the broker file back');
        };
      }
      let res;
      try {
        res = await request(t.app).post(`/api/v1/persons/${c.recordId}/erasure`).set(auth).expect(200);
      } finally {
        await restore();
      }
      assert.equal(res.body.deadLettersRemoved, null);
      assert.ok((await deadEvents()).some((e) => e.recordId === c.recordId));
      const tick = await t.hub.privacy.tick();
      assert.ok(tick.deadLettersRemoved >= 1);
      assert.ok(!(await deadEvents()).some((e) => e.recordId === c.recordId));
      assert.equal((await t.hub.privacy.tick()).deadLettersRemoved, 0, 'done once');
    });
  });
}
