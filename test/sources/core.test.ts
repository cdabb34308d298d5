import assert from 'node:assert/strict';
import pino from 'pino';
import { adapters } from '../../adapters/index.ts';
import { withScheduleOptions, type AdapterRegistry, type RawRecord, type SourceContext, type SourceType } from '../../src/core/adapter.ts';
import { ConfigError, TransportError } from '../../src/core/errors.ts';
import { SourceManager } from '../../src/sources/manager.ts';
import { SourceStates } from '../../src/sources/state.ts';
import { backends, eventually } from '../helpers/hub.ts';
import { Backing, countMessages, passDone, runner, sourceConfig, type OpenHub } from './helpers.ts';

/** What the fake source does on each pass; tests replace it. */
interface Script {
  pass(ctx: SourceContext, signal: AbortSignal, n: number): Promise<void>;
}
let script: Script = { pass: async () => undefined };
let passes = 0;
let concurrent = 0;
let maxConcurrent = 0;
/** The context of each source the fake type created, in order: its index tells which worker runs a pass. */
let contexts: SourceContext[] = [];

const fakeSource: SourceType = {
  type: 'fake',
  description: 'test source driven by the test',
  optionsSchema: withScheduleOptions({ type: 'object', additionalProperties: false, properties: { entity: { type: 'string' } } }),
  defaultPollIntervalMs: 3_600_000,
  entities: (o) => [String(o.entity ?? 'person')],
  create: (_o, ctx) => (
    contexts.push(ctx),
    {
      async sync(signal) {
        concurrent++;
        maxConcurrent = Math.max(maxConcurrent, concurrent);
        try {
          await script.pass(ctx, signal, ++passes);
        } finally {
          concurrent--;
        }
      },
      close: async () => undefined,
    }
  ),
};
const registry: AdapterRegistry = { sinks: adapters.sinks, sources: [fakeSource] };

const person = (n: number) => ({ sourceId: `P${n}`, identifiers: [{ scheme: 'student-number', value: `P${n}` }], givenNames: 'Ilze', familyName: 'Kalniņa' });
const records = (from: number, n: number): RawRecord[] => Array.from({ length: n }, (_, i) => ({ entity: 'person', payload: person(from + i) }));

function config(options: Record<string, unknown> = {}) {
  return sourceConfig([{ id: 'fake-src', institution: 'rtu.lv', mappingSet: 'canonical', adapter: { type: 'fake', options: { retry: { initialDelayMs: 20, maxDelayMs: 80 }, ...options } } }], {
    routes: false,
  });
}

