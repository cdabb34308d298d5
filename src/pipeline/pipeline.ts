import type { Logger } from 'pino';
import { DEFAULT_LIMITS } from '../config/load.ts';
import type { HubConfig, SourceConfig } from '../config/types.ts';
import type { HubError } from '../core/errors.ts';
import { BadRequestError, InternalError, isHubError, SchemaValidationError, UnknownEntityError, UnknownSourceError } from '../core/errors.ts';
import { sha256Hex, stableStringify, uuidv7 } from '../core/ids.ts';
import { assertDepth, DEFAULT_MAX_DEPTH, jsonText } from '../core/json-walk.ts';
import type { CanonicalRecord, JsonObject, MessageStatus } from '../core/types.ts';
import type { MappingEngine } from '../mapping/engine.ts';
import { transform } from '../mapping/transform.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { RecordReader } from '../store/records.ts';
import { ChunkBudget } from './chunk-budget.ts';
import type { CommitInput, CommitOutcome, CommitResult, IngestItem, IngestItemResult, IngestOutcome, NewMessage, Store, StoredMessage } from '../store/types.ts';

/** Records stored in one transaction at most (and between which the event loop is let go). */
const INGEST_CHUNK = 100;
/**
 * On a store whose calls hold the event loop (SQLite), the time one chunk's transaction should take:
 * chunks are sized to it (src/pipeline/chunk-budget.ts), so that API requests wait for at most about
 * this long behind an ingest. The config's limits.ingestChunkMs sets it (an initial load may raise it).
 */
export const INGEST_CHUNK_BUDGET_MS = DEFAULT_LIMITS.ingestChunkMs;
/** Records in one chunk at least, however slow: smaller chunks cost more per record than they save in latency. */
const INGEST_CHUNK_MIN = 25;
/** Records mapped between two turns of the event loop. */
const YIELD_EVERY = 10;

export const SCHEMA_VERSION = '1';

export interface RecordResult {
  index: number;
  messageId: string;
  status: MessageStatus;
  duplicate: boolean;
  outcome?: CommitOutcome;
  recordId?: string;
  version?: number;
  error?: { code: string; detail: string; violations: HubError['violations'] };
}

export interface PipelineDeps {
  config: HubConfig;
  store: Store;
  schemas: SchemaRegistry;
  mappings: MappingEngine;
  metrics: HubMetrics;
  logger: Logger;
  /** Called after a commit that produced an outbox event, with its entity (wakes the relay and the change log's followers). */
  onCommitted?: (entity: string) => void;
  /** Called after a consent record is committed (releases the withheld deliveries it unlocks). */
  onConsent?: (record: CanonicalRecord) => Promise<unknown>;
  /** The time budget of one chunk's transaction on SQLite (default: the config's limits.ingestChunkMs, else INGEST_CHUNK_BUDGET_MS). */
  chunkBudgetMs?: number;
  /** The least records of a chunk on SQLite (default, and at most, 25; tests make it smaller). */
  chunkMin?: number;
}

/**
 * Ingest → store raw → map → validate → commit. Each record becomes one message, stored before
 * anything else happens to it, so a record that fails at any step is kept as a rejected message
 * with its reasons and can be replayed.
 */
export class Pipeline {
  private readonly sources: Map<string, SourceConfig>;
  /** limits.maxDepth: a record nested deeper is rejected before anything walks it. */
  private readonly maxDepth: number;
  /** How many records the next chunk takes: by time on SQLite, whose transactions hold the event loop; else INGEST_CHUNK. */
  private readonly chunks: ChunkBudget | undefined;

  constructor(private readonly d: PipelineDeps) {
    this.sources = new Map(d.config.sources.map((s) => [s.id, s]));
    this.maxDepth = d.config.limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
    this.chunks =
      d.store.kind === 'sqlite'
        ? new ChunkBudget(d.chunkBudgetMs ?? d.config.limits?.ingestChunkMs ?? INGEST_CHUNK_BUDGET_MS, INGEST_CHUNK, Math.min(INGEST_CHUNK_MIN, d.chunkMin ?? INGEST_CHUNK_MIN))
        : undefined;
  }

