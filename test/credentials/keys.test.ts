import assert from 'node:assert/strict';
import { X509Certificate } from 'node:crypto';
import { copyFileSync, mkdtempSync, rmSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError } from '../../src/core/errors.ts';
import { CHAIN, SEAL_CERT, SEAL_KEY, createDevSealKeys, fileSigner, readSealKeys } from '../../src/credentials/keys.ts';

describe('credentials: per-institution seal keys', function () {
  this.timeout(60_000);
  const dir = mkdtempSync(join(tmpdir(), 'cred-seal-'));
  after(() => rmSync(dir, { recursive: true, force: true }));

  it('makes a development CA and seal certificate per institution in <dir>/<heiId>/, the key readable by its owner only, once', async () => {
    const made = await createDevSealKeys(dir, 'lu.lv');
    assert.equal(made.created, true);
    assert.equal(made.algorithm, 'ES256');
    assert.equal(statSync(join(dir, 'lu.lv', SEAL_KEY)).mode & 0o777, 0o600);
    const leaf = new X509Certificate(made.certificatePem);
    const ca = new X509Certificate(made.caCertificatePem);
    assert.equal(leaf.ca, false);
    assert.equal(ca.ca, true);
    assert.ok(leaf.checkIssued(ca) && leaf.verify(ca.publicKey), 'the CA issued the seal certificate');
    assert.match(leaf.subjectAltName ?? '', /URI:urn:schac:homeOrganization:lu\.lv/);
    const again = await createDevSealKeys(dir, 'lu.lv');
    assert.equal(again.created, false);
    assert.equal(again.certificatePem, made.certificatePem, 'the same seal, not a new one');
    const read = readSealKeys(dir, 'lu.lv');
    assert.equal(read.chainPem, made.chainPem);
    const signer = fileSigner(read);
    assert.equal(signer.algorithm, 'ES256');
    assert.equal(signer.certificateChain.length, 2);
    assert.equal(signer.certificateChain[0], leaf.raw.toString('base64'));
  });

  it('says what is missing, and refuses a certificate that is not the key’s or a folder name that is not a SCHAC code', async () => {
    assert.throws(
      () => readSealKeys(dir, 'rtu.lv'),
      (e: unknown) => e instanceof ConfigError && /seal\.key\.pem, seal\.cert\.pem, chain\.pem missing/.test(e.message),
    );
    assert.throws(() => readSealKeys(dir, '../etc'), ConfigError);
    await createDevSealKeys(dir, 'rtu.lv', { algorithm: 'RS256' });
    assert.equal(readSealKeys(dir, 'rtu.lv').algorithm, 'RS256');
    copyFileSync(join(dir, 'lu.lv', SEAL_CERT), join(dir, 'rtu.lv', SEAL_CERT));
    assert.throws(
      () => readSealKeys(dir, 'rtu.lv'),
      (e: unknown) => e instanceof ConfigError && /not the certificate of seal\.key\.pem/.test(e.message),
    );
    unlinkSync(join(dir, 'rtu.lv', CHAIN));
    assert.throws(
      () => readSealKeys(dir, 'rtu.lv'),
      (e: unknown) => e instanceof ConfigError && /chain\.pem missing/.test(e.message),
    );
  });
});
