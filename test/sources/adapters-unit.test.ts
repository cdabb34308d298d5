import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { classifySoapError, IsisClient } from '../../adapters/isis/client.ts';
import { IsisSimulator } from '../../adapters/isis/simulator.ts';
import { LaisClient, parsePage } from '../../adapters/lais/client.ts';
import { laisSource } from '../../adapters/lais/index.ts';
import { rigaTime, studentPlan } from '../../adapters/_sim/simulator-data.ts';
import { LaisSimulator } from '../../adapters/lais/simulator.ts';
import { adapters } from '../../adapters/index.ts';
import { validateConfig } from '../../src/config/load.ts';
import { adapterOptions } from '../../src/config/options.ts';
import { ConfigError, MalformedPageError, TransportError } from '../../src/core/errors.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { schemas } from '../helpers/hub.ts';
import { isValidPersonalCode } from '../../src/core/personal-code.ts';
import { FakeContext } from './conformance.suite.ts';
import { sourceConfig } from './helpers.ts';
import { scheduleOf } from '../../src/sources/manager.ts';

describe('source adapter options in the configuration', () => {
  it('fills in the schedule defaults once, at load: the scheduler states none of its own', () => {
    const config = validateConfig(
      sourceConfig([
        { id: 'a', institution: 'lu.lv', mappingSet: 'lais', adapter: { type: 'lais', options: { baseUrl: 'http://127.0.0.1:1' } } },
        { id: 'b', institution: 'lu.lv', mappingSet: 'lais', adapter: { type: 'lais', options: { baseUrl: 'http://127.0.0.1:1', batchSize: 7, retry: { multiplier: 3 } } } },
      ]),
      { schemas, adapters, mappingsDir: new MappingEngine().dir },
    );
    const [a, b] = config.sources.map((s) => scheduleOf(s.adapter!.options!, laisSource));
    assert.deepEqual(a, {
      pollIntervalMs: laisSource.defaultPollIntervalMs,
      batchSize: 500,
      retry: { initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 2, maxAttempts: Number.MAX_SAFE_INTEGER },
    });
    assert.deepEqual(b?.retry, { initialDelayMs: 1000, maxDelayMs: 300_000, multiplier: 3, maxAttempts: Number.MAX_SAFE_INTEGER });
    assert.equal(b?.batchSize, 7);
  });

  it('reports every wrong option with its path, for each adapter', () => {
    const config = sourceConfig([
      { id: 'a', institution: 'lu.lv', mappingSet: 'lais', adapter: { type: 'lais', options: { pageSize: 5000, tokenEnv: 'lower-case' } } },
      { id: 'b', institution: 'rsu.lv', mappingSet: 'isis', adapter: { type: 'isis', options: { endpoint: 'ftp://x', usernameEnv: 'U' } } },
      { id: 'c', institution: 'rtu.lv', mappingSet: 'csv-legacy', adapter: { type: 'csv', options: { dir: 'drop', files: [], encoding: 'latin1', pollIntervalMs: 5 } } },
      { id: 'd', institution: 'rtu.lv', mappingSet: 'canonical', adapter: { type: 'oracle' } },
    ]);
    let err: unknown;
    try {
      validateConfig(config, { schemas, adapters, mappingsDir: new MappingEngine().dir });
    } catch (e) {
      err = e;
    }
    assert.ok(err instanceof ConfigError);
    const paths = err.violations.map((v) => v.path).sort();
    for (const p of [
      '/sources/0/adapter/options/baseUrl',
      '/sources/0/adapter/options/pageSize',
      '/sources/0/adapter/options/tokenEnv',
      '/sources/1/adapter/options/endpoint',
      '/sources/1/adapter/options/passwordEnv',
      '/sources/2/adapter/options/files',
      '/sources/2/adapter/options/encoding',
      '/sources/2/adapter/options/pollIntervalMs',
      '/sources/3/adapter/type',
    ]) {
      assert.ok(paths.includes(p), `${p} in ${paths.join(', ')}`);
    }
  });
});

