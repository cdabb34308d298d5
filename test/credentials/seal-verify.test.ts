import assert from 'node:assert/strict';
import { X509Certificate, createHash, createPrivateKey, sign as nodeSign, verify as nodeVerify } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { JsonObject } from '../../src/core/types.ts';
import { buildDegreeCredential, buildMicroCredential } from '../../src/credentials/build.ts';
import { createDevSealKeys, fileSigner, readSealKeys, type SealKeys, type Signer } from '../../src/credentials/keys.ts';
import { issuerSerialKid, seal, type SealedCredential } from '../../src/credentials/seal.ts';
import { MAX_SEALED_BYTES, verifyCredential, type CheckName, type Verdict, type VerifyOptions } from '../../src/credentials/verify.ts';
import { attainment, award, course, edcValidator, elmFile, errorsOf, issuer, person, programme } from './helpers.ts';

const NOW = new Date('2025-07-01T10:00:00Z');
/** Development certificates valid from here for two years (the tests run on a fixed clock). */
const FROM = { notBefore: new Date('2025-01-01T00:00:00Z') };
const STATUS = { url: 'https://hub.example.lv/status/lu.lv/1', index: 42 };

function failed(v: Verdict): CheckName[] {
  return v.checks.filter((c) => !c.passed).map((c) => c.name);
}

function check(v: Verdict, name: CheckName) {
  const c = v.checks.find((x) => x.name === name);
  assert.ok(c, `a ${name} check`);
  return c;
}

/** The JWS signing input of an unencoded-payload JWS (RFC 7797 §3), built here without the code under test. */
function signingInput(s: SealedCredential): Buffer {
  const sig = s.signatures[0] as { protected: string };
  return Buffer.concat([Buffer.from(`${sig.protected}.`, 'ascii'), Buffer.from(s.payload, 'utf8')]);
}

function headerOf(s: SealedCredential): JsonObject {
  return JSON.parse(Buffer.from((s.signatures[0] as { protected: string }).protected, 'base64url').toString('utf8')) as JsonObject;
}

