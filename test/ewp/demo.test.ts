import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { get } from 'node:https';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { IIA_ID, OMOBILITY_ID } from '../../src/demo/ewp-records.ts';
import { catalogueFromManifests, LocalRegistry } from '../../src/demo/ewp-registry.ts';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { MANIFEST_ENTRY } from '../../src/ewp/xml/ns.ts';
import { parseXml } from '../../src/ewp/xml/parse.ts';
import { eventually } from '../helpers/eventually.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { assertValid, MANIFEST_IMPORTS } from './helpers/xsd.ts';

const TOKEN = 'change-me-to-something-long';
/** A message whose record was stored (and handed on to the routes). */
const STORED = new Set(['committed', 'published', 'delivered']);
const WAIT = 90_000;

/** A GET over https trusting the given CA (the demo's development CA, read from its data dir), else the usual roots. */
function httpsGet(url: string, ca?: string): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    get(url, ca ? { ca } : {}, (res) => {
      const chunks: Buffer[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: Buffer.concat(chunks).toString('utf8') }));
    }).on('error', reject);
  });
}

/**
 * `hub demo` as `npm start` runs it (no config file), without what is not tested here: the Node-RED
 * editor, the feed, and most of the simulated students (20 a system instead of 200 and 150).
 */
function startDemo(dir: string, port: number, extra: Record<string, string> = {}): HubProcess {
  return runHub(['demo', '--no-feed', '--students', '20'], {
    HUB_DATA_DIR: join(dir, 'data'),
    PORT: String(port),
    HUB_ADMIN_TOKEN: TOKEN,
    HUB_NODERED: 'off',
    HUB_CONFIG: '',
    DATABASE_URL: '',
    AMQP_URL: '',
    ...extra,
  });
}

