import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { generateEwpKey, type EwpKey } from '../../src/ewp/security/keys.ts';
import { MANIFEST_ENTRY } from '../../src/ewp/xml/ns.ts';
import { child, childText, children, parseXml } from '../../src/ewp/xml/parse.ts';
import { INCOMING, LU, VU, factsheet, laDraft, seed, vuIncoming } from './helpers/data.ts';
import { ewpCall, ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { assertValid, MANIFEST_IMPORTS, XSD } from './helpers/xsd.ts';

const REGISTRY_NS = 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1';
const LA_CNR_STATS_XSD = 'ewp-specs-api-omobility-la-cnr/endpoints/stats-response.xsd';

/** The API entries of a manifest with this element name and namespace. */
function entries(xml: string, api: keyof typeof MANIFEST_ENTRY) {
  const apis = child(child(parseXml(xml), 'host')!, 'apis-implemented', REGISTRY_NS)!;
  return children(apis, MANIFEST_ENTRY[api].name, MANIFEST_ENTRY[api].ns);
}

/** A learning agreement version of the mobility LU receives from VU (INCOMING). */
function incomingLa(changesId: string, extra: Record<string, unknown> = {}) {
  return laDraft(changesId, { sourceId: `IN-LA-${changesId}`, identifiers: [{ scheme: 'omobility-id', value: INCOMING }], mobility: { sourceId: `IN-${INCOMING}` }, omobilityId: INCOMING, ...extra });
}

describe('EWP manifest entries: the Factsheet API only with a factsheet, the LA CNR stats-url and its endpoint', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let withFactsheet: EwpTestHub;
  let without: EwpTestHub;
  let vuKey: EwpKey;
  let statsKey: EwpKey;
  const manifestOf = async (h: EwpTestHub) => (await rawRequest(new URL(`${h.url}${new URL(h.base).pathname}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;

  before(async () => {
    registry = await new TestRegistry().start();
    const dir = mkdtempSync(join(tmpdir(), 'ewp-fs-'));
    const factsheetFile = join(dir, 'factsheet.json');
    writeFileSync(factsheetFile, JSON.stringify(factsheet));
    withFactsheet = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', registryUrl: registry.url, factsheetFile, publicBase: `https://ewp.hub.example/ewp/${LU}` });
    without = await ewpHub({ hei: 'rtu.lv', name: 'Rīgas Tehniskā universitāte', registryUrl: registry.url, publicBase: 'https://ewp.rtu.example/ewp/rtu.lv' });
    vuKey = generateEwpKey();
    statsKey = generateEwpKey();
    registry.build(
      [await manifestOf(withFactsheet), await manifestOf(without)],
      [
        { heis: [VU], clientKeys: [vuKey] },
        { heis: ['stats.erasmuswithoutpaper.eu'], clientKeys: [statsKey] },
      ],
    );
  });

  after(async () => {
    await withFactsheet?.close();
    await without?.close();
    await registry?.close();
  });

  it('a HEI with a factsheet lists the Factsheet API; one without does not, and its factsheet endpoint answers as for an unknown HEI (200, empty); both manifests valid', async () => {
    const a = await manifestOf(withFactsheet);
    const b = await manifestOf(without);
    await assertValid(MANIFEST_IMPORTS, a);
    await assertValid(MANIFEST_IMPORTS, b);
    assert.equal(entries(a, 'factsheet').length, 1);
    assert.equal(childText(entries(a, 'factsheet')[0]!, 'url', MANIFEST_ENTRY.factsheet.ns), `${withFactsheet.base}/factsheet`);
    assert.equal(entries(b, 'factsheet').length, 0);
    assert.ok(entries(b, 'iias').length, 'the other APIs are still listed');
    const res = await ewpCall({ url: `${without.base}/factsheet`, connect: without.url, key: vuKey, params: [['hei_id', 'rtu.lv']] });
    assert.equal(res.status, 200, res.body);
    await assertValid(XSD.factsheet, res.body);
    assert.equal(children(parseXml(res.body), 'factsheet').length, 0);
    const full = await ewpCall({ url: `${withFactsheet.base}/factsheet`, connect: withFactsheet.url, key: vuKey, params: [['hei_id', LU]] });
    assert.equal(children(parseXml(full.body), 'factsheet').length, 1);
  });

  it('the omobility-la-cnr entry publishes stats-url, the LA CNR stats endpoint, valid against its manifest-entry XSD', async () => {
    const xml = await manifestOf(withFactsheet);
    const [e] = entries(xml, 'omobilityLaCnr');
    assert.ok(e);
    assert.equal(childText(e, 'url', MANIFEST_ENTRY.omobilityLaCnr.ns), `${withFactsheet.base}/omobility-la-cnr`);
    assert.equal(childText(e, 'stats-url', MANIFEST_ENTRY.omobilityLaCnr.ns), `${withFactsheet.base}/omobility-la-cnr/stats`);
    await assertValid(MANIFEST_IMPORTS, xml);
  });

  it('the LA CNR stats endpoint counts the LAs the HEI receives, per receiving year (stats clients only, 403 for partners); valid against las-incoming-stats-response', async () => {
    await seed(withFactsheet.hub, 'local', vuIncoming(INCOMING, LU, VU));
    await seed(withFactsheet.hub, 'local', { 'learning-agreement': [incomingLa(`${INCOMING}-v1`)] });
    const call = (key: EwpKey) => ewpCall({ url: `${withFactsheet.base}/omobility-la-cnr/stats`, connect: withFactsheet.url, key, method: 'GET' });
    let res = await call(statsKey);
    assert.equal(res.status, 200, res.body);
    await assertValid(LA_CNR_STATS_XSD, res.body);
    const row = (body: string) => {
      const y = children(parseXml(body), 'academic-year-la-stats');
      assert.equal(y.length, 1, body);
      const t = (n: string) => Number(childText(y[0]!, n));
      assert.equal(childText(y[0]!, 'receiving-academic-year-id'), '2025/2026');
      return [
        t('la-incoming-total'),
        t('la-incoming-some-version-approved'),
        t('la-incoming-latest-version-approved'),
        t('la-incoming-latest-version-rejected'),
        t('la-incoming-latest-version-awaiting'),
      ];
    };
    assert.deepEqual(row(res.body), [1, 0, 0, 0, 1], 'one LA awaiting the receiving HEI');
    // The receiving HEI approves it (its own system's decision, with the receiving signature).
    const approved = incomingLa(`${INCOMING}-v1`, {
      sourceId: `IN-LA-${INCOMING}-v1-decision`,
      status: 'approved',
      signatures: { ...laDraft().signatures, receiving: { name: 'Ona Vaitkutė', position: 'Koordinatorė', email: 'erasmus@lu.lv', timestamp: '2025-06-05T10:00:00+03:00' } },
    });
    await seed(withFactsheet.hub, 'local', { 'learning-agreement': [approved] });
    res = await call(statsKey);
    await assertValid(LA_CNR_STATS_XSD, res.body);
    assert.deepEqual(row(res.body), [1, 1, 1, 0, 0]);
    assert.equal((await call(vuKey)).status, 403, 'statistics are for the stats portal only');
  });
});
