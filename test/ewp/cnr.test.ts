import assert from 'node:assert/strict';
import pino from 'pino';
import { EwpClient } from '../../src/ewp/client/http.ts';
import type { EwpNode } from '../../src/ewp/node.ts';
import { eventually } from '../helpers/hub.ts';
import { LU, VU } from './helpers/data.ts';
import { ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { PartnerFront } from './helpers/partner-front.ts';

/** How long the client waits for an answer in these tests (30 s in the hub). */
const CLIENT_TIMEOUT_MS = 1000;

/**
 * The persistent CNR sender and the inbox against a real partner over loopback: vu.lt is a second
 * hub, reached through its public address (a front that can refuse connections, hang, answer an
 * error status, or tamper with the signed answer). lu.lv is the hub under test.
 */
describe('EWP change notifications: the persistent sender and the inbox, against a partner on loopback', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let lu: EwpTestHub;
  let vu: EwpTestHub;
  let front: PartnerFront;
  let node: EwpNode;

  const cnrs = (api: string) => front.requests.filter((r) => r.path.endsWith(`/${api}`));
  /** An error answer of the partner's own server: signed with its server key. */
  const partnerAnswers = (status: number) => ({ kind: 'status' as const, status, signedWith: vu.hub.ewp!.serverKey });
  const sent = async () => (await node.sender.pending()).length === 0;
  const metric = async () => node.deps.metrics.getSingleMetricAsString('hub_ewp_cnr_sent_total');

  before(async () => {
    registry = await new TestRegistry().start();
    front = await new PartnerFront().start();
    lu = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', registryUrl: registry.url });
    vu = await ewpHub({ hei: VU, name: 'Vilniaus universitetas', registryUrl: registry.url, publicBase: `${front.url}/ewp/${VU}` });
    front.target = vu.url;
    node = lu.hub.ewp!;
    const luManifest = (await rawRequest(new URL(`${lu.base}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
    // vu.lt declares that it takes at most 2 mobility ids per CNR.
    const vuManifest = (await rawRequest(new URL(`${vu.url}/ewp/${VU}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body.replace(
      /<max-omobility-ids>\d+<\/max-omobility-ids>/g,
      '<max-omobility-ids>2</max-omobility-ids>',
    );
    assert.match(vuManifest, new RegExp(`${front.url}/ewp/${VU}/omobility-cnr`));
    registry.build([luManifest, vuManifest]);
    // The hub's own client, with a shorter wait for an answer than its 30 s.
    (node as { client: EwpClient }).client = new EwpClient({
      registry: node.registry,
      keyOf: (h) => node.clientKey(h),
      skewMs: node.settings.clockSkewMs,
      logger: pino({ level: 'silent' }),
      timeoutMs: CLIENT_TIMEOUT_MS,
    });
    // The sender looks for due CNRs every second; every 100 ms here (the tests make retries due at once).
    await node.sender.stop();
    node.sender.start(100);
  });

  beforeEach(async () => {
    if (!front.listening) await front.start();
    front.mode = { kind: 'forward' };
    front.requests.splice(0);
  });

  after(async () => {
    await lu?.close();
    await vu?.close();
    await front?.stop();
    await registry?.close();
  });

  /** Waits for the next failed attempt of the only queued CNR, then makes it due again (its back-off is 5 s and more). */
  let seen = 0;
  async function nextFailure(): Promise<string> {
    const [row] = await eventually(
      async () => {
        const p = await node.sender.pending();
        return p[0] && p[0].attempts > seen ? p : undefined;
      },
      10_000,
      `failed attempt ${seen + 1}`,
    );
    seen = row!.attempts;
    await lu.hub.store.sql.run('UPDATE ewp_cnr_outbox SET due_at = 0');
    return row!.lastError!;
  }

  it('merges repeated changes and batches ids per partner up to its max-omobility-ids; single-id APIs go one by one', async () => {
    const first = Date.now();
    for (const id of ['m1', 'm2', 'm1', 'm3']) await node.sender.enqueue({ api: 'omobilityCnr', from: LU, to: VU, objectId: id }, 300);
    await node.sender.enqueue({ api: 'iiaCnr', from: LU, to: VU, objectId: 'i1' }, 300);
    await node.sender.enqueue({ api: 'iiaCnr', from: LU, to: VU, objectId: 'i2' }, 300);
    await eventually(sent, 10_000, 'the queue to drain');
    assert.deepEqual(
      front.requests.filter((r) => r.at < first + 300),
      [],
      'nothing is sent before the batch window of the first change',
    );
    const om = cnrs('omobility-cnr');
    const ids = om.map((r) => r.params.filter(([k]) => k === 'omobility_id').map(([, v]) => v));
    assert.deepEqual(ids.flat().sort(), ['m1', 'm2', 'm3'], 'm1 changed twice, notified once');
    assert.deepEqual(ids.map((x) => x.length).sort(), [1, 2], 'at most max-omobility-ids (2) per request');
    assert.deepEqual(
      cnrs('iia-cnr')
        .map((r) => r.params.filter(([k]) => k !== 'notifier_hei_id'))
        .sort(),
      [[['iia_id', 'i1']], [['iia_id', 'i2']]],
    );
    assert.match(await metric(), /api="omobilityCnr",outcome="sent"} 3/);
  });

  it('retries a CNR while the partner refuses connections, hangs or answers 500, or its signed answer is tampered with; sends it when the partner is well', async () => {
    seen = 0;
    await front.stop();
    await node.sender.enqueue({ api: 'omobilityLaCnr', from: LU, to: VU, objectId: 'la1', extra: [['sending_hei_id', LU]] }, 0);
    // A kept-alive connection the partner closed may fail the first attempt as a hang-up; the next finds the port closed.
    let refused = await nextFailure();
    if (/socket hang up/.test(refused)) refused = await nextFailure();
    assert.match(refused, /ECONNREFUSED/);
    await front.start();
    front.mode = { kind: 'hang' };
    assert.match(await nextFailure(), new RegExp(`no answer within ${CLIENT_TIMEOUT_MS} ms`));
    front.mode = partnerAnswers(500);
    assert.match(await nextFailure(), /answered HTTP 500: the partner answers 500 \(test\)/);
    front.mode = { kind: 'tamper-signature' };
    assert.match(await nextFailure(), /the response signature does not verify/);
    front.mode = { kind: 'tamper-body' };
    assert.match(await nextFailure(), /the response Digest does not match its body/);
    // Visible while it fails: the dashboard's list of failing partners and the failure counter.
    const failing = await node.failingPartners();
    assert.deepEqual(
      failing.map((f) => [f.partner, f.direction, f.waiting]),
      [[VU, 'send', 1]],
    );
    assert.match(failing[0]!.lastError, /Digest/);
    assert.match(
      await node.deps.metrics.getSingleMetricAsString('hub_ewp_partner_failures_total'),
      new RegExp(`hub_ewp_partner_failures_total\\{partner="${VU.replace('.', '\\.')}",direction="send",code="[A-Z_]+"\\} [1-9]`),
    );
    front.mode = { kind: 'forward' };
    await eventually(sent, 10_000, 'the CNR sent once the partner is well');
    assert.deepEqual(await node.failingPartners(), [], 'nothing fails once the partner is well');
    const attempts = cnrs('omobility-la-cnr');
    assert.deepEqual(
      attempts.map((r) => r.mode),
      ['hang', 'status', 'tamper-signature', 'tamper-body', 'forward'],
      'the refused attempt never reached the partner',
    );
    assert.deepEqual(attempts.at(-1)!.params, [
      ['sending_hei_id', LU],
      ['omobility_id', 'la1'],
    ]);
  });

  it('drops a CNR the partner refuses (4xx) with a log line, without retrying; an unsigned refusal is not trusted', async () => {
    // A 400 without the partner's signature may come from anyone in between: tried again later.
    seen = 0;
    front.mode = { kind: 'status', status: 400 };
    await node.sender.enqueue({ api: 'imobilityTorCnr', from: LU, to: VU, objectId: 't1' }, 0);
    assert.match(await nextFailure(), /the response is not signed/);
    front.mode = partnerAnswers(400);
    await eventually(async () => cnrs('imobility-tor-cnr').length === 2 && (await sent()), 10_000, 'the refused CNR dropped');
    assert.match(await metric(), /api="imobilityTorCnr",outcome="rejected"} 1/);
    assert.equal(cnrs('imobility-tor-cnr').length, 2);
  });

  it('inbox: a received CNR is re-fetched in the background, retried on a transport fault, dropped on a 4xx', async () => {
    front.mode = partnerAnswers(503);
    await node.inbox.enqueue(LU, VU, 'iia', 'vu-1');
    const [row] = await eventually(
      async () => {
        const p = await node.inbox.pending();
        return p[0]?.attempts === 1 ? p : undefined;
      },
      10_000,
      'a failed re-fetch',
    );
    assert.match(row!.lastError!, /answered HTTP 503/);
    const [get] = front.requests;
    assert.match(get!.path, new RegExp(`/ewp/${VU}/iias`));
    assert.deepEqual(
      get!.params.filter(([k]) => k === 'iia_id'),
      [['iia_id', 'vu-1']],
    );
    front.mode = partnerAnswers(403);
    await lu.hub.store.sql.run('UPDATE ewp_cnr_inbox SET next_at = 0');
    node.inbox.wake();
    await eventually(async () => (await node.inbox.pending()).length === 0, 10_000, 'the re-fetch given up');
    assert.equal(front.requests.length, 2);
  });
});
