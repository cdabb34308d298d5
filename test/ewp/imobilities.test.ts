import assert from 'node:assert/strict';
import type { ChangeEvent, JsonObject } from '../../src/core/types.ts';
import { actualDates } from '../../src/ewp/apis/imobilities.ts';
import { Outbound } from '../../src/ewp/cnr/outbound.ts';
import type { Rec } from '../../src/ewp/data.ts';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { responseSignatureProblem } from '../../src/ewp/security/response.ts';
import { generateEwpKey, type EwpKey } from '../../src/ewp/security/keys.ts';
import { MANIFEST_ENTRY, NS } from '../../src/ewp/xml/ns.ts';
import { childText, children, parseXml } from '../../src/ewp/xml/parse.ts';
import { backends } from '../helpers/hub.ts';
import { INCOMING, LU, VU, luRecords, seed, vuIncoming } from './helpers/data.ts';
import { ewpCall, ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { assertValid, MANIFEST_IMPORTS, XSD } from './helpers/xsd.ts';

const PUBLIC = `https://ewp.hub.example/ewp/${LU}`;
const NOMINATION = 'VU-NOM-1';

describe('Incoming Mobilities 2: the actual dates of an incoming mobility', () => {
  const rec = (data: Record<string, unknown>) => ({ data }) as unknown as Rec;
  it('gives the arrival once the student is there and the departure once the end is past; a nomination has neither', () => {
    const m = { start: '2025-09-01', end: '2026-01-31' };
    assert.deepEqual(actualDates(rec({ ...m, status: 'approved' }), '2025-10-01'), { arrival: undefined, departure: undefined }, 'planned dates are not actual ones');
    assert.deepEqual(actualDates(rec({ ...m, status: 'live' }), '2025-10-01'), { arrival: '2025-09-01', departure: undefined });
    assert.deepEqual(actualDates(rec({ ...m, status: 'live' }), '2026-02-01'), { arrival: '2025-09-01', departure: '2026-01-31' });
    assert.deepEqual(actualDates(rec({ ...m, status: 'recognized' }), '2025-10-01'), { arrival: '2025-09-01', departure: '2026-01-31' });
    assert.deepEqual(actualDates(rec({ status: 'nominated' }), '2026-02-01'), { arrival: undefined, departure: undefined });
  });
});

for (const backend of backends()) {
  describe(`EWP Incoming Mobilities 2, Incoming Mobility CNR 2 and File 1 of lu.lv as receiving HEI (${backend})`, function () {
    this.timeout(60_000);
    let registry: TestRegistry;
    let hub: EwpTestHub;
    let vuKey: EwpKey;
    let otherKey: EwpKey;

    const call = (
      path: string,
      params: [string, string][] = [],
      o: { key?: EwpKey; method?: 'GET' | 'POST' | 'PUT'; xml?: string; acceptSignature?: boolean; tamper?: (h: Record<string, string>) => void } = {},
    ) => ewpCall({ url: `${PUBLIC}/${path}`, connect: hub.url, key: o.key ?? vuKey, params, ...o });

    /** An error answer: the status, an XSD-valid error-response with a developer-message. */
    const assertError = async (res: { status: number; body: string }, status: number, what: string) => {
      assert.equal(res.status, status, `${what}: ${res.body}`);
      await assertValid(XSD.error, res.body);
      assert.ok(childText(parseXml(res.body), 'developer-message'), `${what}: a developer-message`);
    };

    before(async () => {
      registry = await new TestRegistry().start();
      hub = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', registryUrl: registry.url, publicBase: PUBLIC, backend });
      vuKey = generateEwpKey();
      otherKey = generateEwpKey();
      const manifest = (await rawRequest(new URL(`${hub.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
      registry.build(
        [manifest],
        [
          { heis: [VU], clientKeys: [vuKey] },
          { heis: ['other.example'], clientKeys: [otherKey] },
        ],
      );
      await seed(hub.hub, 'local', luRecords);
      // lu.lv's own record of vu.lt's student (arrived, the mobility over) with the results of the stay.
      await seed(hub.hub, 'local', vuIncoming(INCOMING, LU, VU));
      // A nomination vu.lt sent, kept at lu.lv as a partner copy (no dates: a nomination names none).
      await seed(hub.hub, 'ewp-in', {
        person: [{ sourceId: `person/${VU}/0123456789abcdef`, identifiers: [], givenNames: 'Jonas', familyName: 'Jonaitis' }],
        'mobility-period': [
          {
            sourceId: `omobility/${VU}/${NOMINATION}`,
            identifiers: [{ scheme: 'omobility-id', value: NOMINATION }],
            person: { sourceId: `person/${VU}/0123456789abcdef` },
            omobilityId: NOMINATION,
            sendingInstitution: VU,
            receivingInstitution: LU,
            status: 'nominated',
            mobilityType: 'student-studies',
            activityAttributes: 'long-term',
            receivingAcademicYear: '2026/2027',
          },
        ],
      });
    });

    after(async () => {
      await hub?.close();
      await registry?.close();
    });

    it('declares imobilities (get-url, max-omobility-ids), imobility-cnr and file in the manifest, valid against their manifest-entry.xsd', async () => {
      const res = await rawRequest(new URL(`${hub.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0));
      await assertValid(MANIFEST_IMPORTS, res.body);
      assert.ok(res.body.includes(`<imobilities xmlns="${MANIFEST_ENTRY.imobilities.ns}" version="2.0.0">`));
      assert.match(res.body, new RegExp(`<get-url>${PUBLIC}/imobilities/get</get-url><max-omobility-ids>10</max-omobility-ids></imobilities>`));
      assert.match(res.body, new RegExp(`<imobility-cnr [^>]*version="2.0.0">.*<url>${PUBLIC}/imobility-cnr</url><max-omobility-ids>10</max-omobility-ids></imobility-cnr>`));
      assert.match(res.body, new RegExp(`<file [^>]*version="1.0.0">.*<url>${PUBLIC}/file</url></file>`));
    });

    it('IMobilities get: the sending HEI sees its students’ actual dates (its own record) and the nominations it sent (no dates); others nothing', async () => {
      for (const method of ['GET', 'POST'] as const) {
        const res = await call(
          'imobilities/get',
          [
            ['omobility_id', INCOMING],
            ['omobility_id', NOMINATION],
            ['omobility_id', 'unknown-om'],
          ],
          { method },
        );
        assert.equal(res.status, 200, res.body);
        await assertValid(XSD.imobilitiesGet, res.body);
        const sms = children(parseXml(res.body), 'student-mobility', NS.imobilitiesGet);
        assert.deepEqual(
          sms.map((s) => childText(s, 'omobility-id', NS.imobilitiesGet)),
          [INCOMING, NOMINATION],
          'unknown ids left out',
        );
        assert.match(
          res.body,
          new RegExp(
            `<student-mobility><omobility-id>${INCOMING}</omobility-id><actual-arrival-date>2025-09-01</actual-arrival-date><actual-departure-date>2026-01-31</actual-departure-date></student-mobility>`,
          ),
        );
        assert.match(res.body, new RegExp(`<student-mobility><omobility-id>${NOMINATION}</omobility-id></student-mobility>`));
      }
      const stranger = await call('imobilities/get', [['omobility_id', INCOMING]], { key: otherKey });
      assert.equal(stranger.status, 200);
      await assertValid(XSD.imobilitiesGet, stranger.body);
      assert.equal(children(parseXml(stranger.body), 'student-mobility', NS.imobilitiesGet).length, 0, 'not the sending HEI: nothing');
      const v1 = await call('imobilities/get', [
        ['receiving_hei_id', LU],
        ['omobility_id', INCOMING],
      ]);
      assert.equal(children(parseXml(v1.body), 'student-mobility', NS.imobilitiesGet).length, 1, 'the v1 parameter naming this HEI is accepted');
    });

    it('IMobilities get: bad input gets the spec’s status and an error-response', async () => {
      await assertError(await call('imobilities/get', []), 400, 'omobility_id missing');
      await assertError(
        await call(
          'imobilities/get',
          Array.from({ length: 11 }, (_, i): [string, string] => ['omobility_id', `m${i}`]),
        ),
        400,
        'more than max-omobility-ids',
      );
      await assertError(
        await call('imobilities/get', [
          ['receiving_hei_id', VU],
          ['omobility_id', INCOMING],
        ]),
        400,
        'another receiving HEI',
      );
      await assertError(await call('imobilities/get', [['omobility_id', INCOMING]], { method: 'PUT' }), 405, 'PUT');
      await assertError(await call('imobilities/get', [], { xml: `<omobility_id>${INCOMING}</omobility_id>` }), 415, 'parameters not sent as a form');
      const wrongHost = await ewpCall({ url: `${PUBLIC.replace(LU, 'rtu.lv')}/imobilities/get`, connect: hub.url, key: vuKey, params: [['omobility_id', INCOMING]] });
      await assertError(wrongHost, 404, 'a HEI this hub does not serve');
    });

    it('IMobility CNR: 200 at once (XSD-valid) and the re-fetch queued; 400 without or with too many ids; 405 for GET', async () => {
      const res = await call('imobility-cnr', [['omobility_id', 'om-we-do-not-send']]);
      assert.equal(res.status, 200, res.body);
      await assertValid(XSD.imobilityCnr, res.body);
      assert.match(await hub.hub.metrics.registry.getSingleMetricAsString('hub_ewp_cnr_received_total'), /api="imobility-cnr"} 1/);
      await assertError(await call('imobility-cnr', []), 400, 'no omobility_id');
      await assertError(
        await call(
          'imobility-cnr',
          Array.from({ length: 11 }, (_, i): [string, string] => ['omobility_id', `m${i}`]),
        ),
        400,
        'too many ids',
      );
      await assertError(await call('imobility-cnr', [['omobility_id', 'x'.repeat(65)]]), 400, 'not an EWP identifier');
      await assertError(await call('imobility-cnr', [['omobility_id', 'x']], { method: 'GET' }), 405, 'GET');
    });

    it('File: the ToR names its PDF by file id; the sending HEI gets the PDF (signed when asked, 304 when unchanged), anyone else a 404', async () => {
      const tor = await call('imobility-tors/get', [['omobility_id', INCOMING]]);
      await assertValid(XSD.torsGet, tor.body);
      const fileId = /<emrex:identifier type="ewp-file-id">([^<]+)<\/emrex:identifier>/.exec(tor.body)?.[1];
      assert.ok(fileId, 'the ToR’s report attachment names the file');
      assert.match(fileId, new RegExp(`^tor-pdf/${INCOMING}/[0-9a-f]{32}$`));
      assert.match(tor.body, /<emrex:type>Transcript of Records<\/emrex:type>/);
      const again = await call('imobility-tors/get', [['omobility_id', INCOMING]]);
      assert.ok(again.body.includes(fileId), 'the same transcript keeps its file id');

      for (const method of ['GET', 'POST'] as const) {
        const res = await call('file', [['file_id', fileId]], { method });
        assert.equal(res.status, 200, res.body.slice(0, 300));
        assert.equal(res.headers['content-type'], 'application/pdf');
        assert.equal(res.bodyBytes.subarray(0, 5).toString('latin1'), '%PDF-');
        assert.ok(res.bodyBytes.length > 1000);
      }
      const signed = await call('file', [['file_id', fileId]], { method: 'GET', acceptSignature: true });
      assert.equal(signed.status, 200);
      const host = new Catalogue(parseXml(registry.catalogue)).hosts.find((h) => h.heis.includes(LU))!;
      const problem = responseSignatureProblem(
        (n) => signed.headers[n] as string | undefined,
        signed.bodyBytes,
        { requestId: signed.requestId, signature: signed.signature },
        { catalogue: new Catalogue(parseXml(registry.catalogue)), host, skewMs: 300_000 },
      );
      assert.equal(problem, undefined, 'the PDF answer is signed like an XML one');
      const cached = await call('file', [['file_id', fileId]], {
        method: 'GET',
        tamper: (h) => {
          h['if-none-match'] = String(signed.headers.etag);
        },
      });
      assert.equal(cached.status, 304, 'the file is immutable: its ETag answers a conditional request');

      await assertError(await call('file', [['file_id', fileId]], { key: otherKey, method: 'GET' }), 404, 'another HEI');
      await assertError(await call('file', [['file_id', fileId.replace(/[0-9a-f]{32}$/, '0'.repeat(32))]], { method: 'GET' }), 404, 'an id this transcript no longer has');
      await assertError(await call('file', [['file_id', 'no-such-file']], { method: 'GET' }), 404, 'unknown id');
      await assertError(await call('file', [], { method: 'GET' }), 400, 'file_id missing');
      await assertError(
        await call(
          'file',
          [
            ['file_id', fileId],
            ['file_id', fileId],
          ],
          { method: 'GET' },
        ),
        400,
        'file_id repeated',
      );
      await assertError(await call('file', [['file_id', fileId]], { method: 'PUT' }), 405, 'PUT');
    });

    it('announces a change of its own record of an incoming student to the sending HEI (IMobility CNR); partner copies and views are not announced', async () => {
      const outbound = new Outbound(hub.hub.ewp!);
      const event = (source: string, record: Record<string, unknown>): ChangeEvent => ({
        eventId: 'e',
        seq: 1,
        entity: 'mobility-period',
        op: 'upsert',
        schemaVersion: '1',
        source,
        institution: LU,
        occurredAt: new Date().toISOString(),
        recordId: 'r',
        version: 1,
        record: record as JsonObject,
      });
      assert.deepEqual(await outbound.plan(event('local', { sourceId: 'IN-1', omobilityId: 'om-1', sendingInstitution: VU, receivingInstitution: LU, status: 'live' })), [
        { kind: 'cnr', target: { api: 'imobilityCnr', from: LU, to: VU, objectId: 'om-1' } },
      ]);
      assert.deepEqual(
        await outbound.plan(event('ewp-in', { sourceId: `omobility/${VU}/om-1`, omobilityId: 'om-1', sendingInstitution: VU, receivingInstitution: LU })),
        [],
        'a nomination received is the partner’s data',
      );
      assert.deepEqual(
        await outbound.plan(event('ewp-in', { sourceId: `imobility/${VU}/om-2`, omobilityId: 'om-2', sendingInstitution: LU, receivingInstitution: VU, status: 'live' })),
        [],
        'vu.lt’s view of lu.lv’s mobility is not lu.lv’s change',
      );
      assert.deepEqual(await outbound.plan(event('local', { sourceId: 'OUT-2', omobilityId: 'om-2', sendingInstitution: LU, receivingInstitution: VU, status: 'nominated' })), [
        { kind: 'cnr', target: { api: 'omobilityCnr', from: LU, to: VU, objectId: 'om-2' } },
      ]);
    });

    it('logs what the new endpoints handed out: the mobility’s dates, the PDF’s student and results, to vu.lt only', async () => {
      const entries = [];
      for await (const e of hub.hub.privacy.log.entries()) entries.push(e);
      const kinds = new Set(entries.filter((e) => e.route === 'ewp:imobilities/get' || e.route === 'ewp:file').map((e) => `${e.route} ${e.entity} ${e.recipient}`));
      for (const k of [`ewp:imobilities/get mobility-period ${VU}`, `ewp:file person ${VU}`, `ewp:file attainment ${VU}`]) assert.ok(kinds.has(k), `${k} (got ${[...kinds].join(', ')})`);
      assert.ok(![...kinds].some((k) => k.endsWith('other.example')), 'nothing for the HEI that got 404s and empty answers');
    });
  });
}
