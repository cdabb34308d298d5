import assert from 'node:assert/strict';
import pino from 'pino';
import { TokenService } from '../../src/auth/tokens.ts';
import { editorAccess, editorAuth } from '../../src/nodered/auth.ts';
import { EditorSessions } from '../../src/nodered/sessions.ts';
import { nodeRedSettings } from '../../src/nodered/settings.ts';
import { ADMIN_TOKEN, backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';

for (const backend of backends()) {
  describe(`Node-RED editor auth: only hub tokens with the admin scope, sessions bound to their token (${backend})`, function () {
    this.timeout(30_000);
    let t: TestHub;
    let sessions: EditorSessions;
    let auth: ReturnType<typeof editorAuth>;
    before(async () => {
      t = await makeHub({ backend });
      // The hub's token checks are reused for 2 s; 100 ms here, so a revocation shows sooner.
      const tokens = new TokenService(t.hub.store, 100);
      sessions = new EditorSessions(() => t.hub.store.sql, tokens, 3600);
      auth = editorAuth(editorAccess(tokens, sessions));
    });
    after(async () => {
      await t?.stop();
    });

    it("Node-RED's own users and password check open nothing (the hub signs in itself)", async () => {
      assert.equal(await auth.users(), null);
      assert.equal(await auth.authenticate(), null);
    });

    it('bearer tokens: an admin-scope token yes; other scopes and revoked tokens no', async () => {
      assert.equal((await auth.tokens(ADMIN_TOKEN))?.username, 'admin');
      const reader = await t.hub.tokens.create('reader', ['read:*', 'ingest:*', 'metrics']);
      assert.equal(await auth.tokens(reader.token), null);
      const second = await t.hub.tokens.create('second admin', ['admin']);
      assert.ok(await auth.tokens(second.token));
      await t.hub.store.revokeToken(second.id);
      assert.equal(await auth.tokens(second.token), null);
      assert.equal(await auth.tokens('not a token'), null);
    });

    it('a session opens the editor while its token lives, and ends when the token is revoked', async () => {
      const tok = await t.hub.tokens.create('editor user', ['admin']);
      const s = await sessions.create(tok.id);
      assert.match(s.token, /^hubed_/);
      assert.equal(s.expiresIn, 3600);
      assert.equal((await auth.tokens(s.token))?.username, 'admin');
      await t.hub.store.revokeToken(tok.id);
      await eventually(async () => (await auth.tokens(s.token)) === null, 15_000, 'the session to end');
      const [row] = await t.hub.store.sql.query('SELECT COUNT(*) AS n FROM editor_sessions WHERE token_id = ?', [tok.id]);
      assert.equal(Number(row!.n), 0, 'the ended session is deleted');
    });

    it('a session ends when its token loses the admin scope, and at logout', async () => {
      const tok = await t.hub.tokens.create('editor user 2', ['admin']);
      const a = await sessions.create(tok.id);
      const b = await sessions.create(tok.id);
      assert.ok(await auth.tokens(a.token));
      await sessions.destroy(b.token);
      assert.equal(await auth.tokens(b.token), null);
      await t.hub.store.sql.run('UPDATE tokens SET scopes = ? WHERE id = ?', [JSON.stringify(['read:*']), tok.id]);
      await eventually(async () => (await auth.tokens(a.token)) === null, 15_000, 'the session to end');
    });

    it('an expired session opens nothing', async () => {
      const short = new EditorSessions(() => t.hub.store.sql, t.hub.tokens, -1);
      const s = await short.create((await t.hub.tokens.create('expired', ['admin'])).id);
      assert.equal(await short.principal(s.token), undefined);
    });

    it('the settings never allow an anonymous user, and keep the editor and http in roots apart', () => {
      const s = nodeRedSettings({
        dataDir: '/d',
        userDir: '/d/nodered',
        flowFile: '/d/flows/flows.json',
        credentialSecret: 'x'.repeat(32),
        adminAuth: auth,
        bridge: {} as never,
        logger: pino({ level: 'silent' }),
      });
      assert.equal((s.adminAuth as { default?: unknown }).default, undefined);
      assert.equal(s.httpAdminRoot, '/flows');
      assert.equal(s.httpNodeRoot, '/flows-http');
      assert.equal(s.flowFile, '/d/flows/flows.json');
      assert.deepEqual((s.externalModules as { palette: unknown }).palette, { allowInstall: false, allowUpload: false });
    });
  });
}
