import assert from 'node:assert/strict';
import { createBridge, type BridgeHandle } from '../../src/nodered/bridge.ts';
import { backends, canonicalPerson, makeHub, type TestHub } from '../helpers/hub.ts';
import { catchNode, helper, hubNodes, nextMessage } from './helper.ts';

type Msg = Record<string, unknown>;

for (const backend of backends()) {
  describe(`Node-RED hub nodes: ingest, map, validate, record (${backend})`, function () {
    let t: TestHub;
    let bridge: BridgeHandle;
    before(async () => {
      t = await makeHub({ backend });
      bridge = createBridge(t.hub);
      helper.settings({ studyHub: bridge.bridge });
    });
    afterEach(async () => {
      await helper.unload();
    });
    after(async () => {
      await bridge?.stop();
      await t?.stop();
    });

    /** A node under test wired to `out`, and a Catch node (scope: all) wired to `caught`. */
    const flow = (node: Msg) => [
      { id: 'n1', z: 'f1', wires: [['out']], ...node },
      { id: 'out', z: 'f1', type: 'helper' },
      { id: 'c1', z: 'f1', type: 'catch', scope: null, uncaught: false, wires: [['caught']] },
      { id: 'caught', z: 'f1', type: 'helper' },
      { id: 'f1', type: 'tab', label: 'test' },
    ];
    const load = (node: Msg) => helper.load([...hubNodes, catchNode], flow(node));

    describe('hub ingest', () => {
      it('sends native records into the source pipeline and outputs a result per record', async () => {
        await load({ type: 'hub ingest', source: 'rtu-push', entity: 'person' });
        const out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: [canonicalPerson(901), canonicalPerson(902, { gender: 'sometimes' })] });
        const msg = await out;
        const results = msg.payload as { status: string; recordId?: string; error?: { code: string } }[];
        assert.equal(results.length, 2);
        assert.equal(results[0]!.status, 'committed');
        assert.equal(results[1]!.status, 'rejected');
        assert.equal(results[1]!.error?.code, 'HUB_ERR_SCHEMA_VALIDATION');
        assert.deepEqual(msg.summary, { records: 2, rejected: 1, duplicate: 0, committed: 1 });
        // Really in the hub: the record, and the rejected message kept with its reasons.
        const rec = await t.hub.store.getRecord('person', results[0]!.recordId!);
        assert.equal(rec?.data.familyName, 'Ozoliņa');
        const rejected = await t.hub.store.listMessages({ status: 'rejected', sourceId: 'rtu-push', limit: 5 });
        assert.ok(rejected.some((m) => m.raw?.includes('RTU000902')));
      });

      it('a single object is one record; the same record again is a duplicate', async () => {
        await load({ type: 'hub ingest', source: 'rtu-push', entity: 'person' });
        let out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: canonicalPerson(903) });
        assert.equal(((await out).payload as unknown[]).length, 1);
        out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: canonicalPerson(903) });
        const again = await out;
        assert.equal((again.summary as { duplicate: number }).duplicate, 1);
      });

      it('an unknown source ends the message with an error a Catch node gets (with the hub error code)', async () => {
        await load({ type: 'hub ingest', source: 'no-such-source', entity: 'person' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: canonicalPerson(904) });
        const msg = await caught;
        assert.match(String((msg.error as { message: string }).message), /unknown source 'no-such-source'/);
        assert.equal((msg.hubError as { code: string }).code, 'HUB_ERR_UNKNOWN_SOURCE');
      });

      it('a payload that is not a record is an error, not silently dropped', async () => {
        await load({ type: 'hub ingest', source: 'rtu-push', entity: 'person' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: 'Anna,Bērziņa' });
        assert.match(String(((await caught).error as { message: string }).message), /record 0 is not an object/);
      });
    });

    describe('hub map', () => {
      it('runs an inbound mapping set with $institution from the node', async () => {
        await load({ type: 'hub map', mappingSet: 'csv-legacy', entity: 'person', institution: 'rtu.lv', property: 'payload', output: 'payload' });
        const out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: { studenta_nr: '221RDB007', vards: 'Žanete', uzvards: 'Šmite', personas_kods: '', dzimsanas_datums: '', dzimums: 'S', epasts: '', pilsoniba: '' } });
        const p = (await out).payload as Msg;
        assert.equal(p.sourceId, '221RDB007');
        assert.equal(p.institution, 'rtu.lv');
        assert.equal(p.gender, 'female');
      });

      it('runs an outbound set on a message property into another, $institution from msg.hub', async () => {
        await load({ type: 'hub map', mappingSet: 'viis', entity: 'person', property: 'payload.record', output: 'register' });
        const out = nextMessage('out');
        helper.getNode('n1')!.receive({ hub: { institution: 'rtu.lv' }, payload: { record: { ...canonicalPerson(905), gender: 'male' } } });
        const msg = await out;
        assert.deepEqual(msg.register, { localId: 'RTU000905', givenNames: 'Līga', familyName: 'Ozoliņa', gender: 'V' });
        assert.ok((msg.payload as Msg).record, 'the input stays where it was');
      });

      it('a mapping that rejects its input is an error with HUB_ERR_MAPPING', async () => {
        await load({ type: 'hub map', mappingSet: 'csv-legacy', entity: 'person', institution: 'rtu.lv' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: { studenta_nr: 'X1', vards: 'A', uzvards: 'B', dzimums: 'Q' } });
        const msg = await caught;
        assert.equal((msg.hubError as { code: string }).code, 'HUB_ERR_MAPPING');
        assert.match((msg.hubError as { message: string }).message, /dzimums/);
      });

      it('no such mapping is an error', async () => {
        await load({ type: 'hub map', mappingSet: 'viis', entity: 'course', institution: 'rtu.lv' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: {} });
        assert.equal(((await caught).hubError as { code: string }).code, 'HUB_ERR_UNKNOWN_ENTITY');
      });
    });

    describe('hub validate', () => {
      it('passes a valid record on unchanged', async () => {
        await load({ type: 'hub validate', entity: 'person' });
        const out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: canonicalPerson(906) });
        assert.equal(((await out).payload as Msg).sourceId, 'RTU000906');
      });

      it('an invalid record goes to Catch with a JSON pointer per violation', async () => {
        await load({ type: 'hub validate', entity: 'person' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: { ...canonicalPerson(907), gender: 'sometimes', familyName: undefined } });
        const msg = await caught;
        const paths = (msg.violations as { path: string }[]).map((v) => v.path).sort();
        assert.deepEqual(paths, ['/familyName', '/gender']);
        assert.equal((msg.hubError as { code: string }).code, 'HUB_ERR_SCHEMA_VALIDATION');
      });

      it('an unknown entity is an error', async () => {
        await load({ type: 'hub validate', entity: 'spaceship' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: {} });
        assert.equal(((await caught).hubError as { code: string }).code, 'HUB_ERR_UNKNOWN_ENTITY');
      });
    });

    describe('hub record', () => {
      let personId: string;
      before(async () => {
        const [r] = await t.hub.pipeline.ingest('rtu-push', 'person', [canonicalPerson(908, { identifiers: [{ scheme: 'student-number', value: 'S-908' }] })], 'application/json');
        personId = r!.recordId!;
      });

      it('reads a record by hub id', async () => {
        await load({ type: 'hub record', entity: 'person' });
        const out = nextMessage('out');
        helper.getNode('n1')!.receive({ payload: personId });
        const p = (await out).payload as { id: string; version: number; institution: string; record: Msg };
        assert.equal(p.id, personId);
        assert.equal(p.institution, 'rtu.lv');
        assert.equal(p.record.familyName, 'Ozoliņa');
      });

      it('reads the person a reference names: by sourceId or by identifier, institution from msg.hub', async () => {
        await load({ type: 'hub record', entity: 'person', property: 'payload.record.person', output: 'person' });
        let out = nextMessage('out');
        helper.getNode('n1')!.receive({ hub: { institution: 'rtu.lv' }, payload: { record: { person: { sourceId: 'RTU000908' } } } });
        assert.equal(((await out).person as { id: string }).id, personId);
        out = nextMessage('out');
        helper.getNode('n1')!.receive({ hub: { institution: 'rtu.lv' }, payload: { record: { person: { identifiers: [{ scheme: 'student-number', value: 'S-908' }] } } } });
        assert.equal(((await out).person as { id: string }).id, personId);
      });

      it('no such record is an error (HUB_ERR_NOT_FOUND), so a subscription retries later', async () => {
        await load({ type: 'hub record', entity: 'person', institution: 'rtu.lv' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: { sourceId: 'NOBODY' } });
        assert.equal(((await caught).hubError as { code: string }).code, 'HUB_ERR_NOT_FOUND');
      });

      it('a reference by sourceId without any institution is an error', async () => {
        await load({ type: 'hub record', entity: 'person' });
        const caught = nextMessage('caught');
        helper.getNode('n1')!.receive({ payload: { sourceId: 'RTU000908' } });
        assert.match(((await caught).hubError as { message: string }).message, /needs an institution/);
      });
    });

    it('without the hub bridge in the settings a node says so instead of failing silently', async () => {
      helper.settings({ studyHub: undefined });
      try {
        await helper.load([...hubNodes, catchNode], flow({ type: 'hub validate', entity: 'person' }));
        assert.ok(helper.getNode('n1'), 'the node is created');
        // The helper spies on Node-RED's log: the node said why it cannot work.
        const logged = (helper as unknown as { _logSpy: { args: { msg?: unknown }[][] } })._logSpy.args.flat().some((a) => /does not run inside the study-data hub/.test(String(a?.msg)));
        assert.ok(logged, 'the node logs that there is no hub');
      } finally {
        helper.settings({ studyHub: bridge.bridge });
      }
    });
  });
}
