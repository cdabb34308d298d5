import assert from 'node:assert/strict';
import request from 'supertest';
import { suiteNeeds } from './helpers/ci.ts';
import { auth, canonicalPerson, makeHub, type TestHub } from './helpers/hub.ts';

/**
 * A record the database refuses (a data exception, not an outage) is rejected alone: the ingest
 * chunk it came in is taken again record by record, the others are committed, its raw input is kept.
 */
describe('ingest: a value PostgreSQL cannot store (real)', function () {
  this.timeout(60_000);
  if (!suiteNeeds('a value PostgreSQL cannot store', [!process.env.DATABASE_URL && 'DATABASE_URL', !process.env.AMQP_URL && 'AMQP_URL'])) return;
  let t: TestHub;
  before(async () => {
    t = await makeHub({ backend: 'real' });
  });
  after(async () => {
    await t?.stop();
  });

  it('a string with \\u0000 (jsonb cannot hold it) rejects that record with 422 and commits the others', async () => {
    const body = [canonicalPerson(701), canonicalPerson(702, { givenNames: 'Lī\u0000ga' }), canonicalPerson(703)];
    const res = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(body).expect(422);
    assert.equal(res.headers['content-type'], 'application/problem+json; charset=utf-8');
    assert.equal(res.body.accepted, 2);
    assert.deepEqual(
      res.body.messages.map((m: { status: string }) => m.status),
      ['committed', 'rejected', 'committed'],
    );
    const bad = res.body.messages[1];
    assert.equal(bad.error.code, 'HUB_ERR_MALFORMED_INPUT', bad.error.detail);
    assert.match(bad.error.detail, /cannot store a value/);
    const kept = await request(t.app).get(`/api/v1/messages/${bad.messageId}`).set(auth).expect(200);
    assert.equal(kept.body.status, 'rejected');
    assert.equal(JSON.parse(kept.body.raw).givenNames, 'Lī\u0000ga');
    // The process is alive and the next ingest is taken as usual.
    await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).send(canonicalPerson(704)).expect(202);
  });
});
