import type { Hub } from '../../src/hub.ts';
import { laisSource } from './hub.ts';
import type { LaisBatch } from './lais.ts';

/**
 * Feeds batches to the hub's pipeline as `concurrency` clients would (each batch one
 * Pipeline.ingest call, as one POST /api/v1/ingest request or one adapter emit is); resolves when
 * every batch is committed. Batches come from an iterator, so a generator streams them.
 */
export async function ingestAll(
  hub: Hub,
  batches: Iterable<LaisBatch>,
  concurrency: number,
  ingest: (hub: Hub, b: LaisBatch) => Promise<unknown> = (h, b) => h.pipeline.ingest(laisSource(b.institution), b.entity, b.records, 'application/json'),
): Promise<number> {
  const it = batches[Symbol.iterator]();
  let records = 0;
  const client = async () => {
    for (let n = it.next(); !n.done; n = it.next()) {
      await ingest(hub, n.value);
      records += n.value.records.length;
    }
  };
  await Promise.all(Array.from({ length: concurrency }, client));
  return records;
}
