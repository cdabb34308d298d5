import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import { adapters } from '../../adapters/index.ts';
import type { AdapterRegistry, SinkType } from '../../src/core/adapter.ts';
import { SinkError, SinkRejectedError } from '../../src/core/errors.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { FlowSubscriptions } from '../../src/nodered/subscriptions.ts';
import { auth, backends, baseConfig, canonicalPerson, deleteFlowQueues, eventually, makeHub, type TestHub } from '../helpers/hub.ts';

/**
 * One delivery engine (src/routing/delivery-engine.ts) for every kind of subscriber: a route of the
 * config, a Node-RED flow subscription, an API webhook subscription. The same four behaviours are
 * checked on each, through each kind's own receiver and its own record of the attempts:
 * delivered once; a retryable failure retried with backoff, then delivered; a refusal dead at once
 * ("rejected: …"); a receiver that stays down dead after the last attempt ("gave up after N attempts");
 * the disclosure of each delivered event logged once (with its outcome: test/delivery/outcome-disclosure.test.ts).
 */

/** How the receiver answers an event, by the record's source id. */
type Behaviour = 'ok' | 'flaky' | 'reject' | 'down';
const BEHAVIOURS: Record<string, Behaviour> = { RTU000701: 'ok', RTU000702: 'flaky', RTU000703: 'reject', RTU000704: 'down' };
const MAX_ATTEMPTS = 3;

/** One answer per call: flaky fails its first two calls (retryably), then takes the event. */
class Script {
  private readonly calls = new Map<string, number>();
  answer(e: ChangeEvent): 'ok' | 'retry' | 'reject' {
    const b = BEHAVIOURS[String(e.record?.sourceId)] ?? 'ok';
    const n = (this.calls.get(e.eventId) ?? 0) + 1;
    this.calls.set(e.eventId, n);
    if (b === 'ok' || (b === 'flaky' && n > 2)) return 'ok';
    return b === 'reject' ? 'reject' : 'retry';
  }
  count(eventId: string): number {
    return this.calls.get(eventId) ?? 0;
  }
}

/** Where a kind's final state of one delivery is read: status, attempts made, the last error. */
interface Final {
  status: string;
  attempts: number;
  error: string | null;
}

interface Kind {
  name: string;
  start(script: Script, backend: 'embedded' | 'real'): Promise<TestHub>;
  final(t: TestHub, e: { eventId: string; messageId: string }): Promise<Final | undefined>;
  /** The route under which the kind's disclosures are logged. */
  channel(): string;
  /** Stops what the kind started beside the hub, and removes what the hub's own cleanup does not know. */
  stop(t: TestHub | undefined): Promise<void>;
}

const retry = { maxAttempts: MAX_ATTEMPTS, initialDelayMs: 10, multiplier: 2, maxDelayMs: 50 };
const config = (extra: object = {}) => baseConfig({ sinks: [], routes: [], ...extra });

/** A route's final state from the message view (GET /api/v1/messages/{id}). */
async function routeFinal(t: TestHub, messageId: string, routeId: string): Promise<Final | undefined> {
  const m = (await request(t.app).get(`/api/v1/messages/${messageId}`).set(auth).expect(200)).body as {
    deliveries: { routeId: string; status: string; attempts: { attempt: number; error: string | null }[] }[];
  };
  const d = m.deliveries.find((x) => x.routeId === routeId);
  if (!d || !d.attempts.length) return undefined;
  const last = d.attempts[d.attempts.length - 1]!;
  return { status: d.status, attempts: d.attempts.length, error: last.error };
}

function routeKind(): Kind {
  return {
    name: 'config route',
    async start(script, backend) {
      const scripted: SinkType = {
        type: 'scripted',
        description: 'test sink: answers as the script says',
        optionsSchema: { type: 'object' },
        create: () => ({
          deliver: async (e) => {
            const a = script.answer(e);
            if (a === 'retry') throw new SinkError('the receiver is down (test)');
            if (a === 'reject') throw new SinkRejectedError('the receiver refuses it (test)');
            return { detail: 'taken' };
          },
        }),
      };
      const registry: AdapterRegistry = { sinks: [...adapters.sinks, scripted], sources: adapters.sources };
      return makeHub({
        backend,
        adapters: registry,
        config: config({ sinks: [{ id: 'scripted', type: 'scripted' }], routes: [{ id: 'r', sink: 'scripted', match: { entities: ['person'] }, legalBasis: 'public-task', purpose: 'test', retry }] }),
      });
    },
    final: (t, e) => routeFinal(t, e.messageId, 'r'),
    channel: () => 'r',
    stop: async () => undefined,
  };
}

function flowKind(): Kind {
  let subs: FlowSubscriptions | undefined;
  return {
    name: 'flow subscription',
    async start(script, backend) {
      const t = await makeHub({ backend, config: config() });
      subs = new FlowSubscriptions(t.hub.store, t.hub.broker, t.hub.metrics, t.hub.logger, t.hub.privacy);
      await subs.subscribe({ name: 'conformance', patterns: ['person.#'], maxAttempts: MAX_ATTEMPTS, initialDelayMs: 10, concurrency: 4, legalBasis: 'public-task', purpose: 'test' }, async (e) => {
        const a = script.answer(e);
        if (a === 'retry') throw new Error('the flow failed (test)');
        if (a === 'reject') throw Object.assign(new Error('the flow refuses it (test)'), { retryable: false });
      });
      return t;
    },
    final: (t, e) => routeFinal(t, e.messageId, 'flow.conformance'),
    channel: () => 'flow.conformance',
    stop: async (t) => {
      await subs?.stop();
      // The flow's queues on RabbitMQ: makeHub's cleanup removes only the config's route queues.
      if (t) await deleteFlowQueues(t, ['conformance']);
    },
  };
}

