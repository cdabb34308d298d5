import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { Writable } from 'node:stream';
import request from 'supertest';
import { createLogger } from '../src/observability/logger.ts';
import { auth, backends, canonicalPerson, makeHub, type TestHub } from './helpers/hub.ts';

describe('security', () => {
  let t: TestHub;
  before(async () => {
    t = await makeHub();
  });
  after(async () => {
    await t?.stop();
  });

  it('refuses every API call without a token (401) and with an unknown one', async () => {
    for (const [method, path] of [
      ['get', '/api/v1/messages'],
      ['post', '/api/v1/ingest/rtu-push/person'],
      ['get', '/api/v1/records/person/x'],
      ['get', '/api/v1/tokens'],
      ['get', '/metrics'],
    ] as const) {
      const res = await request(t.app)[method](path).expect(401);
      assert.equal(res.body.code, 'HUB_ERR_UNAUTHORIZED', path);
      assert.match(res.headers['www-authenticate'] as string, /Bearer/);
    }
    await request(t.app).get('/api/v1/messages').set('authorization', 'Bearer nope').expect(401);
  });

  it('gives a token only its scopes: ingest into one source, read one entity', async () => {
    const created = await request(t.app)
      .post('/api/v1/tokens')
      .set(auth)
      .send({ name: 'rtu system', scopes: ['ingest:rtu-push', 'read:person'] })
      .expect(201);
    const tok = { authorization: `Bearer ${created.body.token}` };
    const ok = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(tok).send(canonicalPerson(100)).expect(202);
    const denied = await request(t.app).post('/api/v1/ingest/lu-lais/person').set(tok).send({}).expect(403);
    assert.equal(denied.body.code, 'HUB_ERR_FORBIDDEN');
    await request(t.app).get(`/api/v1/records/person/${ok.body.messages[0].recordId}`).set(tok).expect(200);
    await request(t.app).get('/api/v1/records/study-right/x').set(tok).expect(403);
    await request(t.app).get('/api/v1/messages').set(tok).expect(403);
    await request(t.app).delete(`/api/v1/tokens/${created.body.id}`).set(auth).expect(204);
    await request(t.app).post('/api/v1/ingest/rtu-push/person').set(tok).send(canonicalPerson(101)).expect(401);
  });

  it('never shows a token again after it was created, and refuses an unknown scope', async () => {
    const created = await request(t.app)
      .post('/api/v1/tokens')
      .set(auth)
      .send({ name: 'x', scopes: ['read:*'] })
      .expect(201);
    const list = await request(t.app).get('/api/v1/tokens').set(auth).expect(200);
    assert.ok(list.body.items.some((i: { id: string }) => i.id === created.body.id));
    assert.ok(!JSON.stringify(list.body).includes(created.body.token));
    const bad = await request(t.app)
      .post('/api/v1/tokens')
      .set(auth)
      .send({ name: 'x', scopes: ['root'] })
      .expect(400);
    assert.equal(bad.body.errors[0].pointer, '/scopes/0');
  });

  it('generates an admin token once when HUB_ADMIN_TOKEN is unset', async () => {
    const first = await t.hub.tokens.ensureAdmin(undefined);
    const again = await t.hub.tokens.ensureAdmin(undefined);
    assert.match(first.generated ?? '', /^shub_/);
    assert.equal(again.generated, undefined);
    await request(t.app).get('/api/v1/messages').set('authorization', `Bearer ${first.generated}`).expect(200);
  });

  it('keeps personal codes and names out of the logs', () => {
    const lines: string[] = [];
    const sink = new Writable({
      write(chunk, _enc, cb) {
        lines.push(String(chunk));
        cb();
      },
    });
    const log = createLogger('info', sink as unknown as Parameters<typeof createLogger>[1]);
    log.info(
      { person: { givenNames: 'Ānis', familyName: 'Bērziņš', personalCode: '170599-11230' }, identifiers: [{ scheme: 'lv-personas-kods', value: '170599-11230' }] },
      'got 17059911230 and 170599-11230',
    );
    log.warn({ detail: 'code 170599-11230 failed' }, 'x');
    const out = lines.join('');
    assert.ok(!out.includes('170599-11230') && !out.includes('17059911230'), out);
    assert.ok(!out.includes('Bērziņš'), out);
    assert.match(out, /\[personal-code\]/);
    assert.match(out, /\[redacted\]/);
  });

  it('serves health without credentials and metrics with them', async () => {
    await request(t.app).get('/healthz').expect(200);
    const ready = await request(t.app).get('/readyz').expect(200);
    assert.equal(ready.body.checks.store, 'ok');
    const m = await request(t.app).get('/metrics').set(auth).expect(200);
    assert.match(m.text, /hub_messages_total/);
    assert.match(m.text, /hub_queue_depth\{route="all",state="ready"\}/);
    assert.match(m.text, /hub_delivery_latency_seconds_bucket/);
  });

  it('answers an unknown API path with a problem document', async () => {
    const res = await request(t.app).get('/api/v1/nothing').set(auth).expect(404);
    assert.match(res.headers['content-type'] as string, /problem\+json/);
  });
});

for (const backend of backends()) {
  describe(`token store (${backend})`, () => {
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend });
    });
    after(async () => {
      await t?.stop();
    });

    it('stores tokens hashed, never in clear: the row holds the salted SHA-256 of the token, which still signs in', async () => {
      const created = await request(t.app)
        .post('/api/v1/tokens')
        .set(auth)
        .send({ name: 'hashed', scopes: ['read:*'] })
        .expect(201);
      const token = created.body.token as string;
      assert.match(token, /^shub_[A-Za-z0-9_-]{32}$/);
      const rows = await t.hub.store.sql.query('SELECT * FROM tokens WHERE id = ?', [created.body.id]);
      assert.equal(rows.length, 1);
      const row = rows[0]!;
      const secret = token.slice('shub_'.length);
      for (const [column, value] of Object.entries(row)) {
        assert.ok(!String(value).includes(secret), `column ${column} holds the token`);
      }
      // Computed here, not with the hub's own function: sha256("study-hub-token:" + token), hex.
      assert.equal(row.hash, createHash('sha256').update(`study-hub-token:${token}`).digest('hex'));
      assert.equal(row.name, 'hashed');
      await request(t.app).get('/api/v1/records/person/none').set('authorization', `Bearer ${token}`).expect(404);
    });
  });
}
