import type { AdapterContext, EmitOutcome, RawRecord, SourceContext } from '../core/adapter.ts';
import { isHubError, type HubError } from '../core/errors.ts';
import type { Pipeline, RecordResult } from '../pipeline/pipeline.ts';
import type { SourceMetrics } from './metrics.ts';
import type { SourceStates } from './state.ts';

export interface ContextDeps {
  base: AdapterContext;
  sourceId: string;
  institution: string;
  pipeline: Pipeline;
  states: SourceStates;
  metrics: SourceMetrics;
  batchSize: number;
  /** Called before each cursor save (lease renewal, pause check); may throw to stop the pass. */
  checkpoint(): Promise<void>;
  requestSync(): void;
}

function outcome(r: RecordResult): EmitOutcome {
  return {
    messageId: r.messageId,
    status: r.status,
    duplicate: r.duplicate,
    ...(r.error ? { error: { code: r.error.code, detail: r.error.detail, violations: r.error.violations.map((v) => ({ path: v.path, message: v.message })) } } : {}),
  };
}

/**
 * The SourceContext the core hands to an adapter: emit() feeds the pipeline in batches of one entity
 * (every record becomes a stored message, rejected ones with their reasons); cursors and the
 * processed-items set are persisted in the sources tables.
 */
export function sourceContext(d: ContextDeps): SourceContext & { flushCount(): Promise<void> } {
  let unsaved = 0;

  const ingest = async (entity: string, payloads: unknown[]): Promise<EmitOutcome[]> => {
    try {
      return (await d.pipeline.ingest(d.sourceId, entity, payloads, 'application/json')).map(outcome);
    } catch (e) {
      // An outage: the pass stops and is retried from the saved cursor (the stored part is found again by its idempotency key).
      if (!isHubError(e) || e.retryable) throw e;
      // The source's mapping set does not map this entity: keep every record as a rejected message.
      const out: EmitOutcome[] = [];
      for (const p of payloads) {
        const m = await d.pipeline.rejectRaw(d.sourceId, entity, Buffer.from(JSON.stringify(p)), 'application/json', e);
        out.push({ messageId: m.id, status: 'rejected', duplicate: false, error: { code: e.code, detail: e.message } });
      }
      return out;
    }
  };

  return {
    ...d.base,
    sourceId: d.sourceId,
    institution: d.institution,
    async emit(records: RawRecord[]): Promise<EmitOutcome[]> {
      const out: EmitOutcome[] = [];
      let i = 0;
      while (i < records.length) {
        const entity = records[i]!.entity;
        let j = i;
        while (j < records.length && records[j]!.entity === entity && j - i < d.batchSize) j++;
        const payloads = records.slice(i, j).map((r) => (r.payload === undefined ? null : r.payload));
        out.push(...(await ingest(entity, payloads)));
        d.metrics.records.inc({ source: d.sourceId, entity }, payloads.length);
        unsaved += payloads.length;
        i = j;
      }
      return out;
    },
    async reject(entity: string, raw: string | Buffer, contentType: string | null, error: HubError): Promise<string> {
      const m = await d.pipeline.rejectRaw(d.sourceId, entity, typeof raw === 'string' ? Buffer.from(raw, 'utf8') : raw, contentType, error);
      d.metrics.records.inc({ source: d.sourceId, entity });
      unsaved++;
      return m.id;
    },
    async loadCursor(): Promise<string | undefined> {
      return (await d.states.get(d.sourceId))?.cursor ?? undefined;
    },
    async saveCursor(cursor: string, asOf?: string): Promise<void> {
      await d.checkpoint();
      const n = unsaved;
      unsaved = 0;
      await d.states.saveCursor(d.sourceId, cursor, asOf ?? null, n);
    },
    processed: {
      get: (key) => d.states.getProcessed(d.sourceId, key),
      add: async (key, detail) => {
        const n = unsaved;
        unsaved = 0;
        await d.states.addRecords(d.sourceId, n);
        await d.states.addProcessed(d.sourceId, key, detail ?? null);
      },
    },
    requestSync: () => d.requestSync(),
    /** Adds the records read since the last cursor save to the persisted count (end of a pass). */
    async flushCount(): Promise<void> {
      const n = unsaved;
      unsaved = 0;
      await d.states.addRecords(d.sourceId, n);
    },
  };
}