describe('the demo’s EWP node (hub demo)', function () {
  this.timeout(240_000);
  let dir: string;
  let port: number;
  let hub: HubProcess;
  let publicUrl: string;
  const api = async (path: string) => {
    const res = await fetch(`http://127.0.0.1:${port}${path}`, { headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(res.status, 200, `${path}: ${res.status}`);
    return (await res.json()) as { items: Record<string, unknown>[] };
  };

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'hub-demo-ewp-'));
    port = await freePort();
    hub = startDemo(dir, port);
    const line = await hub.waitFor(/EWP node of [^\n]*manifest\.xml/, 120_000);
    publicUrl = /(https:\/\/127\.0\.0\.1:\d+)\/ewp\//.exec(line)![1]!;
  });
  after(async () => {
    await hub?.kill('SIGTERM');
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('serves lu.lv’s manifest over https with the development certificate, valid against Discovery 6, naming the https endpoints', async () => {
    const ca = readFileSync(join(dir, 'data', 'ewp-tls', 'ca.cert.pem'), 'utf8');
    const res = await eventually(
      async () => {
        const r = await httpsGet(`${publicUrl}/ewp/lu.lv/manifest.xml`, ca);
        return r.status === 200 ? r : undefined;
      },
      WAIT,
      'the manifest over https',
    );
    await assertValid(MANIFEST_IMPORTS, res.body);
    assert.match(res.body, new RegExp(`<url>${publicUrl}/ewp/lu\\.lv/echo</url>`));
    assert.match(res.body, /<r:hei id="lu\.lv">/);
    // The hub's own port serves it too (what a TLS terminator forwards to), with the same https URLs.
    const plain = await fetch(`http://127.0.0.1:${port}/ewp/lu.lv/manifest.xml`);
    assert.match(await plain.text(), new RegExp(`<url>${publicUrl}/ewp/lu\\.lv/iia-cnr</url>`));
    // Without the demo's CA the certificate is not trusted: it is a development one.
    await assert.rejects(httpsGet(`${publicUrl}/ewp/lu.lv/manifest.xml`), /certificate/);
  });

  it('lists the demo HEIs in a catalogue built from their manifests, with their keys', async () => {
    const ca = readFileSync(join(dir, 'data', 'ewp-tls', 'ca.cert.pem'), 'utf8');
    const manifests = await Promise.all(['lu.lv', 'rtu.lv'].map(async (h) => (await httpsGet(`${publicUrl}/ewp/${h}/manifest.xml`, ca)).body));
    const catalogue = new Catalogue(parseXml(catalogueFromManifests(manifests)));
    const { ns, name } = MANIFEST_ENTRY.iiaCnr;
    assert.equal(catalogue.apis('rtu.lv', ns, name).length, 1);
    assert.equal(catalogue.apis('lu.lv', ns, name).length, 1);
    const luKey = /<client-credentials-in-use><rsa-public-key>([^<]+)</.exec(manifests[0]!)![1]!;
    const sha = catalogue.hosts.find((h) => h.heis.includes('lu.lv'))!.clientKeys[0]!;
    assert.equal(catalogue.keyBySha(sha), luKey.replace(/\s+/g, ''));
    assert.deepEqual(catalogue.heisCoveredByClientKey(sha), ['lu.lv']);

    // The local registry answers 503 until it has a catalogue (a client keeps its cached copy), then serves it with an ETag.
    const registry = await new LocalRegistry().start();
    try {
      assert.equal((await fetch(registry.url)).status, 503);
      registry.publish(manifests);
      const first = await fetch(registry.url);
      assert.equal(first.status, 200);
      assert.equal(new Catalogue(parseXml(await first.text())).hosts.length, 2);
      const again = await fetch(registry.url, { headers: { 'if-none-match': first.headers.get('etag')! } });
      assert.equal(again.status, 304);
    } finally {
      await registry.close();
    }
  });

  it('the scripted exchange reaches the other HEI: rtu.lv holds lu.lv’s IIA and the nomination, lu.lv the transcript', async () => {
    const nominations = await eventually(
      async () => {
        const items = (await api('/api/v1/ewp/rtu.lv/incoming-mobilities')).items;
        return items.some((m) => m.omobilityId === OMOBILITY_ID) ? items : undefined;
      },
      WAIT,
      'rtu.lv listing the nomination',
    );
    const nomination = nominations.find((m) => m.omobilityId === OMOBILITY_ID)!;
    assert.equal(nomination.status, 'nominated');
    assert.equal(nomination.sendingInstitution, 'lu.lv');
    // Each side's EWP source wrote what it fetched from the other: the message browser shows it.
    const iia = await eventually(
      async () => (await api('/api/v1/messages?source=rtu-ewp&entity=inter-institutional-agreement')).items.find((m) => STORED.has(String(m.status))),
      WAIT,
      'rtu.lv storing lu.lv’s IIA',
    );
    assert.equal(iia.institution, 'rtu.lv');
    const tor = await eventually(
      async () => {
        const items = (await api('/api/v1/messages?source=lu-ewp&entity=attainment')).items.filter((m) => STORED.has(String(m.status)));
        return items.length >= 2 ? items : undefined;
      },
      WAIT,
      'lu.lv storing the transcript’s results',
    );
    assert.ok(tor.every((m) => m.institution === 'lu.lv'));
    await hub.waitFor(`EWP demo exchange done: lu.lv → rtu.lv IIA ${IIA_ID}, nomination ${OMOBILITY_ID}`, WAIT);
  });

  it('at a restart keeps its keys and certificate, and finds the exchange done', async () => {
    const ca = readFileSync(join(dir, 'data', 'ewp-tls', 'ca.cert.pem'), 'utf8');
    const clientKey = (xml: string) => /<client-credentials-in-use><rsa-public-key>([^<]+)</.exec(xml)![1]!;
    const before = clientKey((await httpsGet(`${publicUrl}/ewp/lu.lv/manifest.xml`, ca)).body);
    await hub.kill('SIGTERM');
    hub = startDemo(dir, port);
    const line = await hub.waitFor(/EWP node of [^\n]*manifest\.xml/, 120_000);
    publicUrl = /(https:\/\/127\.0\.0\.1:\d+)\/ewp\//.exec(line)![1]!;
    await hub.waitFor(`EWP demo exchange done: lu.lv → rtu.lv IIA ${IIA_ID}`, WAIT);
    assert.equal(readFileSync(join(dir, 'data', 'ewp-tls', 'ca.cert.pem'), 'utf8'), ca, 'the same development CA');
    const after = await httpsGet(`${publicUrl}/ewp/lu.lv/manifest.xml`, ca);
    assert.equal(clientKey(after.body), before, 'the same client key');
    assert.doesNotMatch(hub.output(), /generated new EWP keys/);
  });

  it('HUB_EWP=off leaves the EWP node out of the demo', async () => {
    const other = mkdtempSync(join(tmpdir(), 'hub-demo-noewp-'));
    const otherPort = await freePort();
    const off = startDemo(other, otherPort, { HUB_EWP: 'off' });
    try {
      await off.waitFor('Study-data hub demo is running', 120_000);
      const res = await fetch(`http://127.0.0.1:${otherPort}/ewp/lu.lv/manifest.xml`);
      assert.equal(res.status, 404);
      assert.doesNotMatch(off.output(), /EWP node of/);
    } finally {
      await off.kill('SIGTERM');
      rmSync(other, { recursive: true, force: true });
    }
  });
});
