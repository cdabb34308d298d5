import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import request from 'supertest';
import { validateXML } from 'xmllint-wasm';
import { ViisClient } from '../../adapters/viis/client.ts';
import { viisSink } from '../../adapters/viis/index.ts';
import { ViisSimulator } from '../../adapters/viis/simulator.ts';
import { NOT_A_DIPLOMA } from '../../adapters/viis/sink.ts';
import { adapterOptions } from '../../src/config/options.ts';
import type { Sink } from '../../src/core/adapter.ts';
import { RegisterRejectedError, SinkError, SinkRejectedError } from '../../src/core/errors.ts';
import { TargetPolicy } from '../../src/core/net/target-policy.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { compileText, MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { auth, backends, baseConfig, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { award, credential, person, PROGRAMME, revokedCredential, studyRight } from './fixtures.ts';

const ctx = {
  logger: pino({ level: 'silent' }),
  dataDir: '/tmp',
  secret: () => undefined,
  mappingsDir: MAPPINGS_DIR,
  compileMapping: compileText,
  outbound: { origin: 'config' as const, policy: new TargetPolicy() },
};

let seq = 0;
function event(entity: string, record: Record<string, unknown>, over: Partial<ChangeEvent> = {}): ChangeEvent {
  return {
    eventId: `ev-dd-${++seq}`,
    seq,
    entity,
    op: 'upsert',
    schemaVersion: '1',
    source: entity === 'credential' ? 'rtu-credentials' : 'rtu-push',
    institution: 'rtu.lv',
    occurredAt: new Date().toISOString(),
    recordId: `rec-${String(record.sourceId)}`,
    version: 1,
    record: { institution: 'rtu.lv', ...record },
    ...over,
  };
}

/** A SOAP 1.1 envelope whose body must be one element of viis.xsd (strict). */
const ENVELOPE_XSD = `<?xml version="1.0"?>
<xs:schema xmlns:xs="http://www.w3.org/2001/XMLSchema" targetNamespace="http://schemas.xmlsoap.org/soap/envelope/" elementFormDefault="qualified">
  <xs:import namespace="urn:studyhub:modelled:viis:studenti:1" schemaLocation="viis.xsd"/>
  <xs:element name="Envelope"><xs:complexType><xs:sequence>
    <xs:element name="Header" minOccurs="0"><xs:complexType><xs:sequence><xs:any processContents="lax" minOccurs="0" maxOccurs="unbounded"/></xs:sequence></xs:complexType></xs:element>
    <xs:element name="Body"><xs:complexType><xs:sequence><xs:any namespace="urn:studyhub:modelled:viis:studenti:1" processContents="strict"/></xs:sequence></xs:complexType></xs:element>
  </xs:sequence><xs:anyAttribute processContents="lax"/></xs:complexType></xs:element>
</xs:schema>`;

async function validEnvelope(xml: string): Promise<string[]> {
  const r = await validateXML({
    xml: [{ fileName: 'request.xml', contents: xml }],
    schema: [{ fileName: 'envelope.xsd', contents: ENVELOPE_XSD }],
    preload: [{ fileName: 'viis.xsd', contents: readFileSync(new URL('../../adapters/viis/viis.xsd', import.meta.url), 'utf8') }],
    disableFileNameValidation: true,
  });
  return r.errors.map((e) => e.message).filter((m) => !/parser warning/.test(m));
}

