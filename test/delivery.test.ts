import assert from 'node:assert/strict';
import { cpSync, mkdtempSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { signPayload } from '../adapters/webhook/index.ts';
import { MappingEngine } from '../src/mapping/engine.ts';
import { auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from './helpers/hub.ts';

/** A webhook receiver whose answers the test scripts. */
async function scriptedReceiver(secret: string) {
  const state = { answers: [] as number[], bodies: [] as { event: { eventId: string }; signatureOk: boolean; idempotencyKey: string }[] };
  const server: Server = createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const ts = String(req.headers['x-hub-timestamp']);
      const signatureOk = req.headers['x-hub-signature-256'] === signPayload(secret, ts, body);
      const status = state.answers.shift() ?? 204;
      if (status < 300) state.bodies.push({ event: JSON.parse(body) as { eventId: string }, signatureOk, idempotencyKey: String(req.headers['idempotency-key']) });
      res.writeHead(status).end(status >= 400 ? `answer ${status}` : '');
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { state, url: `http://127.0.0.1:${port}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

for (const backend of backends()) {
  describe(`delivery, retry, dead letters and replay (${backend})`, () => {
    let t: TestHub;
    let rx: Awaited<ReturnType<typeof scriptedReceiver>>;
    before(async () => {
      rx = await scriptedReceiver('hook-secret');
      t = await makeHub({
        backend,
        env: { HOOK_SECRET: 'hook-secret' },
        config: baseConfig({
          sinks: [{ id: 'hook', type: 'webhook', options: { url: rx.url, secretEnv: 'HOOK_SECRET', timeoutMs: 2000 } }],
          routes: [{ id: 'to-hook', sink: 'hook', match: { entities: ['person'] }, legalBasis: 'public-task', purpose: 'test', retry: { maxAttempts: 3, initialDelayMs: 50, multiplier: 2 } }],
        }),
      });
    });
    after(async () => {
      await t?.stop();
      await rx?.close();
    });

    const send = async (n: number) => {
      const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(n)).expect(202);
      return res.body.messages[0] as { messageId: string };
    };
    const message = async (id: string) => (await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body;

    it('delivers with a valid HMAC signature and the event id as idempotency key', async () => {
      const m = await send(1);
      const { eventId } = await eventually(async () => {
        const d = await message(m.messageId);
        return d.eventId ? d : undefined;
      });
      const got = await eventually(async () => rx.state.bodies.find((b) => b.event.eventId === eventId), 10_000, 'webhook call');
      assert.equal(got.signatureOk, true);
      assert.equal(got.idempotencyKey, got.event.eventId);
    });

    it('retries a 503 with backoff, then delivers; every attempt is recorded', async () => {
      rx.state.answers.push(503, 503);
      const m = await send(2);
      const detail = await eventually(
        async () => {
          const d = await message(m.messageId);
          return d.status === 'delivered' ? d : undefined;
        },
        10_000,
        'delivery after retries',
      );
      const attempts = detail.deliveries[0].attempts;
      assert.deepEqual(
        attempts.map((a: { outcome: string }) => a.outcome),
        ['retry', 'retry', 'delivered'],
      );
      assert.match(attempts[0].error, /HTTP 503/);
    });

    it('dead-letters a 400 at once (no blind retry), and a replay after the fix delivers it', async () => {
      rx.state.answers.push(400);
      const m = await send(3);
      const dead = await eventually(
        async () => {
          const d = await message(m.messageId);
          return d.status === 'dead' ? d : undefined;
        },
        10_000,
        'dead letter',
      );
      assert.equal(dead.deliveries[0].attempts.length, 1);
      assert.match(dead.deliveries[0].lastError, /rejected: .*HTTP 400/);
      const list = await request(t.app).get('/api/v1/messages?status=dead').set(auth).expect(200);
      assert.ok(list.body.items.some((x: { id: string }) => x.id === m.messageId));
      const replay = await request(t.app).post(`/api/v1/messages/${m.messageId}/replay`).set(auth).expect(200);
      assert.deepEqual(replay.body.replayed, ['to-hook']);
      await eventually(async () => (await message(m.messageId)).status === 'delivered', 10_000, 'delivery after replay');
    });

    it('dead-letters after the last retry', async () => {
      rx.state.answers.push(500, 500, 500);
      const m = await send(4);
      const dead = await eventually(
        async () => {
          const d = await message(m.messageId);
          return d.status === 'dead' ? d : undefined;
        },
        10_000,
        'dead letter after retries',
      );
      assert.equal(dead.deliveries[0].attempts.length, 3);
      assert.match(dead.deliveries[0].lastError, /gave up after 3 attempts/);
    });

    it('refuses to replay a message that has nothing to replay', async () => {
      const m = await send(5);
      await eventually(async () => (await message(m.messageId)).status === 'delivered', 10_000, 'delivery');
      const res = await request(t.app).post(`/api/v1/messages/${m.messageId}/replay`).set(auth).expect(404);
      assert.match(res.body.detail, /only rejected messages/);
    });
  });
}

describe('replay of a rejected message after a mapping fix', () => {
  let t: TestHub;
  let dir: string;
  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-mappings-'));
    cpSync(new MappingEngine().dir, dir, { recursive: true });
    // A mapping with a bug: it drops the family name.
    writeFileSync(join(dir, 'canonical', 'person.jsonata'), '$ ~> | $ | {}, ["familyName"] |');
    t = await makeHub({ mappings: new MappingEngine(dir) });
  });
  after(async () => {
    await t?.stop();
  });

  it('is rejected by the buggy mapping, then replayed and committed once the file is fixed', async () => {
    const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(50)).expect(422);
    assert.equal(res.body.errors[0].pointer, '/familyName');
    const id = res.body.messages[0].messageId;
    writeFileSync(join(dir, 'canonical', 'person.jsonata'), '$');
    const replay = await request(t.app).post(`/api/v1/messages/${id}/replay`).set(auth).expect(200);
    // The relay may have published it before the reply was written.
    assert.ok(['committed', 'published', 'delivered'].includes(replay.body.status), replay.body.status);
    const m = await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200);
    assert.equal(m.body.canonical.familyName, 'Ozoliņa');
    assert.deepEqual(m.body.errors, []);
    await eventually(async () => (await request(t.app).get(`/api/v1/messages/${id}`).set(auth)).body.status === 'delivered', 10_000, 'delivery');
  });
});
