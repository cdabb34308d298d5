import assert from 'node:assert/strict';
import { createHash, createPrivateKey, createPublicKey } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Catalogue } from '../../src/ewp/registry/catalogue.ts';
import { digestMatches, sha256Digest } from '../../src/ewp/security/digest.ts';
import { parseSignatureParams, rsaSign, rsaVerify, signingString } from '../../src/ewp/security/httpsig.ts';
import { keyIdOf, publicKeyFromBase64 } from '../../src/ewp/security/keys.ts';
import { ReplayCache } from '../../src/ewp/security/replay.ts';
import { EwpAuthError } from '../../src/core/errors.ts';
import { verifyRequest } from '../../src/ewp/security/verify.ts';
import { parseXml } from '../../src/ewp/xml/parse.ts';
import { SqliteStore } from '../../src/store/sqlite/store.ts';
import { CAVAGE_PRIVATE_KEY, CAVAGE_PUBLIC_KEY, CAVAGE_REQUEST, CAVAGE_VECTORS } from './fixtures/cavage-vectors.ts';
import { requireSpecs } from './helpers/xsd.ts';

const publicKey = createPublicKey(CAVAGE_PUBLIC_KEY);
const privateKey = createPrivateKey(CAVAGE_PRIVATE_KEY);
const header = (name: string) => CAVAGE_REQUEST.headers[name];
const requestTarget = `${CAVAGE_REQUEST.method.toLowerCase()} ${CAVAGE_REQUEST.target}`;

describe('HTTP Signatures: the test values of draft-cavage-http-signatures (Appendix C)', () => {
  it('computes the Digest of the example body the draft prints (RFC 3230 / 5843, SHA-256)', () => {
    assert.equal(sha256Digest(CAVAGE_REQUEST.body), CAVAGE_REQUEST.headers.digest);
    assert.ok(digestMatches(CAVAGE_REQUEST.headers.digest, CAVAGE_REQUEST.body));
    assert.ok(!digestMatches(CAVAGE_REQUEST.headers.digest, `${CAVAGE_REQUEST.body} `));
  });

  for (const v of CAVAGE_VECTORS) {
    describe(v.name, () => {
      it('parses the Signature header: keyId, algorithm, the headers (date when none are listed), the signature', () => {
        const p = parseSignatureParams(v.signatureHeader);
        assert.deepEqual(p, { keyId: 'Test', algorithm: 'rsa-sha256', headers: v.headers, signature: v.signature });
      });

      it('builds the string to sign the draft prints', () => {
        assert.deepEqual(signingString(v.headers, header, requestTarget), { text: v.signingString });
      });

      it('verifies the published signature with the published public key', () => {
        assert.equal(rsaVerify(v.signingString, v.signature, publicKey), true);
      });

      it('reproduces the published signature with the published private key (rsa-sha256 is deterministic)', () => {
        assert.equal(rsaSign(signingString(v.headers, header, requestTarget).text, privateKey), v.signature);
      });

      it('refuses the signature for a request changed in a signed part', () => {
        const changed = (name: string) => (name === 'date' ? 'Sun, 05 Jan 2014 21:31:41 GMT' : header(name));
        assert.equal(rsaVerify(signingString(v.headers, changed, requestTarget).text, v.signature, publicKey), false);
        if (v.headers.includes('(request-target)')) assert.equal(rsaVerify(signingString(v.headers, header, 'post /foo?param=value&pet=cat').text, v.signature, publicKey), false);
      });
    });
  }

  it('the EWP verifier refuses the All Headers request as it stands: EWP also requires x-request-id to be signed (401)', async () => {
    // The registry lists the draft's key (by its SHA-256, as EWP names keys), so only the EWP profile can refuse.
    const sha = createHash('sha256')
      .update(publicKey.export({ type: 'spki', format: 'der' }))
      .digest('hex');
    const b64 = publicKey.export({ type: 'spki', format: 'der' }).toString('base64');
    const R = 'https://github.com/erasmus-without-paper/ewp-specs-api-registry/tree/stable-v1';
    const catalogue = new Catalogue(
      parseXml(
        `<catalogue xmlns="${R}"><host><institutions-covered><hei-id>example.com</hei-id></institutions-covered><client-credentials-in-use><rsa-public-key sha-256="${sha}"/></client-credentials-in-use></host><binaries><rsa-public-key sha-256="${sha}">${b64}</rsa-public-key></binaries></catalogue>`,
      ),
    );
    const store = new SqliteStore(':memory:');
    await ReplayCache.migrate(store.sql);
    const allHeaders = CAVAGE_VECTORS[2]!;
    try {
      await assert.rejects(
        verifyRequest(
          {
            method: CAVAGE_REQUEST.method,
            target: CAVAGE_REQUEST.target,
            headers: { ...CAVAGE_REQUEST.headers, authorization: `Signature ${allHeaders.signatureHeader.replace('keyId="Test"', `keyId="${sha}"`)}` },
            body: Buffer.from(CAVAGE_REQUEST.body),
          },
          { expectedHost: 'example.com', catalogue: async () => catalogue, replay: new ReplayCache(store.sql, 300_000), skewMs: 300_000, now: Date.parse(CAVAGE_REQUEST.headers.date!) },
        ),
        (e: unknown) => e instanceof EwpAuthError && e.status === 401 && /missing: x-request-id/.test(e.message),
      );
    } finally {
      await store.close();
    }
  });
});

describe('EWP: the official registry examples', () => {
  it('names a key by the SHA-256 of its SubjectPublicKeyInfo as the registry catalogue example does, and finds it as a client key', function () {
    const specs = requireSpecs(this);
    const xml = readFileSync(join(specs, 'ewp-specs-api-registry', 'catalogue-example.xml'), 'utf8');
    const catalogue = new Catalogue(parseXml(xml));
    const sha = '5531f9a02c44a894d0b706961259fec740ad4ae8a3555871f1a5cd9801285bd4';
    const b64 = catalogue.keyBySha(sha);
    assert.ok(b64, 'the example lists the key in <binaries>');
    assert.equal(keyIdOf(publicKeyFromBase64(b64)), sha);
    assert.equal(catalogue.isClientKey(sha), true);
    assert.deepEqual(catalogue.heisCoveredByClientKey(sha), ['uw.edu.pl']);
    // The manifest example publishes the same key (its text, without the fingerprint).
    const manifest = readFileSync(join(specs, 'ewp-specs-api-discovery', 'manifest-example.xml'), 'utf8');
    const published = /<client-credentials-in-use>(?:\s|<!--[^>]*-->)*<rsa-public-key>([^<]+)<\/rsa-public-key>/.exec(manifest)?.[1]?.replace(/\s+/g, '');
    assert.ok(published);
    assert.equal(keyIdOf(publicKeyFromBase64(published)), sha);
  });
});