describe('LAIS client and simulator (unit)', function () {
  this.timeout(20_000);
  let sim: LaisSimulator;
  before(async () => {
    sim = new LaisSimulator({ students: 40, resultsPerStudent: 2, token: 'lais-secret-token' });
    await sim.start();
  });
  after(() => sim.close());

  it('reads a page: records, continuation token, listing time', () => {
    const p = parsePage('{"dati":[{"a":1}],"turpinajums":"abc","lidz":"2026-01-05T10:00:00.000+02:00"}', 'studenti');
    assert.deepEqual(p, { records: [{ a: 1 }], next: 'abc', asOf: '2026-01-05T10:00:00.000+02:00' });
    assert.equal(parsePage('{"dati":[],"turpinajums":null,"lidz":"2026-01-05T08:00:00Z"}', 'kursi').next, null);
  });

  it('recognises a page that is cut off, not an object, or without its fields', () => {
    for (const body of [
      '{"dati":[{"a":1}',
      '[]',
      '{"turpinajums":null,"lidz":"2026-01-05T08:00:00Z"}',
      '{"dati":[],"lidz":"05.01.2026"}',
      '{"dati":[],"turpinajums":5,"lidz":"2026-01-05T08:00:00Z"}',
    ]) {
      assert.throws(
        () => parsePage(body, 'studenti'),
        (e: unknown) => e instanceof MalformedPageError && e.body === body,
        body,
      );
    }
  });

  it('turns a refused token into a ConfigError and a bad request into a ConfigError with its status', async () => {
    const wrong = new LaisClient({ baseUrl: sim.url, token: 'wrong', timeoutMs: 2000, pageSize: 10 });
    await assert.rejects(wrong.page('studenti', {}), (e: unknown) => e instanceof ConfigError && e.extra.status === 401 && !e.retryable);
    const ok = new LaisClient({ baseUrl: sim.url, token: 'lais-secret-token', timeoutMs: 2000, pageSize: 10 });
    await assert.rejects(ok.page('studenti', { token: 'not-a-token' }), (e: unknown) => e instanceof ConfigError && e.extra.status === 400);
    await assert.rejects(ok.page('studenti', { since: '01.01.2026' }), (e: unknown) => e instanceof ConfigError && e.extra.status === 400);
  });

  it('turns a refused connection into a retryable TransportError', async () => {
    const c = new LaisClient({ baseUrl: 'http://127.0.0.1:9/lais', timeoutMs: 2000, pageSize: 10 });
    await assert.rejects(c.page('studenti', {}), (e: unknown) => e instanceof TransportError && e.retryable);
  });

  it('starts a listing again from its cursor when LAIS no longer knows the continuation token', async () => {
    const ctx = new FakeContext('/tmp');
    ctx.cursor = JSON.stringify({ v: 1, r: { studenti: { token: 'stale-token' } } });
    process.env.LAIS_UNIT_TOKEN = 'lais-secret-token';
    const s = laisSource.create(adapterOptions(laisSource, { baseUrl: sim.url, tokenEnv: 'LAIS_UNIT_TOKEN', pageSize: 15, resources: ['studenti'] }), ctx);
    await s.sync(new AbortController().signal);
    assert.equal(ctx.take().length, 40);
  });

  it('refuses to start without the token variable it is told to read', () => {
    delete process.env.LAIS_UNIT_MISSING;
    assert.throws(() => laisSource.create(adapterOptions(laisSource, { baseUrl: sim.url, tokenEnv: 'LAIS_UNIT_MISSING' }), new FakeContext('/tmp')), ConfigError);
  });

  it('writes mainits in Riga time with the summer or winter offset', () => {
    assert.equal(rigaTime(Date.UTC(2024, 6, 1, 12)), '2024-07-01T15:00:00.000+03:00');
    assert.equal(rigaTime(Date.UTC(2024, 0, 15, 12)), '2024-01-15T14:00:00.000+02:00');
    assert.equal(rigaTime(Date.UTC(2024, 2, 31, 0, 59, 59)), '2024-03-31T02:59:59.000+02:00');
    assert.equal(rigaTime(Date.UTC(2024, 2, 31, 1)), '2024-03-31T04:00:00.000+03:00');
    assert.equal(rigaTime(Date.UTC(2024, 9, 27, 1)), '2024-10-27T03:00:00.000+02:00');
  });

  it('generates realistic, consistent students: valid personal codes, results within the studies, the same every time', () => {
    for (let i = 0; i < 500; i++) {
      const p = studentPlan(2026, 'LU', i, '2026-06-30');
      if (p.personalCode) assert.ok(isValidPersonalCode(p.personalCode), p.personalCode);
      else assert.ok(p.foreignDocument && p.citizenship !== 'LV');
      assert.ok(p.matriculated <= '2026-06-30' && p.resultsUntil >= p.matriculated);
      assert.equal(p.periods[0]!.start, p.matriculated);
      if (p.outcome === 'graduated') assert.equal(p.periods[p.periods.length - 1]!.status, 'absolvējis');
    }
    assert.deepEqual(studentPlan(2026, 'LU', 17, '2026-06-30'), studentPlan(2026, 'LU', 17, '2026-06-30'));
  });

  it('holds 100,000 students without making them until asked', async () => {
    const big = new LaisSimulator({ students: 100_000, resultsPerStudent: 5 });
    assert.equal(big.count('studenti'), 100_000);
    assert.equal(big.count('vertejumi'), 500_000);
    assert.equal(big.record('studenti', 99_999)?.studenta_id, 'LU100000');
    const last = big.tables.vertejumi.list({ after: big.tables.vertejumi.list({ limit: 1 }).items[0]!.key, limit: 3 });
    assert.equal(last.items.length, 3);
  });
});

