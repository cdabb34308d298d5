import { createHash } from 'node:crypto';
import { stableStringify } from '../../src/core/ids.ts';
import { assertDepth, DEFAULT_MAX_DEPTH, jsonText } from '../../src/core/json-walk.ts';
import type { JsonObject } from '../../src/core/types.ts';
import type { MappingEngine } from '../../src/mapping/engine.ts';
import { transform } from '../../src/mapping/transform.ts';
import { SCHEMA_VERSION } from '../../src/pipeline/pipeline.ts';
import { laisSource, schemas } from './hub.ts';
import type { LaisBatch } from './lais.ts';
import type { LeanItem, LeanResult } from './lean-store.ts';
import { clock } from './measure.ts';

/** As src/pipeline/pipeline.ts: records per store transaction, and a turn of the event loop every 10 mapped records. */
const CHUNK = 100;
const YIELD_EVERY = 10;

const turn = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Nanoseconds spent mapping + validating (with the JSON text and idempotency key) and in the store's transactions. */
export interface IngestTimes {
  prepareNs: bigint;
  storeNs: bigint;
  records: number;
  committed: number;
  rejected: number;
}

/** What the pipeline's prepare + outcomeOf do to one record, with the hub's own modules; the result in the prototype's shape. */
export async function leanItem(engine: MappingEngine, institution: string, entity: string, payload: unknown): Promise<LeanItem> {
  const source = laisSource(institution);
  const raw = jsonText(payload);
  const idem = createHash('sha256')
    .update(`${source}\n${entity}\n${stableStringify(payload)}`)
    .digest();
  try {
    assertDepth(payload, DEFAULT_MAX_DEPTH, `the ${entity} record`);
    const t = await transform(engine, schemas, 'lais', entity, payload, { institution, source });
    if (t.violations.length) return { source, entity, raw, idem, outcome: { kind: 'reject', error: JSON.stringify(t.violations) } };
    const canonical: JsonObject = t.record;
    return {
      source,
      entity,
      raw,
      idem,
      outcome: {
        kind: 'commit',
        commit: {
          entity,
          institution,
          sourceSystem: source,
          sourceId: String(canonical.sourceId),
          source,
          sourceUpdatedAt: typeof canonical.sourceUpdatedAt === 'string' ? new Date(canonical.sourceUpdatedAt).toISOString() : null,
          data: canonical,
          op: 'upsert',
          schemaVersion: SCHEMA_VERSION,
        },
      },
    };
  } catch (e) {
    return { source, entity, raw, idem, outcome: { kind: 'reject', error: (e as Error).message } };
  }
}

/**
 * Feeds batches to the prototype store as `concurrency` clients would (as bench/lib/ingest.ts feeds the
 * hub): each batch mapped and validated 100 records at a time, each 100 stored in one transaction.
 */
/** A prototype store's chunk write: the SQLite one answers at once, the PostgreSQL one after its transaction. */
export interface ChunkStore {
  ingestChunk(items: readonly LeanItem[]): LeanResult[] | Promise<LeanResult[]>;
}

export async function leanIngestAll(store: ChunkStore, engine: MappingEngine, batches: Iterable<LaisBatch>, concurrency: number): Promise<IngestTimes> {
  const times: IngestTimes = { prepareNs: 0n, storeNs: 0n, records: 0, committed: 0, rejected: 0 };
  const it = batches[Symbol.iterator]();
  const client = async () => {
    for (let n = it.next(); !n.done; n = it.next()) {
      const b = n.value;
      for (let start = 0; start < b.records.length; start += CHUNK) {
        if (start > 0) await turn();
        const items: LeanItem[] = [];
        const chunk = b.records.slice(start, start + CHUNK);
        for (const [i, payload] of chunk.entries()) {
          if (i > 0 && i % YIELD_EVERY === 0) await turn();
          const t = clock();
          items.push(await leanItem(engine, b.institution, b.entity, payload));
          times.prepareNs += clock() - t;
        }
        const t = clock();
        const written = store.ingestChunk(items);
        const results = written instanceof Promise ? await written : written;
        times.storeNs += clock() - t;
        times.records += results.length;
        for (const r of results) {
          if (r.status === 'committed') times.committed++;
          else if (r.status === 'rejected') times.rejected++;
        }
      }
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return times;
}
