import assert from 'node:assert/strict';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { SinkRejectedError, TransportError } from '../../src/core/errors.ts';
import { STATS_PORTAL_HEI } from '../../src/ewp/client/monitoring.ts';
import { IIA_NAMESPACES, iiaElement } from '../../src/ewp/apis/iia-xml.ts';
import { fetchPartnerIias } from '../../src/ewp/cnr/fetch.ts';
import type { EwpNode } from '../../src/ewp/node.ts';
import { el, toXml } from '../../src/ewp/xml/build.ts';
import { digestMatches } from '../../src/ewp/security/digest.ts';
import { parseSignatureParams, REQUIRED_REQUEST_HEADERS, rsaVerify, signingString } from '../../src/ewp/security/httpsig.ts';
import { MANIFEST_ENTRY, NS } from '../../src/ewp/xml/ns.ts';
import { LU, LU_IIA, luIia } from './helpers/data.ts';
import { ewpHub, listen, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';

const BAD = 'bad.example';
const R = 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1';
const HTTPSIG = `<http-security><sec:client-auth-methods><httpsig xmlns="${NS.cliauthHttpsig}"/></sec:client-auth-methods></http-security>`;

/** A manifest as the registry reads it: one host, its API entries, one HEI (no keys: these hosts only serve). */
function manifest(hei: string, apis: string): string {
  return `<manifest xmlns="${NS.discovery}" xmlns:r="${R}" xmlns:sec="${NS.sec}"><host><r:apis-implemented>${apis}</r:apis-implemented><institutions-covered><r:hei id="${hei}"><r:name>${hei}</r:name></r:hei></institutions-covered></host></manifest>`;
}

interface Report {
  params: Record<string, string>;
  /** The HTTP Signature verified with the calling HEI's client key, and the Digest with the body. */
  signedBy: string | undefined;
}

const ERROR = (msg: string) => `<?xml version="1.0" encoding="UTF-8"?><error-response xmlns="${NS.ewp}"><developer-message>${msg}</developer-message></error-response>`;

describe('EWP Monitoring API 0.2 client: failed partner calls reported to the stats portal', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let lu: EwpTestHub;
  let node: EwpNode;
  let partner: Awaited<ReturnType<typeof listen>>;
  let portal: Awaited<ReturnType<typeof listen>>;
  /** What the partner answers next: a status with an error document. */
  let partnerStatus = 500;
  /** What the partner answers with a 200 (default: a document of another API). */
  let partnerDocument: string | undefined;
  const reports: Report[] = [];
  let luManifest = '';

  const bodyOf = async (req: IncomingMessage) => {
    const chunks: Buffer[] = [];
    for await (const c of req) chunks.push(c as Buffer);
    return Buffer.concat(chunks);
  };

  /** The partner: an error document with the status asked for, or (200) a document of another API. */
  const partnerAnswer = (req: IncomingMessage, res: ServerResponse) => {
    void bodyOf(req).then(() =>
      res
        .writeHead(partnerStatus, { 'content-type': 'application/xml' })
        .end(partnerStatus === 200 ? (partnerDocument ?? '<iias-response xmlns="urn:not-ewp"/>') : ERROR(`iia lookup failed for 010101-10006 (test ${partnerStatus})`)),
    );
  };

  /** The catalogue: lu.lv, the failing partner (IIAs, Echo), and the stats portal's Monitoring API when asked. */
  const catalogue = (withMonitoring: boolean) => {
    const partnerApis = [
      `<iias xmlns="${MANIFEST_ENTRY.iias.ns}" version="7.0.0">${HTTPSIG}<get-url>${partner.url}/iias/get</get-url><max-iia-ids>1</max-iia-ids><index-url>${partner.url}/iias/index</index-url></iias>`,
      `<echo xmlns="${MANIFEST_ENTRY.echo.ns}" version="2.0.1">${HTTPSIG}<url>${partner.url}/echo</url></echo>`,
    ].join('');
    const manifests = [luManifest, manifest(BAD, partnerApis)];
    if (withMonitoring) manifests.push(manifest(STATS_PORTAL_HEI, `<monitoring xmlns="${MANIFEST_ENTRY.monitoring.ns}" version="0.2.0">${HTTPSIG}<url>${portal.url}/monitoring</url></monitoring>`));
    registry.build(manifests);
    node.registry.invalidate();
  };

  const fetchIia = (endpoint: 'get-url' | 'index-url' = 'get-url') =>
    node.client.call({ from: LU, to: BAD, api: 'iias', urlElement: endpoint, params: endpoint === 'get-url' ? [['iia_id', 'x-1']] : [] });

  before(async () => {
    registry = await new TestRegistry().start();
    partner = await listen();
    partner.server.on('request', partnerAnswer);
    portal = await listen();
    portal.server.on('request', (req, res) => {
      void bodyOf(req).then((body) => {
        const key = node.clientKey(LU);
        const sig = parseSignatureParams(String(req.headers.authorization ?? '').replace(/^Signature /, ''));
        const get = (n: string) => {
          const v = req.headers[n];
          return Array.isArray(v) ? v.join(', ') : v;
        };
        const signed =
          sig !== undefined &&
          REQUIRED_REQUEST_HEADERS.every((h) => sig.headers.includes(h)) &&
          rsaVerify(signingString(sig.headers, get, `${req.method!.toLowerCase()} ${req.url}`).text, sig.signature, key.publicKey) &&
          digestMatches(get('digest'), body);
        reports.push({ params: Object.fromEntries(new URLSearchParams(body.toString('utf8'))), signedBy: signed ? sig.keyId : undefined });
        res.writeHead(200, { 'content-type': 'application/xml' }).end(`<monitoring-response xmlns="https://github.com/erasmus-without-paper/ewp-specs-api-monitoring/tree/stable-v1"/>`);
      });
    });
    lu = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', registryUrl: registry.url });
    node = lu.hub.ewp!;
    luManifest = (await rawRequest(new URL(`${lu.base}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
  });

  after(async () => {
    await lu?.close();
    await partner?.close();
    await portal?.close();
    await registry?.close();
  });

  beforeEach(() => {
    reports.length = 0;
  });

  it('a partner’s 500 is reported once, signed by the calling HEI, with the fields the spec asks (the partner’s developer-message without personal codes)', async () => {
    catalogue(true);
    partnerStatus = 500;
    await assert.rejects(fetchIia(), TransportError);
    await node.monitoring.settled();
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.signedBy, node.clientKey(LU).keyId, 'an EWP-signed request with lu.lv’s client key');
    assert.deepEqual(reports[0]!.params, {
      server_hei_id: BAD,
      api_name: 'iias',
      endpoint_name: 'get',
      http_code: '500',
      server_message: 'iia lookup failed for [personal-code] (test 500)',
      client_message: `${BAD} iias answered HTTP 500: iia lookup failed for [personal-code] (test 500)`,
    });

    // The same failure again within the period: not reported again.
    await assert.rejects(fetchIia(), TransportError);
    await node.monitoring.settled();
    assert.equal(reports.length, 1);

    // Another reason (a 400) and another endpoint: each reported once.
    partnerStatus = 400;
    await assert.rejects(fetchIia(), SinkRejectedError);
    await assert.rejects(fetchIia('index-url'), SinkRejectedError);
    await assert.rejects(fetchIia(), SinkRejectedError);
    await node.monitoring.settled();
    assert.deepEqual(
      reports.map((r) => [r.params.endpoint_name, r.params.http_code]),
      [
        ['get', '500'],
        ['get', '400'],
        ['index', '400'],
      ],
    );
    const metrics = await lu.hub.metrics.registry.getSingleMetricAsString('hub_ewp_monitoring_reports_total');
    assert.match(metrics, /outcome="sent"} 3/);
    assert.match(metrics, /outcome="suppressed"} 2/);
  });

  it('no answer at all: reported with an empty http_code and server_message and the client’s description; Echo failures are never reported', async () => {
    catalogue(true);
    await partner.close();
    try {
      await assert.rejects(fetchIia(), TransportError);
      await assert.rejects(node.client.call({ from: LU, to: BAD, api: 'echo', urlElement: 'url' }), TransportError);
      await node.monitoring.settled();
      assert.equal(reports.length, 1, 'the IIAs failure only (Echo is excluded by the spec)');
      const p = reports[0]!.params;
      assert.equal(p.api_name, 'iias');
      assert.equal(p.http_code, '');
      assert.equal(p.server_message, '');
      assert.match(p.client_message!, /ECONNREFUSED|connect/);
    } finally {
      partner = await listen();
      partner.server.on('request', partnerAnswer);
    }
  });

  it('a 200 whose document is not what the API returns fails the call and is reported (http_code 200, no server_message)', async () => {
    catalogue(true);
    partnerStatus = 200;
    await assert.rejects(node.client.call({ from: LU, to: BAD, api: 'iias', urlElement: 'get-url', params: [['iia_id', 'x-2']], expect: ['iias-get-response', NS.iiasGet] }), (e: Error) =>
      /expected <iias-get-response>/.test(e.message),
    );
    await node.monitoring.settled();
    assert.equal(reports.length, 1);
    assert.equal(reports[0]!.params.http_code, '200');
    assert.equal(reports[0]!.params.server_message, '');
    assert.match(reports[0]!.params.client_message!, /expected <iias-get-response> .* got <iias-response> in urn:not-ewp/);
  });

  it('an IIA whose served iia-hash is not its hash: the fetch goes on (hashOk false) and the wrong data is reported once', async () => {
    catalogue(true);
    partnerStatus = 200;
    const iia = iiaElement(LU, { ...luIia(), id: 'x', version: 1 })!;
    const body = toXml(el('iias-get-response', IIA_NAMESPACES, iia.element)).replace(iia.hash, '0'.repeat(64));
    partnerDocument = body;
    try {
      for (let i = 0; i < 2; i++) {
        const got = await fetchPartnerIias(node, node.settings.heis.get(LU)!, BAD, [LU_IIA]);
        assert.equal(got.length, 1);
        assert.equal(got[0]!.hashOk, false);
      }
      await node.monitoring.settled();
      assert.equal(reports.length, 1, 'once in the period');
      assert.equal(reports[0]!.params.http_code, '200');
      assert.equal(reports[0]!.params.endpoint_name, 'get');
      assert.match(reports[0]!.params.client_message!, new RegExp(`iia-hash served for IIA ${LU_IIA} is not the hash`));
    } finally {
      partnerDocument = undefined;
    }
  });

  it('a registry without a Monitoring API: nothing sent and no error beyond the failed call’s own', async () => {
    catalogue(false);
    partnerStatus = 503;
    await assert.rejects(fetchIia(), TransportError);
    await node.monitoring.settled();
    assert.equal(reports.length, 0);
    const metrics = await lu.hub.metrics.registry.getSingleMetricAsString('hub_ewp_monitoring_reports_total');
    assert.doesNotMatch(metrics, /outcome="failed"}/);
  });
});
