import assert from 'node:assert/strict';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { createBridge, type BridgeHandle } from '../../src/nodered/bridge.ts';
import { backends, canonicalPerson, deleteFlowQueues, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { catchNode, helper, httpRequestNode, hubNodes, sinkNode } from './helper.ts';

type Msg = Record<string, unknown>;

/** A local receiver (the "webhook" of a flow): records each request, answers with the next queued status. */
class Receiver {
  server: Server;
  requests: { body: unknown; headers: IncomingHttpHeaders }[] = [];
  statuses: number[] = [];
  constructor() {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c: Buffer) => (body += c.toString()));
      req.on('end', () => {
        this.requests.push({ body: body ? (JSON.parse(body) as unknown) : null, headers: req.headers });
        res.statusCode = this.statuses.shift() ?? 200;
        res.end('{}');
      });
    });
  }
  async listen(): Promise<string> {
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    return `http://127.0.0.1:${(this.server.address() as AddressInfo).port}/hook`;
  }
}

const studyRight = (n: number, student: string) => ({
  institution: 'rtu.lv',
  sourceId: `SR-${n}`,
  identifiers: [{ scheme: 'student-number', value: student }],
  person: { identifiers: [{ scheme: 'student-number', value: student }] },
  programme: { sourceId: 'RDB0' },
  matriculation: { orderNumber: `02000-2.2/${n}`, date: '2022-08-22' },
  statusPeriods: [{ status: 'active', start: '2022-09-01' }],
  funding: 'tuition',
  studyForm: 'part-time',
});

