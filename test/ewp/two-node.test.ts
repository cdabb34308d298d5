import assert from 'node:assert/strict';
import request from 'supertest';
import { TransportError } from '../../src/core/errors.ts';
import { approvalState } from '../../src/ewp/apis/iias.ts';
import { iiaElement } from '../../src/ewp/apis/iia-xml.ts';
import type { Rec } from '../../src/ewp/data.ts';
import type { EwpNode } from '../../src/ewp/node.ts';
import { ADMIN_TOKEN, auth, backends, eventually } from '../helpers/hub.ts';
import { LU, LU_IIA, OMOBILITY, VU, VU_IIA, laDraft, luIia, luRecords, seed, vuIia, vuIncoming } from './helpers/data.ts';
import { ewpCall, ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { generateEwpKey } from '../../src/ewp/security/keys.ts';
import { NS } from '../../src/ewp/xml/ns.ts';
import { attr, childText, children, descendants, text } from '../../src/ewp/xml/parse.ts';
import { assertValid, XSD } from './helpers/xsd.ts';
import { SinkRejectedError } from '../../src/core/errors.ts';

const IIA = 'inter-institutional-agreement';
const WAIT = 20_000;
/** A third HEI with a client key only: the File API must not hand it a transcript of lu.lv's student. */
const OTHER = 'other.example';

for (const backend of backends()) {
  describe(`EWP between two hubs on loopback: lu.lv and vu.lt (${backend})`, function () {
    this.timeout(120_000);
    let registry: TestRegistry;
    let lu: EwpTestHub;
    let vu: EwpTestHub;
    let luNode: EwpNode;
    let vuNode: EwpNode;
    const otherKey = generateEwpKey();

    const luHei = () => luNode.settings.heis.get(LU)!;
    const vuHei = () => vuNode.settings.heis.get(VU)!;
    const copy = async (node: EwpNode, hei: string, entity: string, sourceId: string): Promise<Rec | undefined> =>
      (await node.copies(entity, node.settings.heis.get(hei)!)).find((r) => r.sourceId === sourceId);

    before(async () => {
      registry = await new TestRegistry().start();
      lu = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', registryUrl: registry.url, backend });
      vu = await ewpHub({ hei: VU, name: 'Vilniaus universitetas', erasmus: 'LT VILNIUS01', registryUrl: registry.url, backend });
      luNode = lu.hub.ewp!;
      vuNode = vu.hub.ewp!;
      const manifests = [];
      for (const h of [lu, vu]) manifests.push((await rawRequest(new URL(`${h.base}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body);
      // The local registry names both hosts, as the real one does after reading their manifests.
      registry.build(manifests, [{ heis: [OTHER], clientKeys: [otherKey] }]);
      const { 'inter-institutional-agreement': _iia, 'mobility-period': _m, ...reference } = luRecords;
      await seed(lu.hub, 'local', reference);
    });

    after(async () => {
      await lu?.close();
      await vu?.close();
      await registry?.close();
    });

    it('an IIA created at lu.lv is announced by CNR, fetched by vu.lt, mapped both ways and approved by vu.lt (v7 hash)', async () => {
      // 1. lu.lv's study system sends its new IIA; the ewp-cnr route announces it to vu.lt.
      await seed(lu.hub, 'local', { [IIA]: [luIia()] });
      const vuCopy = await eventually(() => copy(vuNode, VU, IIA, `iia/${LU}/${LU_IIA}`), WAIT, 'vu.lt storing lu.lv’s IIA');
      assert.equal(vuCopy.data.iiaId, LU_IIA);
      assert.equal((vuCopy.data.partners as { heiId: string }[])[0]!.heiId, LU, 'the owner comes first');

      // 2. vu.lt keeps its own copy, mapped to lu.lv's id; lu.lv fetches it after the CNR.
      await seed(vu.hub, 'local', { [IIA]: [vuIia(LU_IIA)] });
      await eventually(() => copy(luNode, LU, IIA, `iia/${VU}/${VU_IIA}`), WAIT, 'lu.lv storing vu.lt’s IIA');

      // 3. lu.lv maps its IIA to vu.lt's id; vu.lt re-fetches.
      await seed(lu.hub, 'local', { [IIA]: [luIia({}, VU_IIA)] });
      await eventually(
        async () => {
          const c = await copy(vuNode, VU, IIA, `iia/${LU}/${LU_IIA}`);
          return (c?.data.partners as { iiaId?: string }[] | undefined)?.[1]?.iiaId === VU_IIA;
        },
        WAIT,
        'vu.lt’s copy mapped',
      );

      // 4. vu.lt's system approves the agreement: the hub checks lu.lv's hash, records the approval, sends the approval CNR.
      await seed(vu.hub, 'local', { [IIA]: [vuIia(LU_IIA, { approvals: [{ heiId: VU, approvedAt: '2025-03-10T10:00:00+02:00' }] })] });
      const luOwn = (await luNode.own(IIA, luHei(), ['iiaId', LU_IIA]))[0]!;
      const luHash = iiaElement(LU, luOwn.data)!.hash;
      const approved = await eventually(
        async () => {
          const c = await copy(vuNode, VU, IIA, `iia/${LU}/${LU_IIA}`);
          return (c?.data.approvals as { heiId: string; iiaHash: string }[] | undefined)?.find((a) => a.heiId === VU);
        },
        WAIT,
        'vu.lt recording its approval',
      );
      assert.equal(approved.iiaHash, luHash, 'vu.lt approved the hash of lu.lv’s current IIA');

      // 5. lu.lv learns the approval through the Approval API after the approval CNR, and checks the hash.
      const learned = await eventually(
        async () => {
          const c = await copy(luNode, LU, IIA, `iia/${VU}/${VU_IIA}`);
          return (c?.data.approvals as { heiId: string; iiaHash: string }[] | undefined)?.find((a) => a.heiId === VU);
        },
        WAIT,
        'lu.lv recording vu.lt’s approval',
      );
      assert.equal(learned.iiaHash, luHash);
      assert.deepEqual(await approvalState(luNode, luHei(), luOwn), { local: false, partner: true });
    });

    it('a nomination sent by lu.lv before any learning agreement is kept at vu.lt as an incoming mobility with its status', async () => {
      const [base] = luRecords['mobility-period'] as Record<string, unknown>[];
      const id = 'om-nomination-only';
      await seed(lu.hub, 'local', { 'mobility-period': [{ ...base, sourceId: 'MOB-NOM', omobilityId: id, identifiers: [{ scheme: 'omobility-id', value: id }] }] });
      const incoming = await eventually(() => copy(vuNode, VU, 'mobility-period', `omobility/${LU}/${id}`), WAIT, 'vu.lt storing the nomination');
      assert.equal(incoming.data.status, 'nominated');
      assert.equal(incoming.data.sendingInstitution, LU);
      assert.equal(incoming.data.receivingInstitution, VU);
      assert.equal(incoming.data.receivingAcademicYear, '2025/2026');
      assert.equal(incoming.data.activityAttributes, 'long-term');
      assert.equal(incoming.data.start, undefined, 'a nomination names no dates; the LA brings them');
      const student = await eventually(() => vuNode.reader.resolve(incoming, 'person', incoming.data.person), WAIT, 'the nominated student');
      assert.equal(student.data.familyName, 'Bērziņš');

      // vu.lt's admin decides through the API; lu.lv sees the decision on its nomination.
      const api = `/api/v1/ewp/${VU}/incoming-mobilities`;
      const listed = await request(vu.app).get(api).set(auth).expect(200);
      assert.ok(listed.body.items.some((m: { omobilityId: string; status: string }) => m.omobilityId === id && m.status === 'nominated'));
      const noComment = await request(vu.app).post(`${api}/${id}/reject`).set(auth).send({}).expect(400);
      assert.equal(noComment.body.errors[0].pointer, '/comment');
      await request(vu.app).post(`${api}/unknown-om/approve`).set(auth).send({}).expect(404);
      const approved = await request(vu.app).post(`${api}/${id}/approve`).set(auth).send({ comment: 'Welcome to Vilnius.' }).expect(200);
      assert.equal(approved.body.status, 'approved', 'the status lu.lv now shows');
      const atLu = await eventually(async () => {
        const r = await request(lu.app).get(`/api/v1/ewp/${LU}/incoming-mobilities`).set(auth).expect(200);
        return r.body.items as unknown[];
      });
      assert.deepEqual(atLu, [], 'lu.lv sends it: nothing incoming there');
      const decision = await eventually(() => copy(luNode, LU, 'mobility-period', `omobility-decision/${id}`), WAIT, 'lu.lv storing vu.lt’s approval');
      assert.equal(decision.data.status, 'approved');
    });

    it('a nomination is rejected from vu.lt’s admin console, with the reason, and lu.lv records the rejection', async () => {
      const [base] = luRecords['mobility-period'] as Record<string, unknown>[];
      const id = 'om-console';
      await seed(lu.hub, 'local', { 'mobility-period': [{ ...base, sourceId: 'MOB-CONSOLE', omobilityId: id, identifiers: [{ scheme: 'omobility-id', value: id }] }] });
      await eventually(() => copy(vuNode, VU, 'mobility-period', `omobility/${LU}/${id}`), WAIT, 'vu.lt storing the nomination');
      const agent = request.agent(vu.app);
      const hidden = (text: string) => /name="_csrf" value="([^"]*)"/.exec(text)![1]!;
      const form = await agent.get('/admin/login').expect(200);
      await agent
        .post('/admin/login')
        .type('form')
        .send({ token: ADMIN_TOKEN, _csrf: hidden(form.text), next: '/admin/' })
        .expect(303);
      const listPage = await agent.get('/admin/ewp/nominations').expect(200);
      assert.match(listPage.text, new RegExp(`<th scope="row">${id}</th>`));
      const csrf = hidden(listPage.text);
      const noReason = await agent.post(`/admin/ewp/nominations/${VU}/${id}/reject`).type('form').send({ _csrf: csrf, comment: '' }).expect(400);
      assert.match(noReason.text, /Not sent: a rejection needs a comment/);
      const done = await agent.post(`/admin/ewp/nominations/${VU}/${id}/reject`).type('form').send({ _csrf: csrf, comment: 'No places left in the programme.' }).expect(200);
      assert.match(done.text, new RegExp(`Mobility ${id}: rejected; ${LU.replace('.', '\\.')} now shows it as rejected`));
      const decision = await eventually(() => copy(luNode, LU, 'mobility-period', `omobility-decision/${id}`), WAIT, 'lu.lv storing the rejection');
      assert.equal(decision.data.status, 'rejected');
    });

    it('a learning agreement proposed at lu.lv reaches vu.lt, is approved there and the approval comes back', async () => {
      await seed(lu.hub, 'local', { 'mobility-period': luRecords['mobility-period'], 'learning-agreement': [laDraft()] });
      const proposal = await eventually(() => copy(vuNode, VU, 'learning-agreement', `la/${LU}/${OMOBILITY}/proposal/${OMOBILITY}-v1`), WAIT, 'vu.lt storing the LA proposal');
      assert.equal(proposal.data.status, 'draft');
      const mobility = await eventually(() => copy(vuNode, VU, 'mobility-period', `omobility/${LU}/${OMOBILITY}`), WAIT, 'vu.lt storing the mobility');
      assert.equal(mobility.data.start, '2025-09-01');
      assert.equal(mobility.data.activityAttributes, 'long-term', 'the nomination came from Outgoing Mobilities 3');

      // vu.lt's system signs the proposal: an approved LA record of its own.
      await seed(vu.hub, 'local', {
        'learning-agreement': [
          {
            ...laDraft(`${OMOBILITY}-v1`),
            sourceId: 'VU-LA-1',
            mobility: { identifiers: [{ scheme: 'omobility-id', value: OMOBILITY }], institution: LU },
            status: 'approved',
            signatures: { ...laDraft().signatures, receiving: { name: 'Rūta Petrauskienė', position: 'Erasmus coordinator', email: 'erasmus@vu.lt', timestamp: '2025-06-04T12:00:00+03:00' } },
          },
        ],
      });
      const decision = await eventually(() => copy(luNode, LU, 'learning-agreement', `la-decision/${OMOBILITY}/${OMOBILITY}-v1`), WAIT, 'lu.lv storing vu.lt’s approval');
      assert.equal(decision.data.status, 'approved');
      assert.equal((decision.data.signatures as { receiving: { name: string } }).receiving.name, 'Rūta Petrauskienė');
      const first = await eventually(() => copy(vuNode, VU, 'learning-agreement', `la/${LU}/${OMOBILITY}/first-version`), WAIT, 'vu.lt seeing the signed first version');
      assert.equal(first.data.status, 'approved');
    });

    it('a ToR of the incoming student at vu.lt is announced, fetched by lu.lv and stored as results of the mobility', async () => {
      await seed(vu.hub, 'local', vuIncoming());
      const results = await eventually(
        async () => {
          const all = await luNode.copies('attainment', luHei());
          return all.length >= 2 ? all : undefined;
        },
        WAIT,
        'lu.lv storing the ToR results',
      );
      const b = results.find((r) => (r.data.grade as { value: string }).value === 'B')!;
      assert.equal(b.data.type, 'recognised');
      assert.deepEqual(b.data.grade, { value: 'B', scheme: 'ECTS_AF' });
      assert.deepEqual(b.data.credits, { value: 5, scheme: 'ECTS' });
      const recognised = b.data.recognised as { fromInstitution: string; mobility: { id: string } };
      assert.equal(recognised.fromInstitution, VU);
      const mobility = (await luNode.own('mobility-period', luHei(), ['omobilityId', OMOBILITY]))[0]!;
      assert.equal(recognised.mobility.id, mobility.id);

      // vu.lt's disclosure log holds what it served: the student's subject access lists it.
      const student = (await vuNode.own('person', vuHei())).find((p) => p.sourceId === 'VU-S-1')!;
      const res = await request(vu.app).get(`/api/v1/persons/${student.id}/disclosures`).set(auth).expect(200);
      type D = { recipient: string; route: string; entity: string; recordId: string; legalBasis: string; purpose: string; fields: string[] };
      const served = (res.body.disclosures as D[]).filter((d) => d.route === 'ewp:imobility-tors/get');
      const attainments = (await vuNode.own('attainment', vuHei())).map((a) => a.id).sort();
      assert.deepEqual(
        served
          .filter((d) => d.entity === 'attainment')
          .map((d) => d.recordId)
          .sort(),
        attainments,
        'each result served in the ToR',
      );
      assert.ok(
        served.some((d) => d.entity === 'person' && d.recordId === student.id),
        'the student named in the ToR',
      );
      for (const d of served) {
        assert.equal(d.recipient, LU, 'the partner HEI that fetched the ToR');
        assert.equal(d.legalBasis, 'contract');
        assert.match(d.purpose, /Erasmus\+ mobility/);
      }
      assert.ok(!served.find((d) => d.entity === 'person')!.fields.includes('identifiers.lv-personas-kods'));
      const verify = await request(vu.app).get('/api/v1/audit/disclosures/verify').set(auth).expect(200);
      assert.equal(verify.body.ok, true, 'the hash chain holds');
    });

    it('Incoming Mobilities 2: lu.lv sees its approved nomination at vu.lt, and vu.lt’s IMobility CNR makes lu.lv fetch the student’s arrival', async () => {
      // The nomination vu.lt approved above: vu.lt knows it, and states no arrival yet.
      const nominated = await luNode.client.call({ from: LU, to: VU, api: 'imobilities', urlElement: 'get-url', params: [['omobility_id', 'om-nomination-only']] });
      const sm = children(nominated.root, 'student-mobility', NS.imobilitiesGet);
      assert.deepEqual(
        sm.map((x) => childText(x, 'omobility-id', NS.imobilitiesGet)),
        ['om-nomination-only'],
      );
      assert.equal(childText(sm[0]!, 'actual-arrival-date', NS.imobilitiesGet), undefined);
      // vu.lt's system registered the student of the LA mobility (the ToR test above): an IMobility CNR went to lu.lv,
      // which fetched vu.lt's view and keeps it beside its own mobility record.
      const view = await eventually(() => copy(luNode, LU, 'mobility-period', `imobility/${VU}/${OMOBILITY}`), WAIT, 'lu.lv storing vu.lt’s view of the mobility');
      assert.equal(view.data.start, '2025-09-01', 'the actual arrival');
      assert.equal(view.data.end, '2026-01-31', 'the actual departure');
      assert.equal(view.data.status, 'live');
      assert.equal(view.data.sendingInstitution, LU);
      const own = (await luNode.own('mobility-period', luHei(), ['omobilityId', OMOBILITY]))[0]!;
      assert.equal(own.sourceId, (luRecords['mobility-period'] as { sourceId: string }[])[0]!.sourceId, 'lu.lv’s own record is left as its system sent it');
      assert.match(await lu.hub.metrics.registry.getSingleMetricAsString('hub_ewp_cnr_received_total'), /api="imobility-cnr"} [1-9]/);
    });

    it('File API: lu.lv fetches the PDF transcript vu.lt’s ToR names; another HEI gets a 404 error-response', async () => {
      const tor = await luNode.client.call({ from: LU, to: VU, api: 'imobilityTors', urlElement: 'get-url', params: [['omobility_id', OMOBILITY]] });
      // The report's attachment names the PDF: <attachment><identifier type="ewp-file-id">…
      const fileId = descendants(tor.root)
        .filter((e) => e.ns === NS.elmo && e.local === 'identifier' && e.parent?.local === 'attachment' && attr(e, 'type') === 'ewp-file-id')
        .map((e) => text(e).trim())[0];
      assert.ok(fileId, 'the ToR names its PDF');
      const file = await luNode.client.file(LU, VU, fileId);
      assert.equal(file.contentType, 'application/pdf');
      assert.equal(file.body.subarray(0, 5).toString('latin1'), '%PDF-');
      const stranger = await ewpCall({ url: `${vu.base}/file`, key: otherKey, method: 'GET', params: [['file_id', fileId]] });
      assert.equal(stranger.status, 404);
      await assertValid(XSD.error, stranger.body);
      assert.match(stranger.body, /<developer-message>no file with that file_id is shared with the caller<\/developer-message>/);
      await assert.rejects(luNode.client.file(LU, VU, 'tor-pdf/nope/00000000000000000000000000000000'), (e: Error) => e instanceof SinkRejectedError && e.extra.status === 404);
    });

    it('refuses a partner response signed with a key the registry does not list for that host', async () => {
      const good = registry.catalogue;
      const luServer = luNode.serverKey.spkiBase64;
      registry.catalogue = good.replace(new RegExp(`sha-256="${luNode.serverKey.keyId}"`), `sha-256="${'0'.repeat(64)}"`);
      vuNode.registry.invalidate();
      try {
        await assert.rejects(
          vuNode.client.call({ from: VU, to: LU, api: 'echo', urlElement: 'url' }),
          (e: Error) => e instanceof TransportError && /not a server key of the responding host/.test(e.message),
        );
      } finally {
        registry.catalogue = good;
        vuNode.registry.invalidate();
      }
      const ok = await vuNode.client.call({ from: VU, to: LU, api: 'echo', urlElement: 'url', params: [['echo', 'x']] });
      assert.equal(ok.root.local, 'response');
      assert.ok(luServer.startsWith('MII'));
    });

    it('deletions: lu.lv deletes its IIA (through the ingest API), announces it by IIA CNR, and vu.lt’s copy is gone (test/ewp/deletions.test.ts has the details)', async () => {
      assert.ok(await copy(vuNode, VU, IIA, `iia/${LU}/${LU_IIA}`), 'vu.lt holds lu.lv’s IIA before');
      await request(lu.app)
        .post(`/api/v1/ingest/local/${IIA}/delete`)
        .set(auth)
        .send({ sourceIds: [luIia().sourceId] })
        .expect(202);
      assert.equal((await luNode.own(IIA, luHei(), ['iiaId', LU_IIA])).length, 0, 'no longer served by lu.lv');
      await eventually(async () => ((await copy(vuNode, VU, IIA, `iia/${LU}/${LU_IIA}`)) ? undefined : true), WAIT, 'vu.lt deleting its copy');
    });

    it('leaves nothing waiting in the CNR queues', async () => {
      await eventually(
        async () =>
          (await luNode.sender.pending()).length === 0 && (await vuNode.sender.pending()).length === 0 && (await luNode.inbox.pending()).length === 0 && (await vuNode.inbox.pending()).length === 0,
        WAIT,
        'empty CNR queues',
      );
    });
  });
}
