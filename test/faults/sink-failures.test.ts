import assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import request from 'supertest';
import { routeQueue } from '../../src/broker/types.ts';
import { auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from '../helpers/hub.ts';

/** A sink whose answer depends on how often it has seen an idempotency key. */
async function failingSink() {
  const state = {
    /** Status for the nth request (1-based) of a key; < 300 is a success; 'hang' never answers. */
    answer: (_nth: number): number | 'hang' => 204,
  };
  const requests = new Map<string, number>();
  const successes = new Map<string, number>();
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      const key = String(req.headers['idempotency-key']);
      const nth = (requests.get(key) ?? 0) + 1;
      requests.set(key, nth);
      const status = state.answer(nth);
      if (status === 'hang') return;
      if (status < 300) successes.set(key, (successes.get(key) ?? 0) + 1);
      res.writeHead(status).end(status >= 300 ? `status ${status} from the test sink` : undefined);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    state,
    requests,
    successes,
    url: `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`,
    close: () =>
      new Promise<void>((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

interface Attempt {
  attempt: number;
  at: string;
  outcome: string;
  error: string | null;
  detail: string | null;
}
interface Detail {
  status: string;
  eventId: string;
  deliveries: { status: string; lastError: string | null; attempts: Attempt[] }[];
}

const RETRY = { maxAttempts: 4, initialDelayMs: 100, multiplier: 2, maxDelayMs: 1000 };

for (const backend of backends()) {
  describe(`fault: a failing sink (${backend === 'real' ? 'RabbitMQ + PostgreSQL' : 'embedded'})`, function () {
    this.timeout(120_000);
    let t: TestHub;
    let sink: Awaited<ReturnType<typeof failingSink>>;

    before(async () => {
      sink = await failingSink();
      t = await makeHub({
        backend,
        env: { HOOK_SECRET: 'k' },
        config: baseConfig({
          sinks: [{ id: 'hook', type: 'webhook', options: { url: sink.url, secretEnv: 'HOOK_SECRET', timeoutMs: 5000 } }],
          routes: [{ id: 'to-hook', sink: 'hook', match: { entities: ['person'] }, legalBasis: 'public-task', purpose: 'fault test', retry: RETRY }],
        }),
      });
    });
    after(async () => {
      await t?.stop();
      await sink?.close();
    });

    const ingest = async (from: number, n: number): Promise<string[]> => {
      const people = Array.from({ length: n }, (_, i) => canonicalPerson(from + i));
      const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(people).expect(202);
      return (res.body.messages as { messageId: string }[]).map((m) => m.messageId);
    };
    const detail = async (id: string) => (await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body as Detail;
    const settled = async (ids: string[], status: string) =>
      eventually(
        async () => {
          const all = await Promise.all(ids.map(detail));
          return all.every((d) => d.status === status) ? all : undefined;
        },
        60_000,
        `${ids.length} messages ${status}`,
      );

    it('a sink failing the first 3 times is retried with growing delays, then delivered once', async () => {
      sink.state.answer = (nth) => (nth <= 3 ? 503 : 204);
      const ids = await ingest(1, 10);
      const done = await settled(ids, 'delivered');
      const scheduled: number[][] = [];
      for (const d of done) {
        const attempts = d.deliveries[0]!.attempts;
        assert.deepEqual(
          attempts.map((a) => a.outcome),
          ['retry', 'retry', 'retry', 'delivered'],
        );
        const delays = attempts.slice(0, 3).map((a) => Number(/next attempt in (\d+) ms/.exec(a.detail ?? '')?.[1]));
        scheduled.push(delays);
        // Exponential back-off with ±10 % jitter: 100, 200, 400 ms.
        delays.forEach((ms, i) => {
          const base = RETRY.initialDelayMs * RETRY.multiplier ** i;
          assert.ok(ms >= base * 0.9 && ms <= base * 1.1, `delay ${i + 1} is ${ms} ms, expected about ${base}`);
        });
        // No attempt comes before its delay is over (a lower bound only: a busy machine is slower).
        for (let i = 1; i < attempts.length; i++) {
          const gap = Date.parse(attempts[i]!.at) - Date.parse(attempts[i - 1]!.at);
          assert.ok(gap >= delays[i - 1]! * 0.8, `attempt ${i + 1} came ${gap} ms after attempt ${i}, before its delay of ${delays[i - 1]} ms`);
        }
        assert.equal(sink.successes.get(d.eventId), 1);
        assert.equal(sink.requests.get(d.eventId), 4);
      }
      const mean = (i: number) => Math.round(scheduled.reduce((a, s) => a + s[i]!, 0) / scheduled.length);
      console.log(`      fault sink-fails-first-3 (${backend}): ${ids.length} records, 4 attempts each, mean delays ${mean(0)} / ${mean(1)} / ${mean(2)} ms, delivered once each`);
    });

    it('a sink that hangs (timeout), then answers 408 and 429, is retried each time, then delivered once', async () => {
      // A hub of its own: its sink waits 500 ms for an answer.
      const slow = await makeHub({
        backend,
        env: { HOOK_SECRET: 'k' },
        config: baseConfig({
          sinks: [{ id: 'hook', type: 'webhook', options: { url: sink.url, secretEnv: 'HOOK_SECRET', timeoutMs: 500 } }],
          routes: [{ id: 'to-hook', sink: 'hook', match: { entities: ['person'] }, legalBasis: 'public-task', purpose: 'fault test', retry: RETRY }],
        }),
      });
      try {
        sink.state.answer = (nth) => (nth === 1 ? 'hang' : nth === 2 ? 408 : nth === 3 ? 429 : 204);
        const res = await request(slow.app)
          .post('/api/v1/ingest/rtu-push/person')
          .set(auth)
          .send([canonicalPerson(500)])
          .expect(202);
        const id = (res.body.messages as { messageId: string }[])[0]!.messageId;
        const d = await eventually(
          async () => {
            const m = (await request(slow.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body as Detail;
            return m.status === 'delivered' && m;
          },
          30_000,
          'the message delivered',
        );
        const attempts = d.deliveries[0]!.attempts;
        assert.deepEqual(
          attempts.map((a) => a.outcome),
          ['retry', 'retry', 'retry', 'delivered'],
        );
        assert.match(attempts[0]!.error ?? '', /no answer within 500 ms/);
        assert.match(attempts[1]!.error ?? '', /answered HTTP 408 Request Timeout: status 408 from the test sink/);
        assert.match(attempts[2]!.error ?? '', /answered HTTP 429 Too Many Requests: status 429 from the test sink/);
        assert.equal(sink.requests.get(d.eventId), 4);
        assert.equal(sink.successes.get(d.eventId), 1);
      } finally {
        await slow.stop();
      }
    });

    it('a sink that always fails ends in dead-letter after the configured attempts, and is replayed after the fix', async () => {
      sink.state.answer = () => 500;
      const ids = await ingest(100, 5);
      const dead = await settled(ids, 'dead');
      for (const d of dead) {
        assert.equal(d.deliveries[0]!.status, 'dead');
        assert.equal(d.deliveries[0]!.attempts.length, RETRY.maxAttempts);
        assert.match(d.deliveries[0]!.lastError ?? '', new RegExp(`gave up after ${RETRY.maxAttempts} attempts: .*HTTP 500`));
        assert.equal(sink.requests.get(d.eventId), RETRY.maxAttempts, `requests the sink saw for the attempts ${JSON.stringify(d.deliveries[0]!.attempts)}`);
        assert.equal(sink.successes.get(d.eventId), undefined);
      }
      // The broker holds them in the route's dead-letter queue; the message browser lists them.
      await eventually(async () => (await t.hub.broker.stats(routeQueue('to-hook'))).dead >= ids.length, 30_000, 'dead letters in the broker');
      const list = await request(t.app).get('/api/v1/messages?status=dead&limit=100').set(auth).expect(200);
      for (const id of ids)
        assert.ok(
          (list.body.items as { id: string }[]).some((x) => x.id === id),
          `${id} listed as dead`,
        );

      // The sink is fixed; one call replays them all.
      sink.state.answer = () => 204;
      const replay = await request(t.app).post('/api/v1/messages/replay').set(auth).send({ ids }).expect(200);
      const results = replay.body.results as { id: string; ok: boolean; replayed?: string[] }[];
      assert.deepEqual(
        results.map((r) => [r.id, r.ok, r.replayed]),
        ids.map((id) => [id, true, ['to-hook']]),
      );
      const delivered = await settled(ids, 'delivered');
      for (const d of delivered) {
        assert.equal(sink.successes.get(d.eventId), 1);
        assert.equal(d.deliveries[0]!.attempts.at(-1)!.outcome, 'delivered');
      }
      console.log(`      fault sink-always-fails (${backend}): ${ids.length} records dead after ${RETRY.maxAttempts} attempts each, replayed and delivered once each`);
    });
  });
}
