import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { request, type IncomingMessage } from 'node:http';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { ADMIN_TOKEN, baseConfig, canonicalPerson } from '../helpers/hub.ts';
import { freePort, HUB_BIN, runHub, type HubProcess } from '../helpers/process.ts';

/** Lines of a child's stdout that are not JSON (there should be none when it is not a terminal). */
const notJson = (out: string) =>
  out
    .split('\n')
    .filter((l) => l.trim())
    .filter((l) => {
      try {
        return typeof JSON.parse(l) !== 'object';
      } catch {
        return true;
      }
    });

/** A POST that sends its headers with Expect: 100-continue and its body only when told to. */
function slowIngest(port: number, body: string) {
  const req = request({
    host: '127.0.0.1',
    port,
    method: 'POST',
    path: '/api/v1/ingest/rtu-push/person',
    agent: false,
    headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), expect: '100-continue', 'x-request-id': 'shutdown-test-1' },
  });
  const accepted = new Promise<void>((r) => req.once('continue', () => r()));
  const answer = new Promise<{ status: number; body: string }>((resolve, reject) => {
    req.once('response', (res: IncomingMessage) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.once('error', reject);
  });
  req.flushHeaders();
  return { accepted, answer, send: () => req.end(body) };
}

const exitOf = (p: HubProcess) => new Promise<number | null>((r) => (p.child.exitCode !== null ? r(p.child.exitCode) : p.child.once('exit', (code) => r(code))));

