import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { sha256Digest } from '../../src/ewp/security/digest.ts';
import { generateEwpKey, type EwpKey } from '../../src/ewp/security/keys.ts';
import { responseSignatureProblem } from '../../src/ewp/security/response.ts';
import { parseXml } from '../../src/ewp/xml/parse.ts';
import { LU, VU } from './helpers/data.ts';
import { ewpCall, ewpHub, rawRequest, TestRegistry, type EwpTestHub } from './helpers/ewp.ts';
import { assertValid, MANIFEST_IMPORTS, XSD } from './helpers/xsd.ts';

const PUBLIC = `https://ewp.hub.example/ewp/${LU}`;

describe('EWP security: manifest, HTTP Signatures, Echo', function () {
  this.timeout(60_000);
  let registry: TestRegistry;
  let hub: EwpTestHub;
  let vuKey: EwpKey;
  let strangerKey: EwpKey;
  let manifest: string;

  const echo = (o: Omit<Parameters<typeof ewpCall>[0], 'url' | 'key'> & { key?: EwpKey } = {}) =>
    ewpCall({
      url: `${PUBLIC}/echo`,
      connect: hub.url,
      key: vuKey,
      params: [
        ['echo', 'a'],
        ['echo', 'b'],
      ],
      ...o,
    });

  before(async () => {
    registry = await new TestRegistry().start();
    hub = await ewpHub({ hei: LU, name: 'Latvijas Universitāte', erasmus: 'LV RIGA01', registryUrl: registry.url, publicBase: PUBLIC });
    vuKey = generateEwpKey();
    strangerKey = generateEwpKey();
    manifest = (await rawRequest(new URL(`${hub.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0))).body;
    registry.build([manifest], [{ heis: [VU], clientKeys: [vuKey] }]);
  });

  after(async () => {
    await hub?.close();
    await registry?.close();
  });

  it('serves a public Discovery v6 manifest per HEI that validates with every API entry', async () => {
    const res = await rawRequest(new URL(`${hub.url}/ewp/${LU}/manifest.xml`), 'GET', {}, Buffer.alloc(0));
    assert.equal(res.status, 200);
    assert.match(String(res.headers['content-type']), /application\/xml/);
    await assertValid(MANIFEST_IMPORTS, res.body);
    const doc = parseXml(res.body);
    assert.equal(doc.local, 'manifest');
    for (const api of ['echo', 'iias', 'iias-approval', 'omobilities', 'omobility-las', 'imobility-tors', 'iia-cnr', 'simple-course-replication']) assert.match(res.body, new RegExp(`<${api} xmlns=`));
    assert.doesNotMatch(res.body, /<factsheet xmlns=/, 'no factsheetFile: the Factsheet API is not advertised');
    assert.match(res.body, new RegExp(`<url>${PUBLIC}/echo</url>`));
    assert.match(res.body, /<r:hei id="lu.lv"><r:other-id type="erasmus">LV RIGA01<\/r:other-id>/);
    // The client key of the HEI and the server key, as base64 SPKI.
    assert.equal((res.body.match(/<rsa-public-key>MII/g) ?? []).length, 2);
    const other = await rawRequest(new URL(`${hub.url}/ewp/rtu.lv/manifest.xml`), 'GET', {}, Buffer.alloc(0));
    assert.equal(other.status, 404);
  });

  it('Echo: 200 with the caller’s HEIs and the echo values; XSD-valid', async () => {
    const res = await echo();
    assert.equal(res.status, 200, res.body);
    await assertValid(XSD.echo, res.body);
    assert.match(res.body, /<hei-id>vu.lt<\/hei-id><echo>a<\/echo><echo>b<\/echo>/);
    const get = await echo({ method: 'GET' });
    assert.equal(get.status, 200, get.body);
    assert.match(get.body, /<echo>a<\/echo>/);
  });

  it('signs the response when the client asked in a signed Accept-Signature, and the signature checks out', async () => {
    const res = await echo({ acceptSignature: true });
    assert.equal(res.status, 200);
    const catalogue = new Catalogue(parseXml(registry.catalogue));
    const host = catalogue.hosts.find((h) => h.heis.includes(LU))!;
    const get = (n: string) => res.headers[n] as string | undefined;
    assert.equal(responseSignatureProblem(get, res.bodyBytes, res, { catalogue, host, skewMs: 300_000 }), undefined);
    assert.equal(get('x-request-id'), res.requestId);
    // Tampering with the body is detected by the client check.
    assert.match(responseSignatureProblem(get, Buffer.from(res.body.replace('vu.lt', 'xx.lt')), res, { catalogue, host, skewMs: 300_000 }) ?? '', /Digest/);
  });

  it('401 with WWW-Authenticate and Want-Digest without an HTTP Signature; error-response XML', async () => {
    const res = await rawRequest(new URL(`${hub.url}/ewp/${LU}/echo`), 'GET', { host: 'ewp.hub.example' }, Buffer.alloc(0));
    assert.equal(res.status, 401);
    assert.match(String(res.headers['www-authenticate']), /^Signature realm="EWP"/);
    assert.equal(res.headers['want-digest'], 'SHA-256');
    await assertValid(XSD.error, res.body);
    assert.match(res.body, /<developer-message>/);
  });

  it('401 when the signature leaves out a required header (x-request-id)', async () => {
    const res = await echo({
      tamper: (h) => {
        h.authorization = h.authorization!.replace('headers="(request-target) host date digest x-request-id', 'headers="(request-target) host date digest');
      },
    });
    assert.equal(res.status, 401, res.body);
  });

  it('403 for a key the registry does not list (wrong key)', async () => {
    const res = await echo({ key: strangerKey });
    assert.equal(res.status, 403, res.body);
    assert.match(res.body, /not a client key/);
  });

  it('400 for a known keyId whose signature does not verify (signed with another key)', async () => {
    const res = await echo({
      key: strangerKey,
      tamper: (h) => {
        h.authorization = h.authorization!.replace(/keyId="[0-9a-f]+"/, `keyId="${vuKey.keyId}"`);
      },
    });
    assert.equal(res.status, 400, res.body);
    assert.match(res.body, /signature does not verify/);
  });

  it('400 for a bad Digest (body changed after signing)', async () => {
    const res = await echo({ tamperBody: () => Buffer.from('echo=changed') });
    assert.equal(res.status, 400);
    assert.match(res.body, /Digest/);
    const wrong = await echo({
      tamper: (h) => {
        h.digest = sha256Digest('something else');
      },
    });
    assert.equal(wrong.status, 400, 'a digest header changed after signing breaks the signature');
  });

  it('accepts a signed Digest header listing several algorithms with the right SHA-256', async () => {
    const res = await echo({
      prepare: (h) => {
        h.digest = `MD5=Xr4ilOzQ4PCOq3aQ0qbuaQ==, ${h.digest!.replace('SHA-256', 'sha-256')}`;
      },
    });
    assert.equal(res.status, 200, res.body);
  });

  it('400 for a Date outside the clock window (20 minutes ago), 200 just inside it', async () => {
    const old = await echo({ now: new Date(Date.now() - 20 * 60_000) });
    assert.equal(old.status, 400);
    assert.match(old.body, /off the server clock/);
    const future = await echo({ now: new Date(Date.now() + 20 * 60_000) });
    assert.equal(future.status, 400);
    const inside = await echo({ now: new Date(Date.now() - 4 * 60_000) });
    assert.equal(inside.status, 200, inside.body);
  });

  it('400 when a signed header is missing from the request', async () => {
    const res = await echo({
      tamper: (h) => {
        delete h.digest;
      },
    });
    assert.equal(res.status, 400);
    assert.match(res.body, /signed header 'digest' is missing/);
  });

  it('400 for a replayed X-Request-Id, and for one that is not a canonical UUID', async () => {
    const id = randomUUID();
    assert.equal((await echo({ requestId: id })).status, 200);
    const again = await echo({ requestId: id });
    assert.equal(again.status, 400);
    assert.match(again.body, /replayed/);
    const upper = await echo({ requestId: randomUUID().toUpperCase() });
    assert.equal(upper.status, 400);
  });

  it('400 when the Host is not the HEI’s host', async () => {
    const res = await ewpCall({ url: `https://other.example/ewp/${LU}/echo`, connect: hub.url, key: vuKey });
    assert.equal(res.status, 400);
    assert.match(res.body, /Host/);
  });

  it('ignores a skewed unsigned Original-Date, and signs when asked in an Accept-Signature its signature does not cover', async () => {
    const res = await echo({
      tamper: (h) => {
        h['original-date'] = new Date(Date.now() - 60 * 60_000).toUTCString();
        h['accept-signature'] = 'rsa-sha256';
      },
    });
    assert.equal(res.status, 200, res.body);
    const catalogue = new Catalogue(parseXml(registry.catalogue));
    const host = catalogue.hosts.find((h) => h.heis.includes(LU))!;
    assert.equal(
      responseSignatureProblem((n) => res.headers[n] as string | undefined, res.bodyBytes, res, { catalogue, host, skewMs: 300_000 }),
      undefined,
      'signed, and the signature checks out',
    );
  });

  it('signs an error response to an authenticated caller who asks', async () => {
    const res = await ewpCall({ url: `${PUBLIC}/iias/get`, connect: hub.url, key: vuKey, method: 'GET', params: [['hei_id', LU]], acceptSignature: true });
    assert.ok(res.status >= 400 && res.status < 500, `${res.status} ${res.body}`);
    assert.match(res.body, /<error-response/);
    const catalogue = new Catalogue(parseXml(registry.catalogue));
    const host = catalogue.hosts.find((h) => h.heis.includes(LU))!;
    assert.equal(
      responseSignatureProblem((n) => res.headers[n] as string | undefined, res.bodyBytes, res, { catalogue, host, skewMs: 300_000 }),
      undefined,
    );
  });

  it('accepts Original-Date signed instead of Date, extra signed headers and another header order', async () => {
    const res = await echo({
      prepare: (h, signed) => {
        h['original-date'] = h.date!;
        delete h.date;
        signed.splice(0, signed.length, 'x-request-id', 'digest', 'original-date', 'host', '(request-target)', 'content-type');
      },
    });
    assert.equal(res.status, 200, res.body);
    // The same list with a skewed Original-Date is refused: signed dates are checked.
    const skewed = await echo({
      prepare: (h, signed) => {
        h['original-date'] = new Date(Date.now() - 20 * 60_000).toUTCString();
        delete h.date;
        signed.splice(signed.indexOf('date'), 1, 'original-date');
      },
    });
    assert.equal(skewed.status, 400);
  });

  it('405 for another method, 404 for an unknown endpoint', async () => {
    const put = await echo({ method: 'PUT' });
    assert.equal(put.status, 405);
    assert.equal(put.headers.allow, 'GET, POST');
    const none = await ewpCall({ url: `${PUBLIC}/nothing`, connect: hub.url, key: vuKey });
    assert.equal(none.status, 404);
  });

  it('415 for a POST body that is not form-encoded', async () => {
    const res = await ewpCall({ url: `${PUBLIC}/echo`, connect: hub.url, key: vuKey, xml: '<x/>' });
    assert.equal(res.status, 415);
  });
});
