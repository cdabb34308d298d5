import assert from 'node:assert/strict';
import { SinkRejectedError, TransportError } from '../../src/core/errors.ts';
import type { CallOptions, CallResult } from '../../src/ewp/client/http.ts';
import type { EwpNode } from '../../src/ewp/node.ts';
import { parseXml } from '../../src/ewp/xml/parse.ts';
import { eventually } from '../helpers/hub.ts';
import { LU, VU } from './helpers/data.ts';
import { ewpHub, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';

describe('EWP change notifications: the persistent sender and the inbox', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let hub: EwpTestHub;
  let node: EwpNode;
  let calls: CallOptions[];
  let answer: (c: CallOptions) => Promise<CallResult>;
  const ok = async (): Promise<CallResult> => ({ root: parseXml('<ok/>'), status: 200, maxIds: () => 10 });

  before(async () => {
    registry = await new TestRegistry().start();
    hub = await ewpHub({ hei: LU, name: 'LU', registryUrl: registry.url });
    node = hub.hub.ewp!;
    // The partner side is replaced by a recorder: these tests are about queueing, batching and retrying.
    node.client.call = (c) => {
      calls.push(c);
      return answer(c);
    };
    node.client.limit = async () => 2;
  });

  beforeEach(() => {
    calls = [];
    answer = ok;
  });

  after(async () => {
    await hub?.close();
    await registry?.close();
  });

  it('merges repeated changes and batches ids per partner up to its max-omobility-ids; single-id APIs go one by one', async () => {
    for (const id of ['m1', 'm2', 'm1', 'm3']) await node.sender.enqueue({ api: 'omobilityCnr', from: LU, to: VU, objectId: id }, 300);
    await node.sender.enqueue({ api: 'iiaCnr', from: LU, to: VU, objectId: 'i1' }, 300);
    await node.sender.enqueue({ api: 'iiaCnr', from: LU, to: VU, objectId: 'i2' }, 300);
    assert.equal(calls.length, 0, 'nothing is sent before the batch window');
    await eventually(async () => (await node.sender.pending()).length === 0, 5000, 'the queue to drain');
    const om = calls.filter((c) => c.api === 'omobilityCnr');
    assert.deepEqual(om.map((c) => c.params!.map(([, v]) => v)).flat().sort(), ['m1', 'm2', 'm3'], 'm1 changed twice, notified once');
    assert.deepEqual(om.map((c) => c.params!.length), [2, 1], 'at most max-omobility-ids (2) per request');
    assert.deepEqual(calls.filter((c) => c.api === 'iiaCnr').map((c) => c.params), [[['iia_id', 'i1']], [['iia_id', 'i2']]]);
  });

  it('retries a CNR with backoff while the partner is down, and sends it when it is back', async () => {
    answer = async () => {
      throw new TransportError('vu.lt: connect ECONNREFUSED');
    };
    await node.sender.enqueue({ api: 'omobilityLaCnr', from: LU, to: VU, objectId: 'la1', extra: [['sending_hei_id', LU]] }, 0);
    const [row] = await eventually(async () => {
      const p = await node.sender.pending();
      return p[0]?.attempts === 1 ? p : undefined;
    }, 5000, 'a failed attempt');
    assert.match(row!.lastError!, /ECONNREFUSED/);
    answer = ok;
    // The backoff (5 s for the first retry) is not waited for: the row is made due now.
    await hub.hub.store.sql.run('UPDATE ewp_cnr_outbox SET due_at = 0');
    await eventually(async () => (await node.sender.pending()).length === 0, 5000, 'the retried CNR');
    assert.deepEqual(calls.at(-1)!.params, [['sending_hei_id', LU], ['omobility_id', 'la1']]);
  });

  it('drops a CNR the partner refuses (4xx) with a log line, without retrying', async () => {
    answer = async () => {
      throw new SinkRejectedError('vu.lt answered HTTP 400');
    };
    await node.sender.enqueue({ api: 'imobilityTorCnr', from: LU, to: VU, objectId: 't1' }, 0);
    await eventually(async () => calls.length === 1 && (await node.sender.pending()).length === 0, 5000, 'the refused CNR dropped');
    const metric = await hub.hub.metrics.registry.getSingleMetricAsString('hub_ewp_cnr_sent_total');
    assert.match(metric, /api="imobilityTorCnr",outcome="rejected"} 1/);
  });

  it('inbox: a received CNR is re-fetched in the background, retried on a transport fault, dropped on a 4xx', async () => {
    answer = async () => {
      throw new TransportError('vu.lt: timeout');
    };
    await node.inbox.enqueue(LU, VU, 'iia', 'vu-1');
    const [row] = await eventually(async () => {
      const p = await node.inbox.pending();
      return p[0]?.attempts === 1 ? p : undefined;
    }, 5000, 'a failed re-fetch');
    assert.match(row!.lastError!, /timeout/);
    assert.equal(calls[0]!.api, 'iias');
    assert.deepEqual(calls[0]!.params, [['iia_id', 'vu-1']]);
    answer = async () => {
      throw new SinkRejectedError('vu.lt answered HTTP 403');
    };
    await hub.hub.store.sql.run('UPDATE ewp_cnr_inbox SET next_at = 0');
    node.inbox.wake();
    await eventually(async () => (await node.inbox.pending()).length === 0, 5000, 'the re-fetch given up');
  });
});