  source(sourceId: string): SourceConfig {
    const s = this.sources.get(sourceId);
    if (!s) throw new UnknownSourceError(`unknown source '${sourceId}'`, { extra: { knownSources: [...this.sources.keys()] } });
    return s;
  }

  /** Checks that the source and entity exist and the source's mapping set maps that entity. */
  checkTarget(sourceId: string, entity: string): SourceConfig {
    const s = this.source(sourceId);
    if (!this.d.schemas.entities().includes(entity)) {
      throw new UnknownEntityError(`unknown entity '${entity}'`, { extra: { knownEntities: this.d.schemas.entities() } });
    }
    if (!this.d.mappings.has(s.mappingSet, entity)) {
      throw new UnknownEntityError(
        `source '${sourceId}' has no mapping for entity '${entity}' (mapping set '${s.mappingSet}' maps: ${this.d.mappings.entities(s.mappingSet).join(', ') || 'nothing'})`,
      );
    }
    return s;
  }

  /**
   * Keeps input that could not be turned into records (bad JSON, wrong encoding, unknown source…)
   * as a rejected message, so nothing sent to the hub disappears.
   */
  async rejectRaw(sourceId: string, entity: string, raw: Buffer | null, contentType: string | null, error: HubError): Promise<StoredMessage> {
    const text = raw === null ? null : raw.toString('utf8');
    const { message } = await this.d.store.insertMessage({
      id: uuidv7(),
      sourceId,
      entity,
      institution: this.sources.get(sourceId)?.institution ?? null,
      contentType,
      raw: text,
      rawSize: raw?.length ?? 0,
      idempotencyKey: null,
      status: 'rejected',
      errorCode: error.code,
      errorDetail: error.message,
      errors: error.violations,
    });
    this.d.metrics.messages.inc({ status: 'rejected', source: this.sources.has(sourceId) ? sourceId : 'unknown', entity });
    return message;
  }

  /**
   * Ingests decoded records of one source and entity; returns one result per record, in order. Each
   * chunk of records is mapped and validated first and then stored with its outcome in one transaction
   * (Store.ingestBatch): the raw record is kept with the reason when it is rejected, and an input sent
   * again is found by its idempotency key. A chunk is at most INGEST_CHUNK records, and on SQLite as
   * many as its transaction stores within the time budget (ChunkBudget). An outage fails the call (the
   * client sends it again); a chunk the store refuses for any other reason is taken again record by
   * record, so that one bad record is rejected alone.
   */
  async ingest(sourceId: string, entity: string, records: unknown[], contentType: string | null): Promise<RecordResult[]> {
    const source = this.checkTarget(sourceId, entity);
    const results: RecordResult[] = [];
    for (let start = 0, size = 0; start < records.length; start += size) {
      // Between chunks, let other work run (API reads, deliveries): the SQLite store's calls are
      // synchronous, and a whole call of hundreds would hold the event loop (docs/performance.md).
      if (start > 0) await new Promise<void>((resolve) => setImmediate(resolve));
      size = this.chunks ? this.chunks.size(records.length - start) : INGEST_CHUNK;
      const chunk = records.slice(start, start + size);
      const items: IngestItem[] = [];
      for (const [i, payload] of chunk.entries()) {
        // JSONata resolves through microtasks only: without a turn of the event loop now and then, a
        // chunk's mapping would hold it for the whole chunk (API reads waiting behind an ingest).
        if (i > 0 && i % YIELD_EVERY === 0) await new Promise<void>((resolve) => setImmediate(resolve));
        items.push(await this.prepare(source, entity, payload, contentType));
      }
      let stored: IngestItemResult[];
      try {
        const t = performance.now();
        stored = await this.d.store.ingestBatch(items);
        this.chunks?.observe(items.length, performance.now() - t);
      } catch (e) {
        if (isHubError(e) && e.retryable) throw e;
        this.d.logger.warn({ err: e, source: sourceId, entity }, 'storing an ingest chunk failed; taking its records one by one');
        for (const [i, item] of items.entries()) results.push(await this.ingestOne(source, entity, item, start + i));
        continue;
      }
      for (const [i, r] of stored.entries()) results.push(await this.settle(source, entity, items[i]!, r, start + i));
    }
    return results;
  }

