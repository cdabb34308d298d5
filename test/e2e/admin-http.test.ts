import assert from 'node:assert/strict';
import { get as httpGet, type IncomingMessage } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import request from 'supertest';
import { adminRouter } from '../../src/admin/router.ts';
import { cookie } from '../../src/admin/session.ts';
import { makeOldPersonalCode } from '../../src/core/personal-code.ts';
import { ADMIN_TOKEN, backends, canonicalPerson, eventually } from '../helpers/hub.ts';
import { adminFixture, canonicalCourse, ingest, type AdminFixture } from './fixture.ts';

type Agent = ReturnType<typeof request.agent>;

const hidden = (text: string, name: string) => {
  const m = new RegExp(`name="${name}" value="([^"]*)"`).exec(text);
  assert.ok(m, `no hidden field ${name}`);
  return m[1]!;
};

/** Signs in through the form; returns the agent (cookies kept) and the session's CSRF token. */
async function signIn(app: express.Express, token = ADMIN_TOKEN): Promise<{ agent: Agent; csrf: string }> {
  const agent = request.agent(app);
  const form = await agent.get('/admin/login').expect(200);
  await agent
    .post('/admin/login')
    .type('form')
    .send({ token, _csrf: hidden(form.text, '_csrf'), next: '/admin/' })
    .expect(303)
    .expect('location', '/admin/');
  const page = await agent.get('/admin/').expect(200);
  return { agent, csrf: hidden(page.text, '_csrf') };
}

const CODE = makeOldPersonalCode(new Date(Date.UTC(1999, 4, 17)), 123)!;