describe('hub processes: logs, port in use, shutdown', function () {
  this.timeout(90_000);
  let dir: string;
  let configFile: string;
  const running: HubProcess[] = [];
  const env = () => ({ HUB_DATA_DIR: join(dir, 'data'), HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'info', HUB_CONFIG: '', HUB_LOG_FORMAT: '', DATABASE_URL: '', AMQP_URL: '' });
  const start = (args: string[], extra: Record<string, string>) => {
    const p = runHub(args, { ...env(), ...extra });
    running.push(p);
    return p;
  };

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'hub-proc-'));
    configFile = join(dir, 'hub.json');
    writeFileSync(configFile, JSON.stringify(baseConfig()));
  });
  afterEach(async () => {
    for (const p of running.splice(0)) await p.kill();
    rmSync(dir, { recursive: true, force: true });
  });

  it('logs pino JSON on stdout when it is not a terminal: start-up lines, the access log with the request id', async () => {
    const port = await freePort();
    const p = start(['start', '--config', configFile], { PORT: String(port) });
    await p.waitFor(/listening on http:\/\/localhost:\d+/);
    const res = await fetch(`http://127.0.0.1:${port}/api/v1/ingest/rtu-push/person`, {
      method: 'POST',
      headers: { authorization: `Bearer ${ADMIN_TOKEN}`, 'content-type': 'text/plain', 'x-request-id': 'req-from-client-42' },
      body: 'not json',
    });
    assert.equal(res.status, 415);
    assert.equal(res.headers.get('x-request-id'), 'req-from-client-42');
    await p.waitFor('"reqId":"req-from-client-42"');
    await p.kill('SIGTERM');
    const out = p.output();
    assert.deepEqual(notJson(out), []);
    const lines = out
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as { msg: string; reqId?: string; req?: { path: string }; res?: { statusCode: number } });
    assert.ok(lines.some((l) => l.msg.startsWith('hub all: listening on http://localhost:')));
    const access = lines.find((l) => l.reqId === 'req-from-client-42' && l.res);
    assert.deepEqual({ path: access?.req?.path, status: access?.res?.statusCode }, { path: '/api/v1/ingest/rtu-push/person', status: 415 });
  });

  it('logs readable lines with HUB_LOG_FORMAT=pretty', async () => {
    const p = start(['start', '--config', configFile], { PORT: String(await freePort()), HUB_LOG_FORMAT: 'pretty' });
    await p.waitFor(/INFO.*listening on http:\/\/localhost:\d+/);
    assert.ok(notJson(p.output()).length > 0);
  });

  it('says in one line that the port is in use and names PORT; no stack trace, exit 1', async () => {
    const blocker = createServer();
    await new Promise<void>((r) => blocker.listen(0, '127.0.0.1', r));
    const port = (blocker.address() as { port: number }).port;
    try {
      for (const role of ['serve', 'worker']) {
        const p = start([role, '--config', configFile], { PORT: String(port), HOST: '127.0.0.1' });
        assert.equal(await exitOf(p), 1);
        const out = p.output().trim().split('\n');
        const last = JSON.parse(out[out.length - 1]!) as { level: number; msg: string };
        assert.equal(last.level, 60);
        assert.match(last.msg, new RegExp(`^port ${port} is in use .*set PORT to a free port`));
        assert.doesNotMatch(p.output(), /\n\s+at /, 'no stack trace');
      }
    } finally {
      blocker.close();
    }
  });

  it('on SIGTERM stops accepting, lets a running ingest call finish and answer, then exits 0', async () => {
    const port = await freePort();
    const p = start(['start', '--config', configFile], { PORT: String(port), HUB_SHUTDOWN_GRACE_MS: '30000' });
    await p.waitFor(/listening on/);
    const call = slowIngest(port, JSON.stringify([canonicalPerson(1), canonicalPerson(2)]));
    await call.accepted;
    p.child.kill('SIGTERM');
    await p.waitFor('SIGTERM: stopping (requests in flight have 30000 ms to finish)');
    // The listener is closed: a new connection is refused while the call in flight goes on.
    await assert.rejects(fetch(`http://127.0.0.1:${port}/healthz`));
    call.send();
    const answer = await call.answer;
    assert.equal(answer.status, 202, answer.body);
    assert.equal((JSON.parse(answer.body) as { accepted: number }).accepted, 2);
    assert.equal(await exitOf(p), 0);
    assert.match(p.output(), /"msg":"stopped"/);
  });

  it('cuts a request that outlasts HUB_SHUTDOWN_GRACE_MS, and still exits 0', async () => {
    const port = await freePort();
    const p = start(['start', '--config', configFile], { PORT: String(port), HUB_SHUTDOWN_GRACE_MS: '200' });
    await p.waitFor(/listening on/);
    const call = slowIngest(port, JSON.stringify(canonicalPerson(3)));
    await call.accepted;
    p.child.kill('SIGTERM');
    await assert.rejects(call.answer, /socket hang up|ECONNRESET/);
    assert.equal(await exitOf(p), 0);
  });

  it('`hub source sync --full` follows a pass of the running hub and prints a summary', async () => {
    const sim = new LaisSimulator({ students: 30, resultsPerStudent: 1 });
    const url = await sim.start(0);
    try {
      const cfg = baseConfig();
      writeFileSync(
        configFile,
        JSON.stringify({ ...cfg, sources: cfg.sources.map((s) => (s.id === 'lu-lais' ? { ...s, adapter: { type: 'lais', options: { baseUrl: url, pollIntervalMs: 3_600_000 } } } : s)) }),
      );
      const p = start(['start', '--config', configFile], { PORT: String(await freePort()) });
      await p.waitFor(/listening on/);
      const sync = spawn(process.execPath, [HUB_BIN, 'source', 'sync', 'lu-lais', '--full', '--json', '--config', configFile], { env: { ...process.env, ...env() } });
      let out = '';
      let err = '';
      sync.stdout.on('data', (c: Buffer) => (out += c.toString()));
      sync.stderr.on('data', (c: Buffer) => (err += c.toString()));
      const code = await new Promise<number | null>((r) => sync.once('exit', r));
      assert.equal(code, 0, err + out);
      const summary = JSON.parse(out) as { source: string; full: boolean; result: string; recordsRead: number };
      assert.deepEqual({ source: summary.source, full: summary.full, result: summary.result }, { source: 'lu-lais', full: true, result: 'ok' });
      assert.ok(summary.recordsRead >= 30, `${summary.recordsRead} records read`);
    } finally {
      await sim.close();
    }
  });
});