  /**
   * Deletes records of a source, named by the source ids they were committed under (`sourceId`, the
   * business key), along the same trail as any input: one message per id (raw `{"delete":{"sourceId":…}}`),
   * then a commit with op `delete` that keeps the record's last data but marks it deleted (the store's
   * reads and every API leave it out), and a `delete` change event for the routes and feeds (delete
   * events carry no record; a sink that needs the data reads the deleted record by its id). An id the
   * source never committed is a rejected message (HUB_ERR_NOT_FOUND); one already deleted is `unchanged`.
   */
  async remove(sourceId: string, entity: string, sourceIds: string[]): Promise<RecordResult[]> {
    const source = this.checkTarget(sourceId, entity);
    const results: RecordResult[] = [];
    for (const [index, key] of sourceIds.entries()) {
      const raw = JSON.stringify({ delete: { sourceId: key } });
      const message: NewMessage = {
        id: uuidv7(),
        sourceId: source.id,
        entity,
        institution: source.institution,
        contentType: 'application/json',
        raw,
        rawSize: Buffer.byteLength(raw),
        // A deletion sent again finds the record deleted (unchanged); a key would also match a later deletion of a re-created record.
        idempotencyKey: null,
        status: 'received',
      };
      results.push(await this.ingestOne(source, entity, { message, outcome: await this.deletionOutcome(source, entity, key) }, index));
    }
    return results;
  }

  /** What deleting the record of this source id means: a commit with op delete, or a rejection when there is none. */
  private async deletionOutcome(source: SourceConfig, entity: string, key: string): Promise<IngestOutcome> {
    const [prev] = await new RecordReader(this.d.store.sql).find({ entity, institution: source.institution, system: source.system ?? source.id, sourceId: key, withDeleted: true, limit: 1 });
    if (!prev)
      return {
        kind: 'reject',
        canonical: null,
        businessKey: key,
        errorCode: 'HUB_ERR_NOT_FOUND',
        errorDetail: `source ${source.id} holds no ${entity} with sourceId ${key}: nothing to delete`,
        errors: [],
      };
    return { kind: 'commit', canonical: prev.data, businessKey: key, commit: { ...this.commitInput(source, entity, prev.data), sourceId: key, sourceUpdatedAt: null, op: 'delete' } };
  }

  /** Maps and validates one record: the message to store and what to do with it. */
  private async prepare(source: SourceConfig, entity: string, payload: unknown, contentType: string | null): Promise<IngestItem> {
    // Both serializations survive any depth (a too-deep record is kept with its raw text, then
    // rejected); only a cycle, possible in a value built by a flow, has no JSON text at all.
    let raw: string | null = null;
    let idempotencyKey: string | null = null;
    try {
      raw = jsonText(payload);
      idempotencyKey = sha256Hex(`${source.id}\n${entity}\n${stableStringify(payload)}`);
    } catch (e) {
      if (!(e instanceof TypeError)) throw e;
    }
    const message: NewMessage = {
      id: uuidv7(),
      sourceId: source.id,
      entity,
      institution: source.institution,
      contentType,
      raw,
      rawSize: raw === null ? 0 : Buffer.byteLength(raw),
      idempotencyKey,
      status: 'received',
    };
    return { message, outcome: await this.outcomeOf(source, entity, payload, message.id) };
  }