for (const backend of backends()) {
  describe(`admin console over HTTP (${backend})`, () => {
    let f: AdminFixture;
    let ids: { rejected: string; ok: string; coded: string; course: string; xss: string };
    before(async () => {
      f = await adminFixture(backend);
      const t = f.t;
      ids = {
        rejected: await ingest(t, 'person', canonicalPerson(1), 422),
        ok: await ingest(t, 'course', canonicalCourse('ADM001'), 202),
        coded: '',
        course: '',
        xss: '',
      };
      f.setPersonMapping('$');
      f.t.hub.mappings.reload();
      ids.coded = await ingest(
        t,
        'person',
        canonicalPerson(2, {
          identifiers: [
            { scheme: 'lv-personas-kods', value: CODE },
            { scheme: 'student-number', value: 'RTU000002' },
          ],
        }),
        202,
      );
      ids.xss = await ingest(t, 'person', canonicalPerson(3, { givenNames: '<script>alert(1)</script>', sourceId: '"><img src=x onerror=alert(2)>' }), 202);
      ids.course = ids.ok;
      await eventually(async () => (await t.hub.store.listDeliveries(ids.course)).some((d) => d.routeId === 'courses-hook' && d.status === 'dead'), 10_000, 'a dead delivery');
    });
    after(async () => {
      await f?.stop();
    });

    it('sends a visitor without a session to the sign-in page, and keeps where they were going', async () => {
      const res = await request(f.t.app).get('/admin/messages?status=rejected').expect(303);
      assert.equal(res.headers.location, `/admin/login?next=${encodeURIComponent('/admin/messages?status=rejected')}`);
      await request(f.t.app).get('/admin/events').expect(401);
      const post = await request(f.t.app).post('/admin/replay').type('form').send({ ids: ids.rejected }).expect(401);
      assert.match(post.text, /session ended/);
    });

    it('signs in with an admin token only: CSRF-checked form, HttpOnly SameSite=Strict cookie, stored hashed', async () => {
      const app = f.t.app;
      const agent = request.agent(app);
      const form = await agent.get('/admin/login').expect(200);
      const csrf = hidden(form.text, '_csrf');
      assert.match(String(form.headers['content-security-policy']), /script-src 'self'/);
      // Each sign-in form carries a new token (double-submit cookie); a form's answer is the next form.
      const refused = await agent.post('/admin/login').type('form').send({ token: ADMIN_TOKEN, _csrf: 'wrong' }).expect(403);
      assert.ok(!(await agent.post('/admin/login').type('form').send({ token: ADMIN_TOKEN, _csrf: csrf })).headers.location, 'an old form token no longer works');
      const bad = await agent
        .post('/admin/login')
        .type('form')
        .send({ token: 'not-a-token', _csrf: hidden(refused.text, '_csrf') })
        .expect(403);
      const bad2 = await agent
        .post('/admin/login')
        .type('form')
        .send({ token: 'not-a-token', _csrf: hidden(bad.text, '_csrf') })
        .expect(401);
      assert.match(bad2.text, /Unknown or revoked token/);
      assert.ok(!bad2.text.includes('not-a-token'), 'the typed token is not echoed');
      const reader = await f.t.hub.tokens.create('reader', ['read:person']);
      const noAdmin = await agent
        .post('/admin/login')
        .type('form')
        .send({ token: reader.token, _csrf: hidden(bad2.text, '_csrf') })
        .expect(401);
      assert.match(noAdmin.text, /no admin scope/);
      const ok = await agent
        .post('/admin/login')
        .type('form')
        .send({ token: ADMIN_TOKEN, _csrf: hidden(noAdmin.text, '_csrf'), next: 'https://evil.example/' })
        .expect(303);
      assert.equal(ok.headers.location, '/admin/', 'an outside next is ignored');
      const set = ([] as string[]).concat(ok.headers['set-cookie'] as unknown as string[]);
      const session = set.find((c) => c.startsWith('hub_admin_session='))!;
      assert.match(session, /; Path=\/admin; HttpOnly; SameSite=Strict$/);
      const value = /^hub_admin_session=([^;]+)/.exec(session)![1]!;
      assert.ok(!session.includes(ADMIN_TOKEN));
      const rows = await f.t.hub.store.sql.query<{ id_hash: string }>('SELECT id_hash FROM admin_sessions');
      assert.ok(rows.length >= 1 && rows.every((r) => r.id_hash !== value && r.id_hash.length === 64), 'only hashes are stored');
      await agent.get('/admin/').expect(200);
      assert.equal(cookie('a', 'b', { path: '/admin', secure: true }), 'a=b; Path=/admin; HttpOnly; SameSite=Strict; Secure');
    });

    it('refuses a POST without the session CSRF token, and ends the session at sign-out', async () => {
      const { agent, csrf } = await signIn(f.t.app);
      await agent.post('/admin/replay').type('form').send({ ids: ids.rejected }).expect(403);
      await agent
        .post('/admin/replay')
        .type('form')
        .send({ ids: ids.rejected, _csrf: `${csrf}x` })
        .expect(403);
      const confirm = await agent.post('/admin/replay').set('referer', 'https://evil.example/admin/dead').type('form').send({ ids: ids.rejected, _csrf: csrf }).expect(200);
      assert.match(confirm.text, /Confirm replay/);
      assert.match(confirm.text, /<a href="\/admin\/messages">Cancel<\/a>/, 'Cancel never leads off the console');
      await agent.post('/admin/logout').type('form').send({ _csrf: csrf }).expect(303).expect('location', '/admin/login');
      await agent.get('/admin/').expect(303);
    });

    it('ends a session when its token is revoked, and after the idle time', async () => {
      const tok = await f.t.hub.tokens.create('second admin', ['admin']);
      const { agent } = await signIn(f.t.app, tok.token);
      await f.t.hub.store.revokeToken(tok.id);
      await agent.get('/admin/').expect(303);
      const app = express();
      app.use('/admin', adminRouter(f.t.hub, { idleMs: 60_000 }));
      const s = await signIn(app);
      await s.agent.get('/admin/messages').expect(200);
      // The session was last seen a while ago (set in its row rather than waited for).
      const lastSeen = (ago: number) =>
        f.t.hub.store.sql.run('UPDATE admin_sessions SET last_seen_at = ? WHERE created_at = (SELECT MAX(created_at) FROM admin_sessions)', [new Date(Date.now() - ago).toISOString()]);
      await lastSeen(50_000);
      await s.agent.get('/admin/messages').expect(200);
      await lastSeen(61_000);
      await s.agent.get('/admin/messages').expect(303);
    });

    it('shows per source and per route counts, queue depth and the last errors on the dashboard', async () => {
      const { agent } = await signIn(f.t.app);
      const page = (await agent.get('/admin/').expect(200)).text;
      const live = (key: string) => new RegExp(`data-live="${key}"[^>]*>([^<]*)<`).exec(page)?.[1];
      assert.equal(live('s:rtu-push:rejected:hour'), '1');
      assert.equal(live('s:rtu-push:total:day'), '4');
      assert.equal(live('r:courses-hook:dead:hour'), '1');
      assert.equal(live('r:courses-hook:ready'), '0');
      assert.match(live('r:courses-hook:error') ?? '', /HTTP 500/);
      assert.match(live('s:rtu-push:error') ?? '', /HUB_ERR_SCHEMA_VALIDATION/);
      assert.match(page, /push-only/, 'the source health of a push-only source');
    });

    it('streams live dashboard values as server-sent events to a signed-in admin', async () => {
      const app = express();
      app.use('/admin', adminRouter(f.t.hub, { liveIntervalMs: 50, liveStreamMs: 5000 }));
      const { agent } = await signIn(app);
      const jar = (agent as unknown as { jar: { getCookies(o: object): { name: string; value: string }[] } }).jar;
      const c = jar.getCookies({ domain: '127.0.0.1', path: '/admin', secure: false, script: false }).find((x) => x.name === 'hub_admin_session');
      assert.ok(c, 'session cookie in the agent');
      const server = app.listen(0, '127.0.0.1');
      try {
        await new Promise((r) => server.once('listening', r));
        const port = (server.address() as AddressInfo).port;
        const text = await new Promise<string>((resolve, reject) => {
          const req = httpGet({ host: '127.0.0.1', port, path: '/admin/events', headers: { cookie: `hub_admin_session=${c.value}` } }, (res: IncomingMessage) => {
            assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
            let buf = '';
            res.on('data', (d: Buffer) => {
              buf += d.toString('utf8');
              if ((buf.match(/event: update/g) ?? []).length >= 2) {
                req.destroy();
                resolve(buf);
              }
            });
          });
          req.on('error', reject);
        });
        const data = JSON.parse(/event: update\ndata: (.*)\n/.exec(text)![1]!) as { values: Record<string, string> };
        assert.equal(data.values['s:rtu-push:rejected:hour'], '1');
      } finally {
        server.closeAllConnections();
        await new Promise((r) => server.close(r));
      }
    });

    it('filters messages by status, source, entity and student number; refuses a personal code in the address', async () => {
      const { agent } = await signIn(f.t.app);
      const rejected = (await agent.get('/admin/messages?status=rejected&source=rtu-push&entity=person').expect(200)).text;
      assert.ok(rejected.includes(ids.rejected));
      assert.ok(!rejected.includes(ids.coded));
      const byKey = (await agent.get('/admin/messages?key=RTU000002').expect(200)).text;
      assert.ok(byKey.includes(ids.coded) && !byKey.includes(ids.rejected));
      const future = (await agent.get('/admin/messages?from=2999-01-01T00:00').expect(200)).text;
      assert.match(future, /No messages match/);
      const refused = await agent.get(`/admin/messages?key=${CODE}`).expect(400);
      assert.match(refused.text, /looks like a personal code/);
      assert.ok(!refused.text.includes(CODE), 'the code is not echoed');
      await agent.get('/admin/messages?status=nope').expect(400);
    });

    it('finds a person by personal code through a POST form, in the canonical identifiers', async () => {
      const { agent, csrf } = await signIn(f.t.app);
      const found = await agent.post('/admin/messages/find').type('form').send({ key: CODE, _csrf: csrf }).expect(200);
      assert.ok(found.text.includes(ids.coded), 'found by the hyphenated code');
      assert.ok(!found.text.includes(ids.rejected));
      const bare = await agent
        .post('/admin/messages/find')
        .type('form')
        .send({ key: CODE.replace('-', ''), _csrf: csrf })
        .expect(200);
      assert.ok(bare.text.includes(ids.coded), 'found by the code without the hyphen');
      const other = await agent
        .post('/admin/messages/find')
        .type('form')
        .send({ key: makeOldPersonalCode(new Date(Date.UTC(1988, 1, 2)), 7)!, _csrf: csrf })
        .expect(200);
      assert.match(other.text, /No messages match/);
      const student = await agent.post('/admin/messages/find').type('form').send({ key: 'RTU000001', _csrf: csrf }).expect(200);
      assert.ok(student.text.includes(ids.rejected), 'a student number finds the business key');
    });

    it('escapes user data everywhere', async () => {
      const { agent } = await signIn(f.t.app);
      const list = (await agent.get('/admin/messages').expect(200)).text;
      assert.ok(!list.includes('<img src=x'), 'no markup from a business key');
      assert.ok(list.includes('&quot;&gt;&lt;img src=x onerror=alert(2)&gt;'));
      const page = (await agent.get(`/admin/messages/${ids.xss}`).expect(200)).text;
      assert.ok(!page.includes('<script>alert(1)'));
      assert.ok(page.includes('&lt;script&gt;alert(1)&lt;/script&gt;'));
    });

    it('shows why a message was rejected, with the offending path marked in the canonical record', async () => {
      const { agent } = await signIn(f.t.app);
      const page = (await agent.get(`/admin/messages/${ids.rejected}`).expect(200)).text;
      assert.match(page, /Why it was rejected/);
      assert.match(page, /HUB_ERR_SCHEMA_VALIDATION/);
      assert.match(page, /<mark class="j-bad" id="canon-[^"]+" title="[^"]*familyName[^"]*"><span class="j-missing">missing<\/span><\/mark>/);
      assert.match(page, /<mark class="j-bad" id="raw-/, 'marked in the raw payload too (same path in a canonical source)');
      assert.match(page, /there is no stored record with this key yet/);
      await agent.get('/admin/messages/not-an-id').expect(404);
      const raw = await agent.get(`/admin/messages/${ids.rejected}/raw`).expect(200);
      assert.match(String(raw.headers['content-disposition']), /attachment/);
      assert.equal(JSON.parse(raw.text).familyName, 'Ozoliņa');
    });

    it('lists dead deliveries, replays them after a confirmation once the receiver is back', async () => {
      const { agent, csrf } = await signIn(f.t.app);
      const dead = (await agent.get('/admin/dead?route=courses-hook').expect(200)).text;
      assert.ok(dead.includes(ids.course));
      assert.match(dead, /HTTP 500/);
      assert.match((await agent.get('/admin/dead?route=archive').expect(200)).text, /No dead or withheld deliveries match/);
      const confirm = (
        await agent
          .post('/admin/replay')
          .type('form')
          .send({ ids: [ids.course, ids.coded], _csrf: csrf })
          .expect(200)
      ).text;
      assert.match(confirm, /1 of 2 selected message\(s\) will be replayed/);
      assert.match(confirm, /delivers again to courses-hook/);
      assert.equal(f.rx.state.received, 0, 'nothing happens before the confirmation');
      f.rx.state.failing = false;
      const done = (
        await agent
          .post('/admin/replay/confirm')
          .type('form')
          .send({ ids: hidden(confirm.replace(/name="_csrf"[^>]*>/, ''), 'ids'), _csrf: csrf })
          .expect(200)
      ).text;
      assert.match(done, /1 of 1 message\(s\) replayed/);
      await eventually(async () => f.rx.state.received === 1, 10_000, 'delivery to the receiver');
      await eventually(async () => (await f.t.hub.store.getMessage(ids.course))?.status === 'delivered', 10_000, 'message delivered');
    });

    it('runs golden tests and tries a mapping on a pasted record, with an edited expression', async () => {
      const { agent, csrf } = await signIn(f.t.app);
      const golden = (await agent.get('/admin/mappings/golden?set=canonical').expect(200)).text;
      assert.match(golden, /data-golden-summary>\d+ passed, 0 failed/);
      await agent.get('/admin/mappings/golden?set=nope').expect(404);
      const prefilled = (await agent.get(`/admin/mappings/try?message=${ids.rejected}`).expect(200)).text;
      assert.ok(prefilled.includes('Ozoli'), 'the message raw payload is in the form');
      const record = JSON.stringify(canonicalPerson(9));
      const base = { set: 'canonical', entity: 'person', institution: 'rtu.lv', source: 'rtu-push', record, _csrf: csrf };
      const ok = (
        await agent
          .post('/admin/mappings/try')
          .type('form')
          .send({ ...base, expression: '' })
          .expect(200)
      ).text;
      assert.match(ok, /data-try-valid/);
      const bad = (
        await agent
          .post('/admin/mappings/try')
          .type('form')
          .send({ ...base, expression: '$ ~> | $ | {}, ["familyName"] |' })
          .expect(200)
      ).text;
      assert.match(bad, /data-try-violations><li><code>\/familyName<\/code>/);
      const refused = (
        await agent
          .post('/admin/mappings/try')
          .type('form')
          .send({ ...base, expression: '$error("no")' })
          .expect(200)
      ).text;
      assert.match(refused, /HUB_ERR_MAPPING/);
      const notJson = (
        await agent
          .post('/admin/mappings/try')
          .type('form')
          .send({ ...base, record: '{', expression: '' })
          .expect(200)
      ).text;
      assert.match(notJson, /not valid JSON/);
      await agent
        .post('/admin/mappings/try')
        .type('form')
        .send({ ...base, set: '../etc' })
        .expect(400);
    });
  });
}
