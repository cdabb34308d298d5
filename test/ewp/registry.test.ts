import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { TransportError } from '../../src/core/errors.ts';
import { cacheLifetimeMs, DEFAULT_CACHE_MS, MAX_CACHE_MS, MIN_CACHE_MS, RegistryClient, RETRY_AFTER_FAILURE_MS, STALE_LIMIT_MS } from '../../src/ewp/registry/client.ts';
import { generateEwpKey, KeyStore, keyIdOf, toEwpKey } from '../../src/ewp/security/keys.ts';
import { generateKeyPairSync } from 'node:crypto';
import { TestRegistry } from './helpers/ewp.ts';

const logger = pino({ level: 'silent' });

describe('EWP registry client and keys', () => {
  let registry: TestRegistry;
  let dir: string;

  beforeEach(async () => {
    registry = await new TestRegistry().start();
    dir = mkdtempSync(join(tmpdir(), 'ewp-reg-'));
  });

  afterEach(async () => {
    await registry.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('keeps the cache lifetime within 1 min and 3 h (15 min when the registry says nothing)', () => {
    const h = (o: Record<string, string>) => new Headers(o);
    assert.equal(cacheLifetimeMs(h({ 'cache-control': 'max-age=10' })), MIN_CACHE_MS);
    assert.equal(cacheLifetimeMs(h({ 'cache-control': 'public, max-age=900' })), 900_000);
    assert.equal(cacheLifetimeMs(h({ 'cache-control': 'max-age=999999' })), MAX_CACHE_MS);
    assert.equal(cacheLifetimeMs(h({})), DEFAULT_CACHE_MS);
    const now = Date.parse('2025-01-01T00:00:00Z');
    assert.equal(cacheLifetimeMs(h({ expires: new Date(now + 1800_000).toUTCString() }), now), 1800_000);
  });

  it('caches the catalogue as long as the registry says, then revalidates with If-None-Match (304)', async () => {
    let now = Date.now();
    const client = new RegistryClient({ url: registry.url, cacheDir: dir, logger, now: () => now });
    await client.catalogue();
    await client.catalogue();
    assert.equal(registry.requests, 1);
    now += 601_000;
    await client.catalogue();
    assert.equal(registry.requests, 2);
    assert.equal(registry.notModified, 1);
  });

  it('serves the stale copy when the registry is down, also after a restart (disk copy), for a limited time', async () => {
    let now = Date.now();
    const key = generateEwpKey();
    registry.build([], [{ heis: ['partner.example'], clientKeys: [key] }]);
    const client = new RegistryClient({ url: registry.url, cacheDir: dir, logger, now: () => now });
    assert.deepEqual((await client.catalogue()).heisCoveredByClientKey(key.keyId), ['partner.example']);
    registry.down = true;
    now += 3600_000 * 4;
    assert.deepEqual((await client.catalogue()).heisCoveredByClientKey(key.keyId), ['partner.example']);
    assert.equal(client.stale, true);
    const restarted = new RegistryClient({ url: registry.url, cacheDir: dir, logger });
    assert.deepEqual((await restarted.catalogue()).heisCoveredByClientKey(key.keyId), ['partner.example']);
    const empty = new RegistryClient({ url: registry.url, cacheDir: join(dir, 'none'), logger });
    await assert.rejects(empty.catalogue(), TransportError);
    // "For a limited time": a copy the registry has not confirmed for longer than the limit is not used.
    now += STALE_LIMIT_MS;
    await assert.rejects(client.catalogue(), (e: Error) => e instanceof TransportError && /older than 7 days/.test(e.message));
    registry.down = false;
    now += RETRY_AFTER_FAILURE_MS;
    assert.deepEqual((await client.catalogue()).heisCoveredByClientKey(key.keyId), ['partner.example'], 'back once the registry answers');
    assert.equal(client.stale, false);
  });

  it('keyId is the lower-case hex SHA-256 of the key’s DER SubjectPublicKeyInfo (the manifest’s base64)', () => {
    const k = generateEwpKey();
    assert.equal(k.keyId, createHash('sha256').update(Buffer.from(k.spkiBase64, 'base64')).digest('hex'));
    assert.match(k.keyId, /^[0-9a-f]{64}$/);
    assert.equal(keyIdOf(k.publicKey), k.keyId);
    assert.ok(k.bits >= 2048);
    const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 1024 });
    assert.throws(() => toEwpKey(privateKey), /at least 2048 bits/);
  });

  it('keeps one client key per HEI and a server key on disk (mode 0600), created once', () => {
    const store = new KeyStore(join(dir, 'keys'));
    const a = store.clientKey('lu.lv');
    const b = store.clientKey('rtu.lv');
    assert.equal(a.created, true);
    assert.notEqual(a.key.keyId, b.key.keyId, 'the registry refuses a client key shared by two HEIs');
    assert.equal(statSync(join(dir, 'keys', 'client-lu.lv.pem')).mode & 0o777, 0o600);
    const again = new KeyStore(join(dir, 'keys')).clientKey('lu.lv');
    assert.equal(again.created, false);
    assert.equal(again.key.keyId, a.key.keyId);
    assert.notEqual(store.serverKey().key.keyId, a.key.keyId);
  });
});