  /** map → validate: a commit, or the rejection with its reasons. */
  private async outcomeOf(source: SourceConfig, entity: string, payload: unknown, messageId: string): Promise<IngestOutcome> {
    let canonical: JsonObject | null = null;
    let businessKey: string | null = null;
    try {
      assertDepth(payload, this.maxDepth, `the ${entity} record`);
      const t = await transform(this.d.mappings, this.d.schemas, source.mappingSet, entity, payload, { institution: source.institution, source: source.id });
      canonical = t.record;
      businessKey = typeof canonical.sourceId === 'string' ? canonical.sourceId : null;
      if (t.violations.length) throw new SchemaValidationError(`the ${entity} record does not match schemas/${entity}.schema.json`, { violations: t.violations });
      return { kind: 'commit', canonical, businessKey, commit: this.commitInput(source, entity, canonical) };
    } catch (e) {
      if (isHubError(e) && e.retryable) throw e;
      const err = isHubError(e) ? e : new InternalError(`unexpected error: ${(e as Error).message}`, { cause: e });
      if (!isHubError(e)) this.d.logger.error({ err: e, messageId }, 'pipeline failed unexpectedly');
      return { kind: 'reject', canonical, businessKey, errorCode: err.code, errorDetail: err.message, errors: err.violations };
    }
  }

  private commitInput(source: SourceConfig, entity: string, canonical: JsonObject): Omit<CommitInput, 'messageId'> {
    return {
      entity,
      institution: source.institution,
      sourceSystem: source.system ?? source.id,
      sourceId: String(canonical.sourceId),
      source: source.id,
      sourceUpdatedAt: typeof canonical.sourceUpdatedAt === 'string' ? new Date(canonical.sourceUpdatedAt).toISOString() : null,
      data: canonical,
      op: 'upsert',
      schemaVersion: SCHEMA_VERSION,
    };
  }

  /** The result of one stored record: metrics, the relay woken, a consent's withheld deliveries released. */
  private async settle(source: SourceConfig, entity: string, item: IngestItem, r: IngestItemResult, index: number): Promise<RecordResult> {
    const { metrics } = this.d;
    const { outcome } = item;
    if (r.duplicate) return (await this.reopened(r.existing)) ? this.ingestOne(source, entity, item, index) : resultOf(index, r.existing, true);
    metrics.messages.inc({ status: 'received', source: source.id, entity });
    if (outcome.kind === 'reject') {
      metrics.messages.inc({ status: 'rejected', source: source.id, entity });
      return rejectedResult(index, r.messageId, outcome.errorCode, outcome.errorDetail, outcome.errors);
    }
    return this.committed(source, entity, r.messageId, r.commit!, index);
  }

  private async committed(source: SourceConfig, entity: string, messageId: string, result: CommitResult, index: number): Promise<RecordResult> {
    const status: MessageStatus = result.outcome === 'stale' ? 'stale' : result.outcome === 'unchanged' ? 'unchanged' : 'committed';
    this.d.metrics.messages.inc({ status, source: source.id, entity });
    if (result.event) this.d.onCommitted?.(entity);
    if (result.event && entity === 'consent') {
      // The consent is committed; a failed release is retried by the privacy job, not by rejecting the consent.
      await this.d.onConsent?.(result.record)?.catch((e: unknown) => this.d.logger.warn({ messageId }, `releasing withheld deliveries failed: ${(e as Error).message}`));
    }
    return { index, messageId, status, duplicate: false, outcome: result.outcome, recordId: result.record.id, version: result.record.version };
  }

  /** One mapped record in its own transactions (insert, update, commit): the way back when a chunk failed. */
  private async ingestOne(source: SourceConfig, entity: string, item: IngestItem, index: number): Promise<RecordResult> {
    let { message, duplicate } = await this.d.store.insertMessage(item.message);
    if (duplicate && (await this.reopened(message))) ({ message, duplicate } = await this.d.store.insertMessage(item.message));
    if (duplicate && message.status !== 'received' && message.status !== 'validated') return resultOf(index, message, true);
    if (!duplicate) this.d.metrics.messages.inc({ status: 'received', source: source.id, entity });
    return this.process(message, source, item.outcome, index);
  }

  /**
   * An input sent again is a duplicate of the message that first brought it, unless that message's
   * record has been deleted since: then the same input means the record exists again. The earlier
   * message gives up its idempotency key (it keeps its trail) and the input is taken as new.
   */
  private async reopened(existing: StoredMessage): Promise<boolean> {
    if (!existing.recordId) return false;
    const record = await this.d.store.getRecord(existing.entity, existing.recordId);
    if (!record?.deleted) return false;
    await this.d.store.updateMessage(existing.id, { idempotencyKey: null });
    return true;
  }

