import assert from 'node:assert/strict';
import request from 'supertest';
import { ADMIN_TOKEN, auth, makeHub, type TestHub } from './helpers/hub.ts';

const hidden = (text: string, name: string) => new RegExp(`name="${name}" value="([^"]*)"`).exec(text)?.[1] ?? '';

describe('admin console: the hint of a rejected message matches its cause', () => {
  let t: TestHub;
  before(async () => {
    t = await makeHub();
  });
  after(async () => t?.stop());

  it('sends a wrong content type back to the sender, and a schema rejection to the mapping', async () => {
    const a = request(t.app);
    const wrongType = await a.post('/api/v1/ingest/rtu-push/person').set(auth).set('content-type', 'text/plain').send('x').expect(415);
    const notJson = await a.post('/api/v1/ingest/rtu-push/person').set(auth).set('content-type', 'application/json').send('{"a":').expect(400);
    const invalid = await a.post('/api/v1/ingest/rtu-push/person').set(auth).send({ sourceId: 'X1', givenNames: 'A' }).expect(422);
    const agent = request.agent(t.app);
    const form = await agent.get('/admin/login').expect(200);
    await agent
      .post('/admin/login')
      .type('form')
      .send({ token: ADMIN_TOKEN, _csrf: hidden(form.text, '_csrf'), next: '/admin/' })
      .expect(303);
    const page = async (id: string) => (await agent.get(`/admin/messages/${id}`).expect(200)).text;

    const ct = await page(wrongType.body.messageId as string);
    assert.match(ct, /Content-Type: application\/json/);
    assert.doesNotMatch(ct, /fix the mapping file/i);
    const bad = await page(notJson.body.messageId as string);
    assert.match(bad, /not readable JSON: the sender fixes/);
    assert.doesNotMatch(bad, /fix the mapping file/i);
    const schema = await page(invalid.body.messages[0].messageId as string);
    assert.match(schema, /does not match the canonical schema: fix the mapping file/);
    assert.match(schema, /Mappings → try this message/);
  });
});