describe('ISIS client (unit)', function () {
  this.timeout(20_000);

  it('classifies what the soap package throws', () => {
    const fault = (code: string) => ({ root: { Envelope: { Body: { Fault: { faultcode: code, faultstring: 'x' } } } } });
    assert.ok(classifySoapError(fault('soap:Server'), 'GetStudents', 'h') instanceof TransportError);
    assert.ok(classifySoapError(fault('soap:Client'), 'GetStudents', 'h') instanceof ConfigError);
    assert.ok(classifySoapError({ response: { status: 503 } }, 'GetStudents', 'h') instanceof TransportError);
    assert.ok(classifySoapError({ response: { status: 401 } }, 'GetStudents', 'h') instanceof ConfigError);
    assert.ok(classifySoapError({ response: { status: 200 }, body: '<soap:Env', message: 'Unclosed root tag' }, 'GetStudents', 'h') instanceof MalformedPageError);
    assert.ok(classifySoapError({ code: 'ECONNRESET' }, 'GetStudents', 'h') instanceof TransportError);
  });

  it('makes a single Status element a list, and ChangeNo a number', async () => {
    const sim = new IsisSimulator({ students: 5, resultsPerStudent: 0 });
    try {
      const c = new IsisClient({ endpoint: await sim.start(), timeoutMs: 5000 });
      const page = await c.list('studyRights', 0, 5);
      for (const r of page.records) {
        assert.ok(Array.isArray(r.Status), JSON.stringify(r.Status));
        assert.equal(typeof r.ChangeNo, 'number');
      }
    } finally {
      await sim.close();
    }
  });

  it('recognises an answer that holds fewer records than its Count says', async () => {
    const envelope = `<?xml version="1.0"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><i:StudentsResponse xmlns:i="urn:studyhub:modelled:isis:1"><i:LastChangeNo>12</i:LastChangeNo><i:More>true</i:More><i:Count>2</i:Count><i:Student><i:ChangeNo>11</i:ChangeNo><i:Modified>2026-01-05T10:00:00+02:00</i:Modified><i:StudentNo>X1</i:StudentNo><i:FirstName>A</i:FirstName><i:LastName>B</i:LastName><i:BirthDate>01.01.2000</i:BirthDate><i:Sex>M</i:Sex><i:Citizenship>LV</i:Citizenship></i:Student></i:StudentsResponse></soap:Body></soap:Envelope>`;
    const server = http.createServer((_req, res) => res.writeHead(200, { 'content-type': 'text/xml' }).end(envelope));
    await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
    try {
      const c = new IsisClient({ endpoint: `http://127.0.0.1:${(server.address() as AddressInfo).port}/isis`, timeoutMs: 5000 });
      await assert.rejects(c.list('students', 10, 5), (e: unknown) => e instanceof MalformedPageError && /Count 2 but holds 1/.test(e.message));
    } finally {
      server.closeAllConnections();
      await new Promise((r) => server.close(r));
    }
  });
});
