import assert from 'node:assert/strict';
import request from 'supertest';
import type { Rec } from '../../src/ewp/data.ts';
import type { EwpNode } from '../../src/ewp/node.ts';
import { child, childText, children, text } from '../../src/ewp/xml/parse.ts';
import { auth, backends, eventually } from '../helpers/hub.ts';
import { LU, LU_IIA, VU, VU_IIA, luIia, luRecords, seed, vuIia } from './helpers/data.ts';
import { ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';

const IIA = 'inter-institutional-agreement';
const WAIT = 20_000;

for (const backend of backends()) {
  describe(`EWP deletions between two hubs on loopback: an IIA deleted at lu.lv is gone at vu.lt (${backend})`, function () {
    this.timeout(120_000);
    let registry: TestRegistry;
    let lu: EwpTestHub;
    let vu: EwpTestHub;
    let luNode: EwpNode;
    let vuNode: EwpNode;

    const copy = async (node: EwpNode, hei: string, sourceId: string): Promise<Rec | undefined> => (await node.copies(IIA, node.settings.heis.get(hei)!)).find((r) => r.sourceId === sourceId);
    /** What a partner sees of a HEI's IIAs: the index and a get of one id, as signed calls of the other node. */
    const served = async (from: EwpNode, fromHei: string, toHei: string, iiaId: string) => {
      const index = await from.client.call({ from: fromHei, to: toHei, api: 'iias', urlElement: 'index-url' });
      const get = await from.client.call({ from: fromHei, to: toHei, api: 'iias', urlElement: 'get-url', params: [['iia_id', iiaId]] });
      return { index: children(index.root, 'iia-id').map((e) => text(e).trim()), iias: children(get.root, 'iia') };
    };

    before(async () => {
      registry = await new TestRegistry().start();
      lu = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', registryUrl: registry.url, backend });
      vu = await ewpHub({ hei: VU, name: 'Vilniaus universitetas', erasmus: 'LT VILNIUS01', registryUrl: registry.url, backend });
      luNode = lu.hub.ewp!;
      vuNode = vu.hub.ewp!;
      const manifests = [];
      for (const h of [lu, vu]) manifests.push((await rawRequest(new URL(`${h.base}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body);
      registry.build(manifests);
      const { 'inter-institutional-agreement': _iia, 'mobility-period': _m, ...reference } = luRecords;
      await seed(lu.hub, 'local', reference);
    });

    after(async () => {
      await lu?.close();
      await vu?.close();
      await registry?.close();
    });

    it('lu.lv deletes its IIA through the ingest API: announced by IIA CNR, gone from its iias/index and iias/get, vu.lt’s copy deleted through its pipeline and vu.lt’s own IIA served unmapped', async () => {
      // Both keep a copy of the other's IIA, mapped both ways.
      await seed(lu.hub, 'local', { [IIA]: [luIia()] });
      await eventually(() => copy(vuNode, VU, `iia/${LU}/${LU_IIA}`), WAIT, 'vu.lt storing lu.lv’s IIA');
      await seed(vu.hub, 'local', { [IIA]: [vuIia(LU_IIA)] });
      await eventually(() => copy(luNode, LU, `iia/${VU}/${VU_IIA}`), WAIT, 'lu.lv storing vu.lt’s IIA');
      const before = await served(vuNode, VU, LU, LU_IIA);
      assert.equal(before.iias.length, 1, 'served before the deletion');
      assert.deepEqual(before.index, [LU_IIA]);
      const vuOwnBefore = await served(luNode, LU, VU, VU_IIA);
      assert.deepEqual(
        children(vuOwnBefore.iias[0]!, 'partner').map((p) => childText(p, 'iia-id')),
        [VU_IIA, LU_IIA],
        'vu.lt’s IIA names lu.lv’s',
      );

      // lu.lv's study system deletes the IIA (a deletion through the pipeline: a message, a delete event).
      const del = await request(lu.app)
        .post(`/api/v1/ingest/local/${IIA}/delete`)
        .set(auth)
        .send({ sourceIds: [luIia().sourceId] })
        .expect(202);
      assert.equal(del.body.messages[0].status, 'committed');
      const message = await lu.hub.store.getMessage(del.body.messages[0].messageId as string);
      assert.equal((await lu.hub.store.getEvent(message!.eventId!))?.op, 'delete');

      // Gone from lu.lv's IIA endpoints at once.
      const after = await served(vuNode, VU, LU, LU_IIA);
      assert.equal(after.iias.length, 0, 'iias/get leaves the deleted IIA out');
      assert.deepEqual(after.index, [], 'iias/index leaves it out');

      // vu.lt is told (iia CNR), finds it gone, and deletes its copy through its own pipeline.
      await eventually(async () => ((await copy(vuNode, VU, `iia/${LU}/${LU_IIA}`)) ? undefined : true), WAIT, 'vu.lt deleting its copy');
      const deleted = await vuNode.reader.list(IIA, VU, { system: vuNode.settings.heis.get(VU)!.sourceSystem, sourceId: `iia/${LU}/${LU_IIA}` });
      assert.equal(deleted.length, 0, 'not listed any more');
      const trail = await request(vu.app).get(`/api/v1/messages?source=ewp-in&entity=${IIA}&limit=50`).set(auth).expect(200);
      const detail = await vu.hub.store.getMessage((trail.body.items as { id: string }[])[0]!.id);
      assert.equal(detail?.raw, JSON.stringify({ delete: { sourceId: `iia/${LU}/${LU_IIA}` } }), 'the newest message of vu.lt’s EWP source is the deletion');
      assert.equal((await vu.hub.store.getEvent(detail!.eventId!))?.op, 'delete');

      // vu.lt's own IIA no longer names lu.lv's deleted one (the XSD: the id MUST NOT be present once the partner deleted it).
      const vuOwn = await served(luNode, LU, VU, VU_IIA);
      const partners = children(vuOwn.iias[0]!, 'partner');
      assert.equal(childText(partners[0]!, 'iia-id'), VU_IIA);
      assert.equal(child(partners[1]!, 'iia-id'), undefined);
      assert.equal(childText(partners[1]!, 'hei-id'), LU);
    });
  });
}
