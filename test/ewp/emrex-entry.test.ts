import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import request from 'supertest';
import { readSealKey } from '../../src/emrex/keys.ts';
import { sealKeysDir } from '../../src/emrex/seal-key.ts';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { contactPointsOf } from '../../src/ewp/registry/contact-points.ts';
import { EMREX_DATA_ACCESS_POINT } from '../../src/ewp/xml/ns.ts';
import { child, childText, children, parseXml, text } from '../../src/ewp/xml/parse.ts';
import { makeHub, type TestHub } from '../helpers/hub.ts';
import { LU } from './helpers/data.ts';
import { ewpConfig, TestRegistry } from './helpers/ewp.ts';
import { assertValid, MANIFEST_IMPORTS } from './helpers/xsd.ts';

const PUBLIC = `https://ewp.hub.example/ewp/${LU}`;
const { ns, name } = EMREX_DATA_ACCESS_POINT;

describe('EWP manifest: the EMREX contact point as an emrex-data-access-point entry', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  const hubs: TestHub[] = [];

  const hubWith = async (emrex: Record<string, unknown> | undefined): Promise<TestHub> => {
    const config = ewpConfig({ hei: LU, name: 'Latvijas Universitāte', baseUrl: PUBLIC, registryUrl: registry.url });
    config.institutions.push({ id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' });
    const t = await makeHub({ config: emrex ? { ...config, emrex } : config });
    hubs.push(t);
    return t;
  };
  const manifestOf = async (t: TestHub) => (await request(t.app).get(`/ewp/${LU}/manifest.xml`).expect(200)).text;

  before(async () => {
    registry = await new TestRegistry().start();
  });
  after(async () => {
    for (const h of hubs) await h.stop();
    await registry?.close();
  });

  it('is listed by default with an ewp section: the contact point URL, name, LV, every institution and the seal certificate; valid against the official XSD', async () => {
    const t = await hubWith(undefined);
    const xml = await manifestOf(t);
    await assertValid(MANIFEST_IMPORTS, xml);
    const apis = child(child(parseXml(xml), 'host')!, 'apis-implemented', 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1')!;
    const entries = children(apis, name, ns);
    assert.equal(entries.length, 1);
    const e = entries[0]!;
    assert.equal(childText(e, 'url', ns), 'https://ewp.hub.example/emrex/');
    assert.equal(childText(e, 'country-code', ns), 'LV');
    assert.match(childText(e, 'name', ns) ?? '', /EMREX contact point/);
    assert.deepEqual(
      children(e, 'institution', ns).map((i) => text(i)),
      [LU, 'rtu.lv'],
    );
    // The certificate is the one ELMO documents are sealed with (made at the first manifest: a development one).
    const seal = readSealKey(sealKeysDir(t.hub.config, t.hub.env.dataDir));
    assert.ok(seal, 'the seal key was made');
    const listed = new X509Certificate(Buffer.from(childText(e, 'certificate', ns)!, 'base64'));
    assert.equal(listed.fingerprint256, new X509Certificate(seal.certificatePem).fingerprint256);
  });

  it('is what the registry client reads back as a contact point, once per URL however many hosts list it', async () => {
    const t = await hubWith({ publicUrl: 'https://emrex.hub.example' });
    const xml = await manifestOf(t);
    await assertValid(MANIFEST_IMPORTS, xml);
    registry.build([xml, xml]);
    const points = contactPointsOf(new Catalogue(parseXml(registry.catalogue)));
    assert.equal(points.length, 1);
    assert.equal(points[0]!.url, 'https://emrex.hub.example/emrex/');
    assert.equal(points[0]!.countryCode, 'LV');
    assert.deepEqual(points[0]!.institutions, [LU, 'rtu.lv']);
    assert.equal(points[0]!.certificates.length, 1);
    assert.equal(points[0]!.listedIn, 'registry');
  });

  it('is left out with emrex.advertise false; the manifest stays valid', async () => {
    const t = await hubWith({ advertise: false });
    const xml = await manifestOf(t);
    await assertValid(MANIFEST_IMPORTS, xml);
    assert.doesNotMatch(xml, /emrex-data-access-point/);
  });
});