for (const backend of backends()) {
  describe(`source manager (${backend})`, function () {
    this.timeout(30_000);
    let backing: Backing;
    let t: OpenHub | undefined;
    beforeEach(() => {
      backing = new Backing(backend);
      passes = 0;
      maxConcurrent = 0;
      contexts = [];
    });
    afterEach(async () => {
      await t?.stop();
      t = undefined;
      await backing.drop();
      script = { pass: async () => undefined };
    });

    it('feeds emitted records to the pipeline in batches; each becomes a stored message, rejected ones with reasons', async () => {
      const batches: number[] = [];
      script = {
        pass: async (ctx) => {
          const out = await ctx.emit([...records(1, 5), { entity: 'person', payload: { sourceId: 'P-bad' } }, ...records(6, 2)]);
          batches.push(out.length);
          assert.deepEqual(
            out.map((o) => o.status),
            ['committed', 'committed', 'committed', 'committed', 'committed', 'rejected', 'committed', 'committed'],
          );
          assert.equal(out[5]!.error?.code, 'HUB_ERR_SCHEMA_VALIDATION');
          await ctx.saveCursor('after-8', '2026-01-01T00:00:00Z');
        },
      };
      t = await backing.open(config({ batchSize: 3 }), { registry });
      await passDone(t.hub, 'fake-src');
      assert.equal(await countMessages(t.hub, 'fake-src'), 8);
      assert.equal(await countMessages(t.hub, 'fake-src', 'rejected'), 1);
      const st = await new SourceStates(t.hub.store.sql).get('fake-src');
      assert.equal(st?.cursor, 'after-8');
      assert.equal(st?.cursorAsOf, '2026-01-01T00:00:00Z');
      assert.equal(st?.recordsRead, 8);
    });

    it('keeps records of an entity the mapping set does not map, and unreadable input, as rejected messages', async () => {
      script = {
        pass: async (ctx) => {
          const out = await ctx.emit([{ entity: 'no-such-entity', payload: { a: 1 } }]);
          assert.equal(out[0]!.status, 'rejected');
          assert.equal(out[0]!.error?.code, 'HUB_ERR_UNKNOWN_ENTITY');
          await ctx.reject('person', Buffer.from('{"cut'), 'application/json', new TransportError('cut off'));
        },
      };
      t = await backing.open(config(), { registry });
      await passDone(t.hub, 'fake-src');
      const rejected = await t.hub.store.listMessages({ sourceId: 'fake-src', status: 'rejected', limit: 10 });
      assert.deepEqual(rejected.map((m) => m.raw).sort(), ['{"a":1}', '{"cut']);
    });

    it('retries a failing pass with growing back-off, counts the errors, recovers', async () => {
      const times: number[] = [];
      script = {
        pass: async (ctx, _s, n) => {
          times.push(Date.now());
          if (n <= 4) throw new TransportError(`LAIS down (attempt ${n}); personal code 010203-12345 must not be stored`);
          await ctx.emit(records(1, 1));
        },
      };
      t = await backing.open(config(), { registry });
      await passDone(t.hub, 'fake-src');
      const st = (await new SourceStates(t.hub.store.sql).get('fake-src'))!;
      assert.equal(st.errorCount, 4);
      assert.equal(st.consecutiveFailures, 0);
      assert.equal(st.lastErrorCode, 'HUB_ERR_TRANSPORT');
      assert.ok(!st.lastError?.includes('010203-12345'), `scrubbed: ${st.lastError}`);
      assert.ok(st.lastError?.includes('[redacted]'));
      const gaps = times.slice(1).map((x, i) => x - times[i]!);
      assert.ok(gaps[0]! >= 15 && gaps[2]! >= 60, `back-off grows: ${gaps.join(', ')}`);
    });

    it('waits at least the poll interval after a non-retryable error', async () => {
      const starts: number[] = [];
      script = {
        pass: async (_c, _s, n) => {
          starts.push(Date.now());
          if (n === 1) throw new ConfigError('LAIS refused the credentials');
        },
      };
      t = await backing.open(config({ pollIntervalMs: 400 }), { registry });
      await passDone(t.hub, 'fake-src', 1);
      const st = (await new SourceStates(t.hub.store.sql).get('fake-src'))!;
      assert.equal(st.errorCount, 1);
      assert.equal(st.lastErrorCode, 'HUB_ERR_CONFIG');
      // The retry back-off would be 20 ms; after a non-retryable error the next pass waits for the poll interval.
      assert.ok(starts[1]! - starts[0]! >= 400, `the second pass came ${starts[1]! - starts[0]!} ms after the failed one`);
    });

    it('refuses to start a source whose mapping set does not map what it reads', async () => {
      await assert.rejects(backing.open(config({ entity: 'no-such-entity' }), { registry }), (e: unknown) => e instanceof ConfigError && e.violations.some((v) => v.path === '/sources/0/mappingSet'));
    });

    it('lets one worker read a source at a time (lease): the other waits in standby, and both read in turn', async () => {
      const byWorker = [0, 0];
      let sawStandby = false;
      const workers: { second?: SourceManager } = {};
      script = {
        pass: async (ctx, signal) => {
          byWorker[contexts.indexOf(ctx)]!++;
          // Hold the source until the other worker has looked at it and found it taken (standby), or,
          // were there no lease, has started a pass of its own: two passes at once.
          await eventually(
            () => {
              const standby = [runner(hub, 'fake-src'), workers.second?.runner('fake-src')].some((r) => r?.phase === 'standby');
              sawStandby ||= standby;
              return standby || concurrent > 1;
            },
            10_000,
            'the other worker to look at the source',
          );
          if (!signal.aborted) await ctx.saveCursor(String(Date.now()));
        },
      };
      t = await backing.open(config({ pollIntervalMs: 100 }), { registry });
      const hub = t.hub;
      const second = new SourceManager({
        config: hub.config,
        types: [fakeSource],
        pipeline: hub.pipeline,
        sql: hub.store.sql,
        registry: new (await import('prom-client')).Registry(),
        logger: pino({ level: 'silent' }),
        context: (s) => hub.adapterContext(s),
        maps: (set, e) => hub.mappings.has(set, e),
        controlIntervalMs: 50,
      });
      workers.second = second;
      await second.start();
      try {
        await eventually(() => byWorker[0]! >= 2 && byWorker[1]! >= 2, 20_000, `two passes by each worker (so far ${byWorker.join(' and ')})`);
        assert.equal(contexts.length, 2, 'one source per worker');
        assert.equal(maxConcurrent, 1, 'never two passes at once');
        assert.ok(sawStandby, 'a worker found the source taken');
      } finally {
        await second.stop();
      }
    });
  });
}
