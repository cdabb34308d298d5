import assert from 'node:assert/strict';
import pino from 'pino';
import { adapterOptions } from '../../src/config/options.ts';
import type { EmitOutcome, RawRecord, Source, SourceContext, SourceType } from '../../src/core/adapter.ts';
import { isHubError, type HubError } from '../../src/core/errors.ts';
import { stableStringify } from '../../src/core/ids.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { compileText, MappingEngine, MAPPINGS_DIR } from '../../src/mapping/engine.ts';
import { schemas } from '../helpers/hub.ts';
import { TargetPolicy } from '../../src/core/net/target-policy.ts';

/**
 * What the conformance suite needs to drive one source adapter against its external system
 * (a simulator, a folder).
 */
export interface SourceHarness {
  type: SourceType;
  mappingSet: string;
  /** Starts the system with its data; returns the adapter options. */
  setup(): Promise<JsonObject>;
  /** How many distinct records a full read yields now. */
  total(): number;
  /** Changes or adds records in the system; returns how many records the next pass should read. */
  change(): Promise<number>;
  /** Makes the next read fail the way the system fails in operation (transiently). */
  fault(): Promise<void>;
  /** Ends the fault (for systems where it does not end by itself). */
  heal?(): Promise<void>;
  /** Puts back what earlier passes consumed (files moved away), so that a new reader sees all of it. */
  reset?(): Promise<void>;
  /** Identifies a record across passes (its key in the system). */
  key(r: RawRecord): string;
  teardown(): Promise<void>;
}

/** A SourceContext in memory: records what the adapter emits, keeps the cursor and processed set. */
export class FakeContext implements SourceContext {
  readonly logger = pino({ level: 'silent' });
  readonly dataDir: string;
  readonly sourceId = 'conformance';
  readonly institution = 'lu.lv';
  readonly mappingsDir = MAPPINGS_DIR;
  readonly compileMapping = compileText;
  readonly outbound = { origin: 'config' as const, policy: new TargetPolicy() };
  emitted: RawRecord[] = [];
  rejected: { entity: string; error: HubError }[] = [];
  cursor: string | undefined;
  cursorSaves = 0;
  readonly processedKeys = new Map<string, string | undefined>();
  syncRequests = 0;
  /** Aborted by emit after this many emit calls (simulates a stop in the middle of a pass). */
  abortAfterEmits: { n: number; ac: AbortController } | undefined;
  private emits = 0;

  constructor(dataDir: string) {
    this.dataDir = dataDir;
  }

  secret(name: string): string | undefined {
    return process.env[name];
  }

  async emit(records: RawRecord[]): Promise<EmitOutcome[]> {
    this.emitted.push(...records);
    this.emits++;
    if (this.abortAfterEmits && this.emits >= this.abortAfterEmits.n) this.abortAfterEmits.ac.abort();
    return records.map((_, i) => ({ messageId: `m${this.emitted.length - records.length + i}`, status: 'committed', duplicate: false }));
  }

  async reject(entity: string, _raw: string | Buffer, _ct: string | null, error: HubError): Promise<string> {
    this.rejected.push({ entity, error });
    return `r${this.rejected.length}`;
  }

  async loadCursor(): Promise<string | undefined> {
    return this.cursor;
  }

  async saveCursor(cursor: string): Promise<void> {
    this.cursor = cursor;
    this.cursorSaves++;
  }

  processed = {
    get: async (key: string) => (this.processedKeys.has(key) ? { detail: this.processedKeys.get(key) ?? null } : undefined),
    add: async (key: string, detail?: string) => void this.processedKeys.set(key, detail),
  };

  requestSync(): void {
    this.syncRequests++;
  }

  take(): RawRecord[] {
    const out = this.emitted;
    this.emitted = [];
    return out;
  }
}

async function pass(source: Source, signal = new AbortController().signal): Promise<void> {
  await source.sync(signal);
}

/**
 * The conformance suite every source adapter passes: options schema, entities its mapping set maps,
 * full read, quiet second pass, only the changes after changes, a stop midway resumed from the saved
 * cursor without loss, transient faults surfacing as retryable errors with nothing lost.
 */
