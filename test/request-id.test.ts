import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import express from 'express';
import request from 'supertest';
import { errorHandler } from '../src/api/problem.ts';
import { requestIdOf, requestLogging } from '../src/api/request-id.ts';
import { createLogger } from '../src/observability/logger.ts';
import { auth, makeHub, type TestHub } from './helpers/hub.ts';

/** A logger whose lines the test reads. */
function capture() {
  const lines: Record<string, unknown>[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      for (const l of chunk.toString().split('\n').filter(Boolean)) lines.push(JSON.parse(l) as Record<string, unknown>);
      cb();
    },
  });
  return { logger: createLogger('info', stream), lines };
}

describe('request ids', () => {
  it('accepts a safe X-Request-Id and replaces anything else with a new one', () => {
    assert.equal(requestIdOf('abc-123_x.y:z'), 'abc-123_x.y:z');
    for (const bad of ['', 'a b', '<script>', 'x'.repeat(129), 'ünïcode', 'a\nb', ['a', 'b']] as (string | string[])[]) {
      const id = requestIdOf(bad);
      assert.notEqual(id, bad);
      assert.match(id, /^[0-9a-f-]{36}$/);
    }
  });

  it('puts the id on every log line written for the request, after its body was read too', async () => {
    const { logger, lines } = capture();
    const app = express();
    app.use(requestLogging(logger));
    app.post('/work', express.json(), (req, res) => {
      logger.info({ n: (req.body as { n: number }).n }, 'working on it');
      setImmediate(() => {
        logger.warn('later, still for the request');
        res.json({ ok: true });
      });
    });
    app.get('/boom', () => {
      throw new Error('unforeseen');
    });
    app.use(errorHandler(logger));
    const res = await request(app).post('/work').set('x-request-id', 'client-id-7').send({ n: 1 }).expect(200);
    assert.equal(res.headers['x-request-id'], 'client-id-7');
    const mine = lines.filter((l) => l.reqId === 'client-id-7');
    assert.deepEqual(
      mine.map((l) => l.msg),
      ['working on it', 'later, still for the request', 'POST /work 200'],
    );
    const boom = await request(app).get('/boom').set('x-request-id', 'has spaces').expect(500);
    const id = boom.headers['x-request-id'] as string;
    assert.match(id, /^[0-9a-f-]{36}$/);
    assert.equal((boom.body as { requestId: string }).requestId, id);
    assert.ok(lines.some((l) => l.reqId === id && l.msg === 'unhandled error in request'));
    assert.ok(lines.some((l) => l.reqId === id && l.msg === 'GET /boom 500' && l.level === 50));
    assert.ok(!lines.some((l) => l.reqId === undefined && typeof l.msg === 'string' && l.msg.includes('/work')), 'no line of the request without its id');
  });

  it('names the request id in the problem body of the API and echoes it', async () => {
    let t: TestHub | undefined;
    try {
      t = await makeHub();
      const r = await request(t.app).get('/api/v1/messages/nope').set(auth).set('x-request-id', 'trace-99').expect(404);
      assert.equal(r.headers['x-request-id'], 'trace-99');
      assert.equal((r.body as { requestId: string }).requestId, 'trace-99');
      const ingest = await request(t.app).post('/api/v1/ingest/rtu-push/person').set(auth).set('content-type', 'text/plain').send('x').expect(415);
      assert.equal((ingest.body as { requestId: string }).requestId, ingest.headers['x-request-id']);
    } finally {
      await t?.stop();
    }
  });
});