/** Forwards to the simulator and keeps each request body: what the sink puts on the wire. */
async function recordingProxy(target: string): Promise<{ url: string; bodies: string[]; close: () => Promise<void> }> {
  const bodies: string[] = [];
  const to = new URL(target);
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      if (req.method === 'POST') bodies.push(body.toString('utf8'));
      const out = http.request({ host: to.hostname, port: to.port, path: req.url, method: req.method, headers: req.headers }, (r) => {
        res.writeHead(r.statusCode ?? 502, r.headers);
        r.pipe(res);
      });
      out.end(body);
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}${to.pathname}`,
    bodies,
    close: async () => {
      server.closeAllConnections();
      await new Promise<void>((r) => server.close(() => r()));
    },
  };
}

const dctx = (e: ChangeEvent) => ({ attempt: 1, routeId: 'viis', idempotencyKey: e.eventId });
const credentialId = (n: number) => String(credential(n).credentialId);

describe('VIIS digital diplomas: the sink against the simulator (SOAP)', () => {
  let sim: ViisSimulator;
  let sink: Sink;
  let client: ViisClient;
  const deliver = async (e: ChangeEvent) => (await sink.deliver(e, dctx(e)))?.detail ?? '';
  const failure = (e: ChangeEvent) =>
    sink.deliver(e, dctx(e)).then(
      () => undefined,
      (x: unknown) => x,
    );

  before(async () => {
    sim = new ViisSimulator({ programmes: [PROGRAMME] });
    const endpoint = await sim.start();
    sink = viisSink.create(adapterOptions(viisSink, { endpoint, timeoutMs: 3000 }), ctx);
    client = new ViisClient({ endpoint, timeoutMs: 3000 });
    for (const n of [1, 2, 3, 4]) {
      await deliver(event('person', person(n)));
      await deliver(event('study-right', studyRight(n)));
      await deliver(event('award', award(n)));
    }
  });
  after(async () => {
    await sim.close();
  });

  it('registers an issued degree credential: the register finds the graduate by the diploma number and answers with a register number', async () => {
    const detail = await deliver(event('credential', credential(1)));
    assert.match(detail, /^VIIS accepted: receipt VIIS-R-\d+, digital diploma VIIS-DD-\d{8}$/);
    const held = sim.digitalDiploma('rtu.lv', credentialId(1));
    assert.deepEqual(held, {
      credentialId: credentialId(1),
      diplomaNumber: 'PB 000001',
      personLocalId: 'P00001',
      issuerId: 'urn:schac:homeOrganization:rtu.lv',
      issuedAt: '2026-06-18T09:30:00.000Z',
      statusList: { url: 'https://hub.example.lv/credentials/status/rtu.lv/0', index: 101 },
      submitterRef: { recordId: `rec-${credential(1).sourceId}`, version: 1 },
      registerNumber: detail.slice(detail.indexOf('VIIS-DD-')),
    });
  });

  it('revokes it with the date and reason; the register number stays, and a late registration does not make it valid again', async () => {
    const number = sim.digitalDiploma('rtu.lv', credentialId(1))?.registerNumber;
    const detail = await deliver(event('credential', revokedCredential(1), { version: 2 }));
    assert.match(detail, /^VIIS registered the revocation: receipt VIIS-R-\d+, digital diploma VIIS-DD-/);
    assert.deepEqual(sim.digitalDiploma('rtu.lv', credentialId(1))?.revocation, { revokedAt: '2026-07-01T12:00:00.000Z', reason: 'issued with a wrong qualification title' });
    await deliver(event('credential', credential(1)));
    const held = sim.digitalDiploma('rtu.lv', credentialId(1));
    assert.equal(held?.registerNumber, number);
    assert.ok(held?.revocation, 'still revoked');
  });

  it('registers and then revokes a credential whose first notice the register gets already revoked (VIIS-502 on the revoke alone)', async () => {
    const detail = await deliver(event('credential', revokedCredential(2)));
    assert.match(detail, /^VIIS accepted: receipt VIIS-R-\d+, digital diploma VIIS-DD-\d+; VIIS registered the revocation: receipt VIIS-R-\d+/);
    const held = sim.digitalDiploma('rtu.lv', credentialId(2));
    assert.equal(held?.personLocalId, 'P00002');
    assert.equal(held?.revocation?.revokedAt, '2026-07-01T12:00:00.000Z');
    assert.deepEqual(
      sim.log
        .filter((l) => /DigitalDiploma$/.test(l.operation))
        .slice(-3)
        .map((l) => [l.operation, l.outcome, l.code]),
      [
        ['RevokeDigitalDiploma', 'rejected', 'VIIS-502'],
        ['RegisterDigitalDiploma', 'accepted', undefined],
        ['RevokeDigitalDiploma', 'accepted', undefined],
      ],
    );
  });

  it('answers a micro-credential as delivered without calling the register', async () => {
    const calls = sim.log.length;
    const micro = credential(9, { kind: 'micro-credential', award: undefined, attainment: { id: '1f2e3d4c-5b6a-4978-8695-a4b3c2d1e0f9' }, identifiers: [] });
    assert.equal(await deliver(event('credential', micro)), NOT_A_DIPLOMA);
    assert.equal(sim.log.length, calls);
  });

  it('dead-letters a business rejection with the register code: a credential id registered for another diploma (VIIS-503)', async () => {
    await deliver(event('credential', credential(3)));
    const err = await failure(event('credential', credential(3, { identifiers: [{ scheme: 'diploma-number', value: 'PB 000004' }] })));
    assert.ok(err instanceof SinkRejectedError, String(err));
    assert.equal(err.retryable, false);
    assert.match(err.message, /^VIIS VIIS-503: credential urn:uuid:\S+ is registered for another diploma \(digitalDiploma\/credentialId\)$/);
    assert.equal(err.extra?.registerCode, 'VIIS-503');
  });

  it('retries a digital diploma whose diploma the register does not hold yet (VIIS-501, a default retry code)', async () => {
    const err = await failure(event('credential', credential(5)));
    assert.ok(err instanceof SinkError && !(err instanceof SinkRejectedError), String(err));
    assert.equal(err.retryable, true);
    assert.match(err.message, /VIIS-501: the register holds no diploma number PB 000005 of this institution/);
  });

  it('refuses a digital diploma naming another graduate than the diploma’s (VIIS-504), and a revocation of an unknown one (VIIS-502)', async () => {
    const err = await failure(event('credential', credential(4, { person: { identifiers: [{ scheme: 'student-number', value: 'P00003' }] } })));
    assert.ok(err instanceof SinkRejectedError);
    assert.equal(err.extra?.registerCode, 'VIIS-504');
    const submitter = { institution: 'rtu.lv', system: 'test', submissionId: 'dd-revoke-unknown' };
    await assert.rejects(
      client.revokeDigitalDiploma(submitter, 'urn:uuid:00000000-0000-4000-8000-000000000000', { revokedAt: '2026-07-01T12:00:00Z', reason: 'test' }),
      (e: unknown) => e instanceof RegisterRejectedError && e.registerCode === 'VIIS-502',
    );
  });

  it('sends requests that are valid against viis.xsd (register, revoke, with and without the optional elements)', async () => {
    const proxy = await recordingProxy(sim.url);
    try {
      const via = viisSink.create(adapterOptions(viisSink, { endpoint: proxy.url, timeoutMs: 3000 }), ctx);
      const replaced = { replaces: credentialId(1), person: { id: '3c4d5e6f-7a8b-4c9d-8e0f-000000000004', sourceId: 'P00004' } };
      for (const e of [
        event('credential', credential(14, { ...replaced, identifiers: [{ scheme: 'diploma-number', value: 'PB 000004' }] })),
        event('credential', revokedCredential(14, 'a reason', { ...replaced, identifiers: [{ scheme: 'diploma-number', value: 'PB 000004' }] }), { version: 2 }),
        event('credential', revokedCredential(15, 'x', { revocationReason: undefined, identifiers: [{ scheme: 'diploma-number', value: 'PB 000004' }] })),
      ]) {
        await via.deliver(e, dctx(e));
      }
      assert.deepEqual(
        proxy.bodies.map((b) => /<(?:\w+:)?(\w+Request)\b/.exec(b)?.[1]),
        ['RegisterDigitalDiplomaRequest', 'RevokeDigitalDiplomaRequest', 'RevokeDigitalDiplomaRequest', 'RegisterDigitalDiplomaRequest', 'RevokeDigitalDiplomaRequest'],
      );
      for (const b of proxy.bodies) assert.deepEqual(await validEnvelope(b), [], b);
    } finally {
      await proxy.close();
    }
  });

  it('withdraws a deleted credential notice', async () => {
    const e = event('credential', credential(4));
    await deliver(e);
    const del: ChangeEvent = { ...e, eventId: 'ev-dd-del-4', op: 'delete', version: 2 };
    delete del.record;
    assert.match(await deliver(del), /withdrew the record/);
    assert.equal(sim.digitalDiploma('rtu.lv', credentialId(4)), undefined);
  });
});

for (const backend of backends()) {
  describe(`VIIS digital diplomas through the hub (${backend})`, function () {
    this.timeout(30_000);
    let sim: ViisSimulator;
    let t: TestHub;
    before(async () => {
      sim = new ViisSimulator({ programmes: [PROGRAMME], slow: { every: 5, ms: 100 } });
      const endpoint = await sim.start();
      const base = baseConfig();
      t = await makeHub({
        backend,
        config: baseConfig({
          // The notices of issued credentials come through the institution's credential source (src/credentials).
          sources: [...base.sources, { id: 'rtu-credentials', institution: 'rtu.lv', system: 'hub-credentials', mappingSet: 'canonical' }],
          sinks: [{ id: 'viis', type: 'viis', options: { endpoint, timeoutMs: 3000 } }],
          routes: [
            {
              id: 'viis',
              sink: 'viis',
              match: { entities: ['person', 'study-right', 'award', 'credential'], institutions: ['rtu.lv'] },
              legalBasis: 'legal-obligation',
              purpose: 'Student and graduate register (Cabinet Regulation No. 276)',
              concurrency: 1,
              retry: { maxAttempts: 6, initialDelayMs: 50, maxDelayMs: 400 },
            },
          ],
        }),
      });
      for (const [entity, body] of [
        ['person', [person(1), person(2), person(3)]],
        ['study-right', [studyRight(1), studyRight(2), studyRight(3)]],
        ['award', [award(1), award(2), award(3)]],
      ] as const) {
        const res = await ingest('rtu-push', entity, body);
        await Promise.all(res.body.messages.map((m: { messageId: string }) => settled(m.messageId, 'delivered')));
      }
    });
    after(async () => {
      await t?.stop();
      await sim?.close();
    });

    const ingest = (source: string, entity: string, body: object) => request(t.app).post(`/api/v1/ingest/${source}/${entity}`).set(auth).send(body).expect(202);
    const detail = async (id: string) => (await request(t.app).get(`/api/v1/messages/${id}`).set(auth).expect(200)).body;
    const settled = (id: string, status: string) => eventually(async () => ((await detail(id)).status === status ? detail(id) : undefined), 20_000, `message ${id} ${status}`);

    it('registers a digital diploma when its credential is issued and its revocation when it is revoked', async () => {
      const issued = await ingest('rtu-credentials', 'credential', credential(1));
      const d1 = await settled(issued.body.messages[0].messageId, 'delivered');
      assert.match(d1.deliveries[0].attempts[0].detail, /^VIIS accepted: receipt VIIS-R-\d+, digital diploma VIIS-DD-\d+$/);
      const held = sim.digitalDiploma('rtu.lv', credentialId(1));
      assert.equal(held?.personLocalId, 'P00001');
      assert.equal(held?.submitterRef.recordId, issued.body.messages[0].recordId);
      assert.equal(held?.revocation, undefined);

      const revoked = await ingest('rtu-credentials', 'credential', revokedCredential(1));
      assert.equal(revoked.body.messages[0].version, 2);
      const d2 = await settled(revoked.body.messages[0].messageId, 'delivered');
      assert.match(d2.deliveries[0].attempts[0].detail, /^VIIS registered the revocation: receipt VIIS-R-\d+, digital diploma VIIS-DD-/);
      assert.deepEqual(sim.digitalDiploma('rtu.lv', credentialId(1))?.revocation, { revokedAt: '2026-07-01T12:00:00.000Z', reason: 'issued with a wrong qualification title' });
    });

    it('dead-letters a business rejection at once with the register code and reason', async () => {
      // The notice names P00003 as the graduate; diploma PB 000002 is P00002's.
      const res = await ingest('rtu-credentials', 'credential', credential(2, { person: { identifiers: [{ scheme: 'student-number', value: 'P00003' }] } }));
      const d = await settled(res.body.messages[0].messageId, 'dead');
      const delivery = d.deliveries[0];
      assert.equal(delivery.routeId, 'viis');
      assert.equal(delivery.attempts.length, 1, 'a business rejection is not retried');
      assert.match(delivery.lastError, /VIIS-504: diploma number PB 000002 belongs to another person than P00003/);
      assert.equal(sim.digitalDiploma('rtu.lv', credentialId(2)), undefined);
    });

    it('retries transport failures (503, a server fault) until the register answers', async () => {
      sim.failNext(1, 'http-503');
      sim.failNext(1, 'server-fault');
      const res = await ingest('rtu-credentials', 'credential', credential(3));
      const d = await settled(res.body.messages[0].messageId, 'delivered');
      const attempts = d.deliveries[0].attempts as { outcome: string; error: string | null }[];
      assert.deepEqual(
        attempts.map((a) => a.outcome),
        ['retry', 'retry', 'delivered'],
      );
      assert.match(attempts[0]!.error ?? '', /HTTP 503/);
      assert.match(attempts[1]!.error ?? '', /server fault soap:Server: register database unavailable/);
      assert.equal(sim.digitalDiploma('rtu.lv', credentialId(3))?.personLocalId, 'P00003');
    });
  });
}