  /** Runs a stored message through map → validate → commit again (replay of a rejected message). */
  async reprocess(message: StoredMessage): Promise<RecordResult> {
    const source = this.source(message.sourceId);
    if (message.raw === null) throw new BadRequestError('the message has no readable raw payload to replay');
    let payload: unknown;
    try {
      payload = JSON.parse(message.raw);
    } catch {
      throw new BadRequestError('the message raw payload is not JSON; send it again with the fix instead');
    }
    this.checkTarget(message.sourceId, message.entity);
    this.d.mappings.reload(source.mappingSet);
    await this.d.store.updateMessage(message.id, { status: 'received', errors: [], errorCode: null, errorDetail: null }, 'replay');
    const deletion = deletionKey(payload);
    const outcome = deletion !== undefined ? await this.deletionOutcome(source, message.entity, deletion) : await this.outcomeOf(source, message.entity, payload, message.id);
    return this.process({ ...message, status: 'received' }, source, outcome, 0);
  }

  /** Stores what map → validate made of a stored message: rejected, or validated and committed. */
  private async process(message: StoredMessage, source: SourceConfig, outcome: IngestOutcome, index: number): Promise<RecordResult> {
    const { store, metrics } = this.d;
    try {
      if (outcome.kind === 'commit') {
        await store.updateMessage(message.id, { status: 'validated', canonical: outcome.canonical, businessKey: outcome.businessKey }, 'mapped and validated');
        return await this.committed(source, message.entity, message.id, await store.commit({ ...outcome.commit, messageId: message.id }), index);
      }
      if (outcome.canonical) await store.updateMessage(message.id, { canonical: outcome.canonical, businessKey: outcome.businessKey }, 'mapped');
      await store.updateMessage(message.id, { status: 'rejected', errors: outcome.errors, errorCode: outcome.errorCode, errorDetail: outcome.errorDetail, idempotencyKey: null });
      metrics.messages.inc({ status: 'rejected', source: source.id, entity: message.entity });
      return rejectedResult(index, message.id, outcome.errorCode, outcome.errorDetail, outcome.errors);
    } catch (e) {
      // An outage is not the record's fault: leave the message where it stopped and let the caller
      // retry (the same input finds this message by its idempotency key and finishes it).
      if (isHubError(e) && e.retryable) throw e;
      const err = isHubError(e) ? e : new InternalError(`unexpected error: ${(e as Error).message}`, { cause: e });
      if (!isHubError(e)) this.d.logger.error({ err: e, messageId: message.id }, 'pipeline failed unexpectedly');
      await store.updateMessage(message.id, { status: 'rejected', errors: err.violations, errorCode: err.code, errorDetail: err.message, idempotencyKey: null });
      metrics.messages.inc({ status: 'rejected', source: source.id, entity: message.entity });
      return rejectedResult(index, message.id, err.code, err.message, err.violations);
    }
  }
}

/** The source id of a deletion message's raw payload (`{"delete":{"sourceId":…}}`, written by Pipeline.remove). */
function deletionKey(payload: unknown): string | undefined {
  if (!payload || typeof payload !== 'object' || Object.keys(payload).length !== 1) return undefined;
  const d = (payload as { delete?: unknown }).delete;
  const key = d && typeof d === 'object' ? (d as { sourceId?: unknown }).sourceId : undefined;
  return typeof key === 'string' ? key : undefined;
}

function rejectedResult(index: number, messageId: string, code: string, detail: string, violations: HubError['violations']): RecordResult {
  return { index, messageId, status: 'rejected', duplicate: false, error: { code, detail, violations } };
}

function resultOf(index: number, m: StoredMessage, duplicate: boolean): RecordResult {
  return {
    index,
    messageId: m.id,
    status: m.status,
    duplicate,
    ...(m.recordId ? { recordId: m.recordId } : {}),
    ...(m.recordVersion ? { version: m.recordVersion } : {}),
    ...(m.status === 'rejected' ? { error: { code: m.errorCode ?? 'HUB_ERR_INTERNAL', detail: m.errorDetail ?? '', violations: m.errors } } : {}),
  };
}
