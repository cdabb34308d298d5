import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { BusyError } from '../../src/core/errors.ts';
import { Gate } from '../../src/core/gate.ts';
import type { MessageFilter, StoredMessage } from '../../src/store/types.ts';
import { ADMIN_TOKEN, auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from '../helpers/hub.ts';

/**
 * Item 9 of the security issue: admin reads under load. Heavy admin reads (message lists and
 * searches, API and console) run a few at a time (limits.adminReads) with a short queue
 * (limits.adminReadQueue); beyond it they are refused at once with 503 + Retry-After, and /healthz
 * and ingest never wait behind them. A page holds at most 500 messages, without their payloads.
 * (How fast health answers under 500 concurrent readers is a benchmark: npm run bench -- admin-reads.)
 */

const hidden = (text: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1] ?? '';

describe('security: the gate of heavy admin reads', () => {
  it('lets `concurrent` run, queues `queue` in order, refuses the next with BusyError and its Retry-After', async () => {
    const gate = new Gate('reads', { concurrent: 2, queue: 1, retryAfterSeconds: 3 });
    const order: string[] = [];
    const releases = await Promise.all([gate.acquire(), gate.acquire()]);
    const third = gate.acquire().then((release) => (order.push('third'), release));
    await assert.rejects(gate.acquire(), (e: unknown) => {
      assert.ok(e instanceof BusyError);
      assert.equal(e.status, 503);
      assert.equal(e.extra.retryAfterSeconds, 3);
      return true;
    });
    assert.equal(gate.active, 2);
    assert.equal(gate.queued, 1);
    releases[0]!();
    releases[0]!(); // a second release of the same turn changes nothing
    const release3 = await third;
    assert.deepEqual(order, ['third']);
    assert.equal(gate.active, 2);
    assert.equal(gate.queued, 0);
    releases[1]!();
    release3();
    assert.equal(gate.active, 0);
  });
});

for (const backend of backends()) {
  describe(`security: admin reads under load (${backend})`, function () {
    this.timeout(60_000);
    let t: TestHub;
    let server: Server;
    let base: string;
    /** Holds every listMessages of the store until released: a slow read, held open. */
    let hold: Promise<void> | undefined;
    let releaseHold = () => undefined as void;
    let held = 0;
    before(async () => {
      t = await makeHub({ backend, config: { ...baseConfig(), limits: { adminReads: 1, adminReadQueue: 0 } } });
      const store = t.hub.store;
      const list = store.listMessages.bind(store);
      store.listMessages = async (f: MessageFilter): Promise<StoredMessage[]> => {
        if (hold) {
          held++;
          await hold;
        }
        return list(f);
      };
      server = t.app.listen(0, '127.0.0.1');
      await new Promise((r) => server.once('listening', r));
      base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    });
    after(async () => {
      releaseHold();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
      await t?.stop();
    });

    it('with the cap at 1 and a slow read held open: another read gets 503 + Retry-After, /healthz and ingest answer', async () => {
      hold = new Promise<void>((r) => (releaseHold = r));
      const slow = fetch(`${base}/api/v1/messages?limit=10`, { headers: auth });
      await eventually(() => held === 1, 10_000, 'the first read to reach the store');
      const busy = await fetch(`${base}/api/v1/messages?status=rejected`, { headers: auth });
      assert.equal(busy.status, 503);
      assert.ok(Number(busy.headers.get('retry-after')) > 0, 'Retry-After');
      assert.match(busy.headers.get('content-type') ?? '', /^application\/problem\+json/);
      const problem = (await busy.json()) as { code: string; detail: string };
      assert.equal(problem.code, 'HUB_ERR_BUSY');
      assert.match(problem.detail, /too many heavy admin reads at once \(1 running, 0 waiting\)/);
      // The admin console's lists and searches share the cap.
      const agent = request.agent(base);
      const form = await agent.get('/admin/login').expect(200);
      await agent
        .post('/admin/login')
        .type('form')
        .send({ token: ADMIN_TOKEN, _csrf: hidden(form.text, '_csrf'), next: '/admin/' })
        .expect(303);
      const page = await agent.get('/admin/messages').expect(503);
      assert.ok(Number(page.headers['retry-after']) > 0);
      assert.match(page.text, /too many heavy admin reads/);
      await agent.get('/admin/dead').expect(503);
      // Health, readiness and ingest do not wait for the read.
      assert.equal((await fetch(`${base}/healthz`)).status, 200);
      assert.equal((await fetch(`${base}/readyz`)).status, 200);
      const ingest = await fetch(`${base}/api/v1/ingest/rtu-push/person`, { method: 'POST', headers: { ...auth, 'content-type': 'application/json' }, body: JSON.stringify([canonicalPerson(1)]) });
      assert.equal(ingest.status, 202);
      releaseHold();
      hold = undefined;
      assert.equal((await slow).status, 200);
      // Its turn is given back: the next read runs.
      const after = await fetch(`${base}/api/v1/messages`, { headers: auth });
      assert.equal(after.status, 200);
      await agent.get('/admin/messages').expect(200);
    });

    it('a turn is given back when the client goes away before the answer', async () => {
      hold = new Promise<void>((r) => (releaseHold = r));
      held = 0;
      const gone = new AbortController();
      const slow = fetch(`${base}/api/v1/messages`, { headers: auth, signal: gone.signal }).catch(() => 'aborted');
      await eventually(() => held === 1, 10_000, 'the read to reach the store');
      gone.abort();
      assert.equal(await slow, 'aborted');
      await eventually(() => t.hub.heavyReads.active === 0, 10_000, 'the turn to be given back');
      releaseHold();
      hold = undefined;
      assert.equal((await fetch(`${base}/api/v1/messages`, { headers: auth })).status, 200);
    });

    it('serves at most 500 messages a page, without their payloads, and pages on with next', async () => {
      const body = JSON.stringify(Array.from({ length: 505 }, (_, i) => canonicalPerson(1000 + i)));
      await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).set('content-type', 'application/json').send(body).expect(202);
      const first = await request(t.app).get('/api/v1/messages?limit=1000').set(auth).expect(200);
      assert.equal(first.body.items.length, 500);
      assert.equal(typeof first.body.next, 'string');
      assert.equal(first.body.items[0].raw, undefined);
      const rest = await request(t.app).get(`/api/v1/messages?limit=1000&before=${first.body.next}`).set(auth).expect(200);
      assert.ok(rest.body.items.length >= 5);
      await request(t.app).get('/api/v1/messages?limit=1001').set(auth).expect(400);
    });
  });
}