function webhookKind(): Kind {
  let server: http.Server | undefined;
  let subscription = '';
  return {
    name: 'webhook subscription',
    async start(script, backend) {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          const a = script.answer(JSON.parse(body) as ChangeEvent);
          res.writeHead(a === 'ok' ? 200 : a === 'retry' ? 503 : 422).end();
        });
      });
      await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
      const t = await makeHub({ backend, config: config({ webhooks: { allowTargets: ['127.0.0.1'] } }) });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      subscription = (
        await request(t.app)
          .post('/api/v1/webhooks')
          .set(auth)
          .send({ url, entities: ['person'], retry: { maxAttempts: MAX_ATTEMPTS, initialDelayMs: 10, maxDelayMs: 50 } })
          .expect(201)
      ).body.id;
      return t;
    },
    async final(t, e) {
      const items = (await request(t.app).get(`/api/v1/webhooks/${subscription}/deliveries`).set(auth).expect(200)).body.items as {
        eventId: string;
        status: string;
        attempts: number;
        lastError: string | null;
      }[];
      const d = items.find((x) => x.eventId === e.eventId);
      return d && d.attempts > 0 ? { status: d.status, attempts: d.attempts, error: d.lastError } : undefined;
    },
    channel: () => `webhook:${subscription}`,
    stop: async () => {
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    },
  };
}

for (const backend of backends()) {
  for (const make of [routeKind, flowKind, webhookKind]) {
    const kind = make();
    describe(`delivery engine conformance: ${kind.name} (${backend})`, function () {
      this.timeout(30_000);
      let t: TestHub;
      const script = new Script();
      const events = new Map<string, { eventId: string; messageId: string }>();
      const settled = (sourceId: string, status: string) =>
        eventually(
          async () => {
            const f = await kind.final(t, events.get(sourceId)!);
            return f && f.status === status ? f : undefined;
          },
          15_000,
          `${sourceId} ${status}`,
        );

      before(async () => {
        t = await kind.start(script, backend);
        for (const sourceId of Object.keys(BEHAVIOURS)) {
          const n = Number(sourceId.slice(3));
          const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(n)).expect(202);
          const messageId = String(res.body.messages[0].messageId);
          const change = await eventually(async () => {
            const rows = await t.hub.store.sql.query<{ event: unknown }>('SELECT event FROM changes ORDER BY seq DESC LIMIT 10');
            return rows.map((r) => (typeof r.event === 'string' ? JSON.parse(r.event) : r.event) as ChangeEvent).find((e) => e.record?.sourceId === sourceId);
          });
          events.set(sourceId, { eventId: change.eventId, messageId });
        }
      });
      after(async () => {
        await kind.stop(t);
        await t?.stop();
      });

      it('delivers an event once', async () => {
        const f = await settled('RTU000701', 'delivered');
        assert.equal(f.attempts, 1);
        assert.equal(script.count(events.get('RTU000701')!.eventId), 1);
      });

      it('retries a retryable failure with backoff, then delivers', async () => {
        const f = await settled('RTU000702', 'delivered');
        assert.equal(f.attempts, 3);
        assert.equal(script.count(events.get('RTU000702')!.eventId), 3);
      });

      it('dead-letters a refusal at once, saying it was rejected', async () => {
        const f = await settled('RTU000703', 'dead');
        assert.equal(f.attempts, 1);
        assert.match(f.error ?? '', /^rejected: /);
      });

      it('dead-letters after the last attempt, saying it gave up', async () => {
        const f = await settled('RTU000704', 'dead');
        assert.equal(f.attempts, MAX_ATTEMPTS);
        assert.match(f.error ?? '', new RegExp(`^gave up after ${MAX_ATTEMPTS} attempts: `));
        assert.equal(script.count(events.get('RTU000704')!.eventId), MAX_ATTEMPTS);
      });

      it('logs the disclosure of each delivered event once, written with its outcome; none of an event not delivered', async () => {
        for (const [sourceId, status] of [
          ['RTU000701', 'delivered'],
          ['RTU000702', 'delivered'],
          ['RTU000703', 'dead'],
          ['RTU000704', 'dead'],
        ] as const)
          await settled(sourceId, status);
        const rows = await t.hub.store.sql.query<{ event_id: string }>("SELECT event_id FROM privacy_disclosure_log WHERE kind = 'disclosure' AND route_id = ?", [kind.channel()]);
        const logged = (sourceId: string) => rows.filter((r) => r.event_id === events.get(sourceId)!.eventId).length;
        assert.deepEqual(
          Object.keys(BEHAVIOURS).map((id) => [id, logged(id)]),
          [
            ['RTU000701', 1],
            ['RTU000702', 1],
            ['RTU000703', 0],
            ['RTU000704', 0],
          ],
        );
        assert.deepEqual((await t.hub.privacy.log.verify()).problems, []);
      });
    });
  }
}