for (const backend of backends()) {
  describe(`Node-RED hub subscribe: acknowledged when the flow has finished (${backend})`, function () {
    let t: TestHub;
    let bridge: BridgeHandle;
    let receiver: Receiver;
    let url: string;
    const seen: Msg[] = [];
    const queues: string[] = [];
    before(async () => {
      t = await makeHub({ backend });
      // The dead-deliveries feed polls every 2 s and leaves the last 2 s for the next pass: 200 ms here.
      bridge = createBridge(t.hub, { deadFeed: { pollMs: 200, settleMs: 200 } });
      helper.settings({ studyHub: bridge.bridge });
      receiver = new Receiver();
      url = await receiver.listen();
    });
    beforeEach(() => {
      seen.length = 0;
      receiver.requests = [];
      receiver.statuses = [];
    });
    afterEach(async () => {
      await helper.unload();
    });
    after(async () => {
      await bridge?.stop();
      await deleteFlowQueues(t, queues).catch(() => undefined);
      await t?.stop();
      receiver?.server.close();
    });

    const subscribe = (queue: string, props: Msg, wires: string[]) => {
      queues.push(queue);
      return {
        id: 'sub',
        z: 'f1',
        type: 'hub subscribe',
        feed: 'events',
        queue,
        legalBasis: 'public-task',
        purpose: 'test flow',
        attempts: 5,
        delay: 50,
        timeout: 10,
        httpErrors: true,
        ...props,
        wires: [wires],
      };
    };
    const tab = { id: 'f1', type: 'tab', label: 'test' };
    const start = async (nodes: Msg[]) => {
      await helper.load([...hubNodes, catchNode, httpRequestNode, sinkNode(seen)], [tab, ...nodes]);
      await helper.getNode('sub')!.ready;
    };
    const ingestPerson = async (n: number, extra: Msg = {}) => {
      const [r] = await t.hub.pipeline.ingest('rtu-push', 'person', [canonicalPerson(n, extra)], 'application/json');
      assert.equal(r!.status, 'committed', JSON.stringify(r));
      return r!;
    };
    const delivery = (messageId: string, routeId: string) => t.hub.store.listDeliveries(messageId).then((ds) => ds.find((d) => d.routeId === routeId));

    it('subscribe → map → webhook: a real canonical event from the pipeline reaches the receiver as the mapped payload', async () => {
      await start([
        subscribe('register-hook', { patterns: 'person.upsert.rtu.lv' }, ['map']),
        { id: 'map', z: 'f1', type: 'hub map', mappingSet: 'viis', entity: 'person', property: 'payload.record', output: 'payload', wires: [['post']] },
        {
          id: 'post',
          z: 'f1',
          type: 'http request',
          method: 'POST',
          ret: 'txt',
          paytoqs: 'ignore',
          url,
          tls: '',
          persist: false,
          proxy: '',
          authType: '',
          senderr: false,
          headers: [],
          wires: [['end']],
        },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      const r = await ingestPerson(1001, { gender: 'female' });
      const d = await eventually(() => delivery(r.messageId, 'flow.register-hook').then((x) => x?.status === 'delivered' && x), 15_000, 'the flow delivery');
      assert.equal(d.attempts, 1);
      assert.equal(receiver.requests.length, 1);
      assert.deepEqual(receiver.requests[0]!.body, { localId: 'RTU001001', givenNames: 'Līga', familyName: 'Ozoliņa', gender: 'S' });
      const event = await t.hub.store.getEvent((await t.hub.store.getMessage(r.messageId))!.eventId!);
      assert.equal(receiver.requests[0]!.headers['idempotency-key'], event!.eventId);
      assert.equal(seen.length, 1);
      assert.equal((seen[0]!.hub as Msg).subscription, 'register-hook');
      assert.equal(seen[0]!.topic, 'person.upsert.rtu.lv');
      // The flow is one of the message's deliveries, next to the configured route.
      const m = await eventually(() => t.hub.store.getMessage(r.messageId).then((x) => x?.status === 'delivered' && x), 10_000, 'message delivered');
      assert.equal(m.status, 'delivered');
    });

    it('a 503 from the webhook is retried with backoff; the same idempotency key both times', async () => {
      await start([
        subscribe('retry-hook', { patterns: 'person.*.#' }, ['post']),
        {
          id: 'post',
          z: 'f1',
          type: 'http request',
          method: 'POST',
          ret: 'txt',
          paytoqs: 'ignore',
          url,
          tls: '',
          persist: false,
          proxy: '',
          authType: '',
          senderr: false,
          headers: [],
          wires: [['end']],
        },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      receiver.statuses = [503];
      const r = await ingestPerson(1002);
      await eventually(() => delivery(r.messageId, 'flow.retry-hook').then((x) => x?.status === 'delivered'), 15_000, 'delivered after a retry');
      const attempts = (await t.hub.store.listAttempts(r.messageId)).filter((a) => a.routeId === 'flow.retry-hook');
      assert.deepEqual(
        attempts.map((a) => a.outcome),
        ['retry', 'delivered'],
      );
      assert.match(attempts[0]!.error ?? '', /HTTP 503/);
      assert.equal(receiver.requests.length, 2);
      assert.equal(receiver.requests[0]!.headers['idempotency-key'], receiver.requests[1]!.headers['idempotency-key']);
    });

    it('a 400 is dead at once (trying again does not help); replay after the fix delivers it', async () => {
      await start([
        subscribe('reject-hook', { patterns: 'person.*.#' }, ['post']),
        {
          id: 'post',
          z: 'f1',
          type: 'http request',
          method: 'POST',
          ret: 'txt',
          paytoqs: 'ignore',
          url,
          tls: '',
          persist: false,
          proxy: '',
          authType: '',
          senderr: false,
          headers: [],
          wires: [['end']],
        },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      receiver.statuses = [400];
      const r = await ingestPerson(1003);
      const d = await eventually(() => delivery(r.messageId, 'flow.reject-hook').then((x) => x?.status === 'dead' && x), 15_000, 'dead');
      assert.equal(d.attempts, 1);
      assert.match(d.lastError ?? '', /rejected: .*HTTP 400/);
      assert.equal((await eventually(() => t.hub.store.getMessage(r.messageId).then((m) => m?.status === 'dead' && m), 10_000, 'message dead')).status, 'dead');
      // The receiver is fixed; replay sends the event to the flow's queue again.
      const { replayed } = await t.hub.replay(r.messageId);
      assert.deepEqual(replayed, ['flow.reject-hook']);
      await eventually(() => delivery(r.messageId, 'flow.reject-hook').then((x) => x?.status === 'delivered'), 15_000, 'delivered after replay');
      assert.equal(receiver.requests.length, 2);
    });

    it('done(err) retries: a study right whose person arrives later is delivered once the person is there', async () => {
      await start([
        subscribe('out-of-order', { patterns: 'study-right.upsert.#', attempts: 30, delay: 100 }, ['rec']),
        { id: 'rec', z: 'f1', type: 'hub record', entity: 'person', property: 'payload.record.person', output: 'person', wires: [['end']] },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      const [sr] = await t.hub.pipeline.ingest('rtu-push', 'study-right', [studyRight(1, 'S-1004')], 'application/json');
      assert.equal(sr!.status, 'committed', JSON.stringify(sr));
      await eventually(() => delivery(sr!.messageId, 'flow.out-of-order').then((x) => x?.status === 'retrying'), 10_000, 'a retry');
      assert.equal(seen.length, 0);
      const person = await ingestPerson(1004, { identifiers: [{ scheme: 'student-number', value: 'S-1004' }] });
      const d = await eventually(() => delivery(sr!.messageId, 'flow.out-of-order').then((x) => x?.status === 'delivered' && x), 15_000, 'delivered');
      assert.ok(d.attempts >= 2);
      assert.equal((seen[0]!.person as { id: string }).id, person.recordId);
    });

    it('an error reported with node.error(err, msg) fails the event too (http request to a closed port), dead after the last attempt', async () => {
      await start([
        subscribe('closed-port', { patterns: 'person.*.#', attempts: 2, delay: 20 }, ['post']),
        {
          id: 'post',
          z: 'f1',
          type: 'http request',
          method: 'POST',
          ret: 'txt',
          paytoqs: 'ignore',
          url: 'http://127.0.0.1:1/nothing',
          tls: '',
          persist: false,
          proxy: '',
          authType: '',
          senderr: true,
          headers: [],
          wires: [['end']],
        },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      const r = await ingestPerson(1005);
      const d = await eventually(() => delivery(r.messageId, 'flow.closed-port').then((x) => x?.status === 'dead' && x), 15_000, 'dead');
      assert.equal(d.attempts, 2);
      assert.match(d.lastError ?? '', /gave up after 2 attempts: .*ECONNREFUSED/);
    });

    it('a flow that never finishes times out and is retried (a node that does not call done)', async () => {
      await start([subscribe('never-done', { patterns: 'person.*.#', attempts: 1, timeout: 1 }, ['stuck']), { id: 'stuck', z: 'f1', type: 'helper' }]);
      const r = await ingestPerson(1006);
      const d = await eventually(() => delivery(r.messageId, 'flow.never-done').then((x) => x?.status === 'dead' && x), 15_000, 'dead after the timeout');
      assert.match(d.lastError ?? '', /did not finish within 1 s/);
    });

    it('events published while the flow is stopped wait in its durable queue', async () => {
      const nodes = [subscribe('durable', { patterns: 'person.*.#' }, ['end']), { id: 'end', z: 'f1', type: 'test sink' }];
      await start(nodes);
      await helper.unload();
      const r = await ingestPerson(1007);
      // Published while no flow runs.
      await eventually(async () => (await t.hub.store.getMessage(r.messageId))?.status !== 'committed', 10_000, 'published');
      await start(nodes);
      await eventually(() => delivery(r.messageId, 'flow.durable').then((x) => x?.status === 'delivered'), 15_000, 'delivered after the restart');
      assert.equal(seen.filter((m) => (m.hub as Msg).recordId === r.recordId).length, 1);
    });

    it('minimisation: the flow gets only the fields it asks for', async () => {
      await start([subscribe('minimal', { patterns: 'person.*.#', fields: 'familyName' }, ['end']), { id: 'end', z: 'f1', type: 'test sink' }]);
      const r = await ingestPerson(1008, { email: 'liga@example.lv', birthDate: '2001-02-03' });
      await eventually(() => delivery(r.messageId, 'flow.minimal').then((x) => x?.status === 'delivered'), 15_000, 'delivered');
      const record = (seen[0]!.payload as { record: Msg }).record;
      assert.equal(record.familyName, 'Ozoliņa');
      assert.equal(record.email, undefined);
      assert.equal(record.birthDate, undefined);
    });

    it('the dead-deliveries feed hands each dead delivery to a flow (no record data)', async () => {
      await start([
        subscribe('fails', { patterns: 'person.*.#', attempts: 1 }, ['post']),
        { id: 'post', z: 'f1', type: 'http request', method: 'POST', ret: 'txt', paytoqs: 'ignore', url, tls: '', persist: false, proxy: '', authType: '', senderr: false, headers: [], wires: [[]] },
        { id: 'watch', z: 'f1', type: 'hub subscribe', feed: 'dead', queue: 'dead-watch', routes: 'flow.fails', attempts: 3, delay: 50, timeout: 10, wires: [['end']] },
        { id: 'end', z: 'f1', type: 'test sink' },
      ]);
      await helper.getNode('watch')!.ready;
      receiver.statuses = [500];
      const r = await ingestPerson(1009);
      await eventually(async () => seen.length > 0, 15_000, 'the dead-delivery notice');
      const notice = seen[0]!.payload as Msg;
      assert.equal(notice.routeId, 'flow.fails');
      assert.equal(notice.messageId, r.messageId);
      assert.equal(notice.entity, 'person');
      assert.match(String(notice.error), /HTTP 500/);
      assert.equal(notice.record, undefined);
    });

    it('a subscription with a bad pattern or no purpose does not start, and says why', async () => {
      await helper.load([...hubNodes, sinkNode(seen)], [tab, { id: 'sub', z: 'f1', type: 'hub subscribe', feed: 'events', queue: 'bad', patterns: 'Person/*', purpose: '', wires: [[]] }]);
      await assert.rejects(helper.getNode('sub')!.ready!, /patterns\/0.*not a topic pattern.*\/purpose/);
    });
  });
}
