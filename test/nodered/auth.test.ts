import assert from 'node:assert/strict';
import { editorAuth } from '../../src/nodered/auth.ts';
import { nodeRedSettings } from '../../src/nodered/settings.ts';
import { ADMIN_TOKEN, makeHub, type TestHub } from '../helpers/hub.ts';
import pino from 'pino';

describe('Node-RED editor auth: only hub tokens with the admin scope', () => {
  let t: TestHub;
  let auth: ReturnType<typeof editorAuth>;
  before(async () => {
    t = await makeHub();
    auth = editorAuth(t.hub.tokens, 3600);
  });
  after(async () => {
    await t?.stop();
  });

  it('the login form: user admin with the admin token; nothing else', async () => {
    assert.deepEqual(await auth.authenticate('admin', ADMIN_TOKEN), { username: 'admin', permissions: '*' });
    assert.equal(await auth.authenticate('admin', 'wrong-token-0123456789'), null);
    assert.equal(await auth.authenticate('root', ADMIN_TOKEN), null);
    assert.equal(await auth.authenticate('admin', undefined), null);
    assert.equal(await auth.users('root'), null);
  });

  it('bearer tokens: an admin-scope token yes; other scopes and revoked tokens no', async () => {
    assert.deepEqual(await auth.tokens(ADMIN_TOKEN), { username: 'admin (HUB_ADMIN_TOKEN)', permissions: '*' });
    const reader = await t.hub.tokens.create('reader', ['read:*', 'ingest:*', 'metrics']);
    assert.equal(await auth.tokens(reader.token), null);
    assert.equal(await auth.authenticate('admin', reader.token), null);
    const second = await t.hub.tokens.create('second admin', ['admin']);
    assert.ok(await auth.tokens(second.token));
    await t.hub.store.revokeToken(second.id);
    assert.equal(await auth.tokens(second.token), null);
    assert.equal(await auth.authenticate('admin', second.token), null);
  });

  it('the settings never allow an anonymous user, and keep the editor and http in roots apart', () => {
    const s = nodeRedSettings({ dataDir: '/d', userDir: '/d/nodered', flowFile: '/d/flows/flows.json', credentialSecret: 'x'.repeat(32), adminAuth: auth, bridge: {} as never, logger: pino({ level: 'silent' }) });
    assert.equal((s.adminAuth as { default?: unknown }).default, undefined);
    assert.equal(s.httpAdminRoot, '/flows');
    assert.equal(s.httpNodeRoot, '/flows-http');
    assert.equal(s.flowFile, '/d/flows/flows.json');
    assert.deepEqual((s.externalModules as { palette: unknown }).palette, { allowInstall: false, allowUpload: false });
  });
});