describe('credentials: seal and verify (JAdES baseline-B, JWS JSON)', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'cred-keys-'));
  const otherDir = mkdtempSync(join(tmpdir(), 'cred-keys-other-'));
  after(() => {
    rmSync(dir, { recursive: true, force: true });
    rmSync(otherDir, { recursive: true, force: true });
  });
  let lu: SealKeys & { caCertificatePem: string };
  let rtu: SealKeys & { caCertificatePem: string };
  let signer: Signer;
  let degree: JsonObject;
  let opts: VerifyOptions;

  before(async () => {
    lu = await createDevSealKeys(dir, 'lu.lv', FROM);
    rtu = await createDevSealKeys(dir, 'rtu.lv', { ...FROM, algorithm: 'RS256' });
    signer = fileSigner(readSealKeys(dir, 'lu.lv'));
    degree = buildDegreeCredential({ award, person, programme, issuer, credentialId: 'urn:credential:0b6c7d1e-1a2b-4c3d-8e9f-0a1b2c3d4e5f', issuedAt: NOW, statusListEntry: STATUS });
    opts = { trustAnchors: [lu.caCertificatePem, rtu.caCertificatePem], knownIssuers: ['lu.lv', 'rtu.lv'], isRevoked: async () => false, now: NOW };
  });

  it('seals with the JAdES header of the EDC sample (b64 false, crit b64+sigT, x5c, x5t#S256, kid) and the credential attached as its JSON text', async () => {
    const s = await seal(degree, signer, NOW);
    assert.deepEqual(Object.keys(s), ['payload', 'signatures']);
    assert.equal(s.signatures.length, 1);
    assert.deepEqual(JSON.parse(s.payload), degree, 'the payload is the credential itself, not base64');
    const h = headerOf(s);
    assert.deepEqual(Object.keys(h), ['alg', 'cty', 'kid', 'x5t#S256', 'x5c', 'typ', 'b64', 'sigT', 'crit']);
    assert.equal(h.alg, 'ES256');
    assert.equal(h.b64, false);
    assert.deepEqual(h.crit, ['b64', 'sigT']);
    assert.equal(h.sigT, '2025-07-01T10:00:00Z');
    assert.equal(h.typ, 'jose+json');
    assert.equal(h.cty, 'octet-stream');
    const x5c = h.x5c as string[];
    assert.equal(x5c.length, 2, 'seal certificate and its CA');
    assert.equal(
      h['x5t#S256'],
      createHash('sha256')
        .update(Buffer.from(x5c[0] as string, 'base64'))
        .digest('base64url'),
    );
    assert.equal(new X509Certificate(Buffer.from(x5c[1] as string, 'base64')).fingerprint256, new X509Certificate(lu.caCertificatePem).fingerprint256);
  });

  it('makes a signature that an independent implementation (node:crypto on a hand-built signing input) verifies, ES256 and RS256', async () => {
    for (const heiId of ['lu.lv', 'rtu.lv']) {
      const s = await seal(degree, fileSigner(readSealKeys(dir, heiId)), NOW);
      const h = headerOf(s);
      const leaf = new X509Certificate(Buffer.from((h.x5c as string[])[0] as string, 'base64'));
      const sig = Buffer.from((s.signatures[0] as { signature: string }).signature, 'base64url');
      const ok = h.alg === 'ES256' ? nodeVerify('sha256', signingInput(s), { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, sig) : nodeVerify('sha256', signingInput(s), leaf.publicKey, sig);
      assert.equal(ok, true, `${heiId} (${String(h.alg)}) verifies`);
      assert.equal(sig.length, h.alg === 'ES256' ? 64 : 256, 'ES256: the 64-byte r‖s; RS256: the 2048-bit modulus');
      const bad = Buffer.from(signingInput(s));
      bad.writeUInt8((bad.at(-2) as number) ^ 1, bad.length - 2);
      assert.equal(h.alg === 'ES256' ? nodeVerify('sha256', bad, { key: leaf.publicKey, dsaEncoding: 'ieee-p1363' }, sig) : nodeVerify('sha256', bad, leaf.publicKey, sig), false);
    }
  });

  it('verifies its own seal: every check passes', async () => {
    const s = await seal(degree, signer, NOW);
    const v = await verifyCredential(s, opts);
    assert.deepEqual(failed(v), [], JSON.stringify(v.checks, null, 1));
    assert.equal(v.valid, true);
    assert.deepEqual(
      v.checks.map((c) => c.name),
      ['format', 'signature', 'chain', 'issuer', 'integrity', 'schema', 'revocation', 'validity'],
    );
    assert.equal(v.heiId, 'lu.lv');
    assert.equal(v.signedAt, '2025-07-01T10:00:00Z');
    assert.deepEqual(v.credential, degree);
    const asText = await verifyCredential(JSON.stringify(s), opts);
    assert.equal(asText.valid, true, 'the JSON text verifies as well as the object');
  });

  it('a micro-credential sealed by the RSA institution verifies, and a caller-given schema check (the EDC JSON Schema) runs', async function () {
    const validate = edcValidator(this, 'microcredential');
    const micro = buildMicroCredential({ attainment, course, person, issuer: { ...issuer, heiId: 'rtu.lv' }, credentialId: 'urn:credential:1', issuedAt: NOW });
    const s = await seal(micro, fileSigner(readSealKeys(dir, 'rtu.lv')), NOW);
    const validateSchema = (c: JsonObject) => (validate(c) ? [] : errorsOf(validate));
    const v = await verifyCredential(s, { ...opts, validateSchema });
    assert.deepEqual(failed(v), [], JSON.stringify(v.checks, null, 1));
    const other = await verifyCredential(await seal({ ...micro, displayParameter: undefined }, fileSigner(readSealKeys(dir, 'rtu.lv')), NOW), { ...opts, validateSchema });
    assert.deepEqual(failed(other), ['schema']);
    assert.match(check(other, 'schema').reason, /displayParameter/);
  });

  it('a tampered payload fails the signature check', async () => {
    const s = await seal(degree, signer, NOW);
    const tampered = { ...s, payload: s.payload.replace('Bērziņš', 'Bērziņa') };
    assert.notEqual(tampered.payload, s.payload);
    const v = await verifyCredential(tampered, opts);
    assert.equal(v.valid, false);
    assert.deepEqual(failed(v), ['signature']);
    const reordered = { ...s, payload: JSON.stringify(JSON.parse(s.payload), null, 1) };
    assert.deepEqual(failed(await verifyCredential(reordered, opts)), ['signature'], 'the same credential in other whitespace is not what was signed');
  });

  it('a seal under a CA that is not trusted fails the chain check', async () => {
    const foreign = await createDevSealKeys(otherDir, 'lu.lv', FROM);
    const s = await seal(degree, fileSigner(readSealKeys(otherDir, 'lu.lv')), NOW);
    const v = await verifyCredential(s, opts);
    assert.deepEqual(failed(v), ['chain']);
    assert.match(check(v, 'chain').reason, /no trusted CA issued/);
    assert.equal((await verifyCredential(s, { ...opts, trustAnchors: [foreign.caCertificatePem] })).valid, true, 'trusted once its CA is an anchor');
    const leafAsAnchor = await verifyCredential(s, { ...opts, trustAnchors: [foreign.certificatePem] });
    assert.deepEqual(failed(leafAsAnchor), ['chain'], 'the seal certificate itself is no anchor');
  });

  it('an expired seal certificate fails the validity check (and a sigT outside the certificate too)', async () => {
    const expiredDir = mkdtempSync(join(tmpdir(), 'cred-keys-expired-'));
    try {
      const old = await createDevSealKeys(expiredDir, 'lu.lv', { notBefore: new Date('2022-01-01T00:00:00Z'), notAfter: new Date('2024-01-01T00:00:00Z') });
      const withOld = { ...opts, trustAnchors: [old.caCertificatePem] };
      const signedThen = await seal(degree, fileSigner(readSealKeys(expiredDir, 'lu.lv')), new Date('2023-06-30T12:00:00Z'));
      const v = await verifyCredential(signedThen, withOld);
      assert.deepEqual(failed(v), ['validity']);
      assert.match(check(v, 'validity').reason, /expired/);
      assert.equal((await verifyCredential(signedThen, { ...withOld, now: new Date('2023-07-01T00:00:00Z') })).valid, true, 'valid while the certificate was');
      const signedAfter = await seal(degree, fileSigner(readSealKeys(expiredDir, 'lu.lv')), NOW);
      assert.match(check(await verifyCredential(signedAfter, withOld), 'validity').reason, /sigT .* outside the seal certificate's validity/);
    } finally {
      rmSync(expiredDir, { recursive: true, force: true });
    }
  });

  it('a revoked credential fails the revocation check; so does one whose status cannot be read or was not looked up', async () => {
    const s = await seal(degree, signer, NOW);
    const asked: [string, number][] = [];
    const revoked = await verifyCredential(s, {
      ...opts,
      isRevoked: async (url, index) => {
        asked.push([url, index]);
        return true;
      },
    });
    assert.deepEqual(failed(revoked), ['revocation']);
    assert.deepEqual(asked, [[STATUS.url, STATUS.index]]);
    assert.match(check(revoked, 'revocation').reason, /revoked/);
    const down = await verifyCredential(s, {
      ...opts,
      isRevoked: async () => {
        throw new Error('connect ECONNREFUSED 127.0.0.1:9');
      },
    });
    assert.deepEqual(failed(down), ['revocation']);
    assert.match(check(down, 'revocation').reason, /could not be read/);
    const { isRevoked: _i, ...noLookup } = opts;
    assert.match(check(await verifyCredential(s, noLookup), 'revocation').reason, /not checked/);
  });

  it('an issuer the verifier does not know, or a seal certificate of another institution, fails the issuer check', async () => {
    const s = await seal(degree, signer, NOW);
    const unknown = await verifyCredential(s, { ...opts, knownIssuers: ['rtu.lv'] });
    assert.deepEqual(failed(unknown), ['issuer']);
    assert.match(check(unknown, 'issuer').reason, /lu\.lv is not a known issuer/);
    const byRtu = await verifyCredential(await seal(degree, fileSigner(readSealKeys(dir, 'rtu.lv')), NOW), opts);
    assert.deepEqual(failed(byRtu), ['issuer'], 'rtu.lv may not seal a credential lu.lv issued');
    assert.match(check(byRtu, 'issuer').reason, /not lu\.lv's/);
    const rtuLeaf = new X509Certificate(rtu.certificatePem);
    const listed = await verifyCredential(await seal(degree, fileSigner(readSealKeys(dir, 'rtu.lv')), NOW), {
      ...opts,
      issuerCertificates: { 'lu.lv': [createHash('sha256').update(rtuLeaf.raw).digest('base64url')] },
    });
    assert.equal(listed.valid, true, 'a certificate listed for the institution is accepted');
    const foreignIssuer = await verifyCredential(await seal({ ...degree, issuer: { id: 'urn:epass:org:1' } }, signer, NOW), opts);
    assert.ok(failed(foreignIssuer).includes('issuer'));
  });

  it('a header that names another certificate than the one in x5c fails the integrity check', async () => {
    const s = await seal(degree, signer, NOW);
    const h = headerOf(s);
    h['x5t#S256'] = createHash('sha256').update(new X509Certificate(rtu.certificatePem).raw).digest('base64url');
    const protectedB64 = Buffer.from(JSON.stringify(h)).toString('base64url');
    const input = Buffer.concat([Buffer.from(`${protectedB64}.`), Buffer.from(s.payload, 'utf8')]);
    const signature = nodeSign('sha256', input, { key: createPrivateKey(lu.privateKeyPem), dsaEncoding: 'ieee-p1363' }).toString('base64url');
    const v = await verifyCredential({ payload: s.payload, signatures: [{ protected: protectedB64, signature }] }, opts);
    assert.deepEqual(failed(v), ['integrity']);
  });

  it('malformed and oversized input fails the format check and never throws', async () => {
    const s = await seal(degree, signer, NOW);
    const sig = s.signatures[0] as { protected: string; signature: string };
    const withHeader = (change: (h: JsonObject) => void) => {
      const h = headerOf(s);
      change(h);
      return { payload: s.payload, signatures: [{ protected: Buffer.from(JSON.stringify(h)).toString('base64url'), signature: sig.signature }] };
    };
    const cases: [string, unknown, RegExp][] = [
      ['not JSON', '{"payload": ', /not JSON/],
      ['a number', 42, /not a sealed credential/],
      ['null', null, /not a sealed credential/],
      ['an array', '[1,2]', /not an object/],
      ['no signatures', { payload: s.payload, signatures: [] }, /exactly one signature/],
      ['detached payload', { signatures: s.signatures }, /no attached payload/],
      ['header not base64url', { payload: s.payload, signatures: [{ protected: '***', signature: sig.signature }] }, /not base64url/],
      ['header not JSON', { payload: s.payload, signatures: [{ protected: Buffer.from('nope').toString('base64url'), signature: sig.signature }] }, /not JSON/],
      ['alg none', withHeader((h) => (h.alg = 'none')), /not a seal algorithm/],
      ['b64 true', withHeader((h) => (h.b64 = true)), /b64 must be false/],
      ['crit without sigT', withHeader((h) => (h.crit = ['b64'])), /crit must list/],
      ['an unknown crit', withHeader((h) => ((h.crit = ['b64', 'sigT', 'exp']), (h.exp = 1))), /does not understand/],
      ['no x5c', withHeader((h) => delete h.x5c), /x5c/],
      ['x5c not a certificate', withHeader((h) => (h.x5c = ['AAAA'])), /not a certificate/],
      ['payload not JSON', { ...s, payload: 'hello' }, /payload is not JSON/],
      ['oversized', { ...s, payload: JSON.stringify({ ...degree, pad: 'x'.repeat(MAX_SEALED_BYTES) }) }, /too large/],
    ];
    for (const [what, input, reason] of cases) {
      const v = await verifyCredential(input, opts);
      assert.equal(v.valid, false, what);
      assert.equal(v.checks.length, 8, what);
      assert.equal(check(v, 'format').passed, false, what);
      assert.match(check(v, 'format').reason, reason, what);
    }
    const badOpts = await verifyCredential(s, { now: new Date('nope') } as unknown as VerifyOptions);
    assert.equal(badOpts.valid, false, 'missing options are failed checks, not a throw');
  });

  it('reproduces the kid (IssuerSerial) of the official signed sample, and reads its format; its signature verifies with its own certificate, which no trusted CA issued', async function () {
    const file = elmFile(this, 'elm-v3/examples/Sample-MC-Annex1-signed.jsonld');
    const text = readFileSync(file, 'utf8');
    const sample = JSON.parse(text) as SealedCredential;
    const h = headerOf(sample);
    assert.deepEqual(h.crit, ['b64', 'sigT', 'adoTst']);
    assert.equal(issuerSerialKid(Buffer.from((h.x5c as string[])[0] as string, 'base64')), h.kid);
    const v = await verifyCredential(text, { ...opts, now: new Date('2023-10-01T00:00:00Z') });
    const passed = v.checks.filter((c) => c.passed).map((c) => c.name);
    assert.deepEqual(passed, ['format', 'signature', 'integrity', 'schema', 'revocation', 'validity'], JSON.stringify(v.checks, null, 1));
    assert.deepEqual(failed(v), ['chain', 'issuer']);
    assert.match(check(v, 'chain').reason, /ANF AC Qualified Certificates for eSeal/);
    assert.match(check(v, 'issuer').reason, /urn:epass:org:1/);
    assert.equal(v.signedAt, '2023-09-27T11:54:17Z');
    const today = await verifyCredential(text, opts);
    assert.match(check(today, 'validity').reason, /expired May 10 14:31:15 2025 GMT/, 'its certificate expired in May 2025');
  });
});