export function sourceConformance(name: string, makeHarness: () => SourceHarness, dataDir: () => string): void {
  describe(`source conformance: ${name}`, function () {
    this.timeout(30_000);
    let h: SourceHarness;
    let options: JsonObject;
    const open = (ctx: FakeContext) => h.type.create(adapterOptions(h.type, options), ctx);
    beforeEach(async () => {
      await h?.reset?.();
    });

    before(async () => {
      h = makeHarness();
      options = await h.setup();
    });
    after(async () => {
      await h?.teardown();
    });

    it('declares options that its own schema accepts, with the core schedule options', () => {
      const validate = schemas.ajv.compile(h.type.optionsSchema);
      assert.ok(validate(options), JSON.stringify(validate.errors));
      assert.ok(validate({ ...options, pollIntervalMs: 5000, batchSize: 100, retry: { initialDelayMs: 100 } }), JSON.stringify(validate.errors));
      assert.equal(validate({ ...options, unknownOption: 1 }), false, 'unknown options are refused');
      assert.ok(h.type.defaultPollIntervalMs >= 100);
    });

    it('emits only entities its mapping set maps', () => {
      const engine = new MappingEngine();
      for (const e of h.type.entities(options)) assert.ok(engine.has(h.mappingSet, e), `${h.mappingSet} maps ${e}`);
    });

    it('reads everything in a first pass, nothing in a second, only the changes after changes', async () => {
      const ctx = new FakeContext(dataDir());
      const s = open(ctx);
      await s.start?.();
      try {
        await pass(s);
        const first = ctx.take();
        assert.equal(new Set(first.map((r) => h.key(r))).size, h.total(), 'every record once');
        assert.ok(
          first.every((r) => h.type.entities(options).includes(r.entity)),
          'declared entities only',
        );
        assert.ok(ctx.cursor !== undefined || ctx.processedKeys.size > 0, 'progress is persisted');
        await pass(s);
        assert.deepEqual(
          ctx.take().map((r) => h.key(r)),
          [],
          'a second pass reads nothing new',
        );
        const changed = await h.change();
        await pass(s);
        const third = ctx.take();
        assert.equal(new Set(third.map((r) => h.key(r))).size, changed, 'only the changes');
      } finally {
        await s.close();
      }
    });

    it('resumes from the saved cursor after a stop in the middle of a pass, losing nothing', async () => {
      const ctx = new FakeContext(dataDir());
      const ac = new AbortController();
      ctx.abortAfterEmits = { n: 2, ac };
      const a = open(ctx);
      await pass(a, ac.signal);
      await a.close();
      const before = ctx.take();
      const total = h.total();
      assert.ok(before.length > 0 && new Set(before.map((r) => h.key(r))).size < total, `stopped midway (${before.length} of ${total})`);
      ctx.abortAfterEmits = undefined;
      const b = open(ctx);
      await pass(b);
      await b.close();
      const after = ctx.take();
      const all = new Set([...before, ...after].map((r) => h.key(r)));
      assert.equal(all.size, total, 'nothing lost');
      assert.ok(after.length < total, `the second instance did not start over (${after.length} of ${total})`);
    });

    it('surfaces a transient fault as a retryable error, and the next pass loses nothing', async () => {
      const ctx = new FakeContext(dataDir());
      const s = open(ctx);
      try {
        await pass(s);
        ctx.take();
        const changed = await h.change();
        await h.fault();
        let error: unknown;
        await pass(s).catch((e: unknown) => (error = e));
        assert.ok(isHubError(error), `a HubError, got ${String(error)}`);
        assert.equal(error.retryable, true, `${error.code} is retryable`);
        await h.heal?.();
        await pass(s);
        assert.equal(new Set(ctx.take().map((r) => h.key(r))).size, changed, 'the changes arrive after the fault');
      } finally {
        await s.close();
      }
    });

    it('serialises each emitted payload as JSON without loss', async () => {
      const ctx = new FakeContext(dataDir());
      const s = open(ctx);
      try {
        await pass(s);
        for (const r of ctx.take().slice(0, 50)) assert.equal(stableStringify(JSON.parse(JSON.stringify(r.payload))), stableStringify(r.payload));
      } finally {
        await s.close();
      }
    });
  });
}
