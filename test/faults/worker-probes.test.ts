import assert from 'node:assert/strict';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';
import { countingReceiver, isolatedDeployment } from './setup.ts';

/** `hub worker` answers the probes of compose and Kubernetes on PORT (embedded or RabbitMQ + PostgreSQL). */
describe('hub worker: /healthz, /readyz and /metrics on PORT', function () {
  this.timeout(120_000);
  let rx: Awaited<ReturnType<typeof countingReceiver>>;
  let d: ReturnType<typeof isolatedDeployment>;
  let worker: HubProcess;
  let base: string;

  before(async () => {
    rx = await countingReceiver();
    d = isolatedDeployment(rx.url);
    const port = await freePort();
    worker = runHub(['worker'], { ...d.env, PORT: String(port) });
    await worker.waitFor('relaying and delivering', 60_000);
    base = `http://127.0.0.1:${port}`;
  });

  after(async () => {
    await worker?.kill('SIGTERM');
    await rx?.close();
    await d?.cleanup();
  });

  it('prints where it answers', () => {
    assert.match(worker.output(), /hub worker: relaying and delivering \(store \w+, broker \w+\); health and metrics on http:\/\/localhost:\d+/);
  });

  it('GET /healthz: 200 while the process runs', async () => {
    const res = await fetch(`${base}/healthz`);
    assert.equal(res.status, 200);
    assert.deepEqual(await res.json(), { status: 'ok' });
  });

  it('GET /readyz: 200 with the store and broker it uses', async () => {
    const res = await fetch(`${base}/readyz`);
    assert.equal(res.status, 200);
    const body = (await res.json()) as { status: string; checks: Record<string, string>; store: string; broker: string };
    assert.equal(body.status, 'ready');
    assert.deepEqual(body.checks, { store: 'ok', broker: 'ok' });
    assert.equal(body.store, process.env.DATABASE_URL ? 'postgres' : 'sqlite');
    assert.equal(body.broker, process.env.AMQP_URL ? 'amqp' : 'embedded');
  });

  it('GET /metrics: 401 without a token, Prometheus text with one', async () => {
    const anon = await fetch(`${base}/metrics`);
    assert.equal(anon.status, 401);
    assert.match(anon.headers.get('content-type') ?? '', /application\/problem\+json/);
    const res = await fetch(`${base}/metrics`, { headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}` } });
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/plain/);
    const text = await res.text();
    assert.match(text, /^# HELP /m);
    assert.match(text, /^process_cpu_user_seconds_total /m);
  });

  it('answers nothing else: the API is not served by a worker', async () => {
    const res = await fetch(`${base}/api/v1/messages`, { headers: { authorization: `Bearer ${d.env.HUB_ADMIN_TOKEN}` } });
    assert.equal(res.status, 404);
    assert.match(res.headers.get('content-type') ?? '', /application\/problem\+json/);
  });

  it('stops on SIGTERM and frees the port', async () => {
    await worker.kill('SIGTERM');
    assert.equal(worker.child.exitCode, 0, worker.output());
    await assert.rejects(fetch(`${base}/healthz`));
  });
});
