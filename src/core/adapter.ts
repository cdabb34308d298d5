import type { Logger } from 'pino';
import type { TargetPolicy } from './net/target-policy.ts';
import type { HubError } from './errors.ts';
import type { CanonicalRecord, ChangeEvent, JsonObject, MessageStatus } from './types.ts';

/**
 * The small contracts adapters implement. Reconnects, back-off, acks, retries and metrics live in
 * the core; an adapter only says how to talk to one system.
 */

export interface AdapterContext {
  logger: Logger;
  dataDir: string;
  /** Reads a secret from the environment by the name the config gave. */
  secret(name: string): string | undefined;
  /** The folder of mapping sets (mappings/): where an adapter finds a mapping set its options name. */
  mappingsDir: string;
  /**
   * Compiles the text of a mapping (JSONata) that the adapter runs itself, e.g. a sink's mapping of
   * canonical records to its receiver's format; throws a HubError naming `name` when it does not compile.
   */
  compileMapping(text: string, name: string): CompiledMapping;
  /** Where the adapter's outbound HTTP may connect to (src/core/net, docs/security.md). */
  outbound: OutboundContext;
}

/**
 * The outbound policy of an adapter: for a sink the config names (`origin: 'config'`) its own host is
 * allowed, as an admin wrote it; for a target that came through the API (`origin: 'api'`, webhook
 * subscriptions) only public addresses and `webhooks.allowTargets`. The response body of an API target
 * is never shown to whoever created it.
 */
export interface OutboundContext {
  origin: 'config' | 'api';
  policy: TargetPolicy;
}

/** A compiled mapping an adapter runs (AdapterContext.compileMapping). */
export interface CompiledMapping {
  /**
   * Evaluates the mapping on one input with these bindings (`$name` in the mapping). A rejection
   * (`$error()`) or a failure rejects with the mapping language's error (its message, a `code`).
   */
  evaluate(input: unknown, bindings: Readonly<Record<string, unknown>>): Promise<unknown>;
}

export interface DeliveryContext {
  /** 1 for the first attempt. */
  attempt: number;
  routeId: string;
  /** Stable key the receiving side can use to drop duplicates (the event id). */
  idempotencyKey: string;
}

/** Outcome details a sink may return; thrown SinkError = retry, SinkRejectedError = no retry. */
export interface DeliveryReceipt {
  /** What the receiver said, kept with the delivery attempt (e.g. a register's acknowledgement id). */
  detail?: string;
}

export interface Sink {
  deliver(event: ChangeEvent, ctx: DeliveryContext): Promise<DeliveryReceipt | void>;
  health?(): Promise<void>;
  close?(): Promise<void>;
  /** Offered by a sink that can be asked what its receiver holds (a register): reconciliation (src/reconcile/). */
  readonly reconcile?: ReconcileView;
}

/** A record as the receiver holds it: its key there, the hub's reference if it kept one, its content. */
export interface HeldRecord {
  entity: string;
  key: string;
  recordId?: string;
  version?: number;
  data: JsonObject;
}

/**
 * What a sink offers when it can be reconciled (a register that can be asked what it holds): the
 * entities it keeps, how a hub record looks there (the same mapping its deliveries use), and what it
 * holds for an institution.
 */
export interface ReconcileView {
  readonly entities: readonly string[];
  /** The receiver's key and content for a hub record; throws when the record cannot be expressed. */
  expected(record: CanonicalRecord): Promise<{ key: string; data: JsonObject }>;
  holdings(institution: string): Promise<HeldRecord[]>;
}

export interface ReconcilableSink extends Sink {
  readonly reconcile: ReconcileView;
}

/**
 * A kind of sink, generic over its options `O`: what its options schema describes once its defaults
 * are filled in (src/config/options.ts does that when the config is loaded; the adapter states none).
 */
export interface SinkType<O extends object = JsonObject> {
  type: string;
  description: string;
  /** JSON Schema (2020-12) of the sink's options in the config file, with the defaults. */
  optionsSchema: JsonObject;
  /** Builds a sink from options that passed the options schema, defaults filled in. */
  create(options: O, ctx: AdapterContext): Sink;
}

/** A record read from a source system in its own format, ready for the source's mapping set. */
export interface RawRecord {
  entity: string;
  payload: unknown;
}

/** What the pipeline made of one emitted record (a stored message, committed or rejected with reasons). */
export interface EmitOutcome {
  messageId: string;
  status: MessageStatus;
  /** The same record was stored before (same source, entity and content): no new message. */
  duplicate: boolean;
  error?: { code: string; detail: string; violations?: { path: string; message: string }[] };
}

/** A persisted set of keys of one source: items it has handled (e.g. CSV files by content hash). */
export interface ProcessedSet {
  /** The item as remembered (with the detail given to add), or undefined when it is new. */
  get(key: string): Promise<{ detail: string | null } | undefined>;
  add(key: string, detail?: string): Promise<void>;
}

export interface SourceContext extends AdapterContext {
  sourceId: string;
  institution: string;
  /**
   * Hands records to the pipeline in order (in batches); resolves when every record is a stored
   * message, with one outcome per record. Throws a retryable HubError when the store is down: the
   * pass stops and the core retries it from the last saved cursor.
   */
  emit(records: RawRecord[]): Promise<EmitOutcome[]>;
  /**
   * Keeps input that could not be read into records (a malformed page, an unreadable CSV row) as a
   * rejected message with the error, so nothing read is lost; returns the message id.
   */
  reject(entity: string, raw: string | Buffer, contentType: string | null, error: HubError): Promise<string>;
  /** Persisted cursor of this source (survives restarts); undefined before the first pass or after a reset. */
  loadCursor(): Promise<string | undefined>;
  /** Saves the cursor; `asOf` is the source's time up to which everything has been read (for the lag). */
  saveCursor(cursor: string, asOf?: string): Promise<void>;
  /** Items this source has handled, persisted (a CSV file is never read twice). */
  processed: ProcessedSet;
  /** Asks the core for a pass soon (e.g. a watcher saw a new file). */
  requestSync(): void;
}

/**
 * A source adapter says how to read one system; the core (src/sources/) schedules passes, retries
 * with back-off, persists cursors, counts metrics and offers pause, resume and trigger.
 */
export interface Source {
  /** Starts listeners of its own (a folder watcher), if any; reading happens in sync(). */
  start?(): Promise<void>;
  /**
   * One pass: reads what changed since the saved cursor, emits it and saves the cursor as it goes
   * (after each page), and returns when it has caught up, or soon after `signal` aborts (pause,
   * stop). Operational faults (network, timeout, 5xx, SOAP fault, malformed page) are thrown as
   * retryable HubErrors (TransportError); the core retries the pass with back-off.
   */
  sync(signal: AbortSignal): Promise<void>;
  /** Checks that the system is reachable (throws a HubError when not). */
  health?(): Promise<void>;
  close(): Promise<void>;
}

/** A kind of source, generic over its options `O` (checked, defaults filled in; as for SinkType). */
export interface SourceType<O extends object = JsonObject> {
  type: string;
  description: string;
  /** JSON Schema (2020-12) of the adapter's options, including the core's schedule options, with the defaults. */
  optionsSchema: JsonObject;
  /** Poll interval when the options do not set one. */
  defaultPollIntervalMs: number;
  /** Entities the source will emit with these options (checked against its mapping set at start). */
  entities(options: O): string[];
  /** Builds a source from options that passed the options schema, defaults filled in. */
  create(options: O, ctx: SourceContext): Source;
}

/**
 * Options every source adapter accepts, as the core reads them (src/sources/) once the options schema
 * has filled in its defaults: only `pollIntervalMs` may be absent (then the type's own default applies).
 */
export interface SourceScheduleOptions {
  pollIntervalMs?: number;
  batchSize: number;
  retry: { initialDelayMs: number; maxDelayMs: number; multiplier: number };
}

const SCHEDULE_PROPERTIES: JsonObject = {
  pollIntervalMs: { type: 'integer', minimum: 100, maximum: 86_400_000, description: 'Time between passes when the last one succeeded (ms).' },
  batchSize: { type: 'integer', minimum: 1, maximum: 5000, default: 500, description: 'Records per pipeline call.' },
  retry: {
    type: 'object',
    additionalProperties: false,
    default: {},
    description: 'Back-off after a failed pass: initialDelayMs × multiplier^(n-1), capped at maxDelayMs, ±10 % jitter.',
    properties: {
      initialDelayMs: { type: 'integer', minimum: 10, default: 1000 },
      maxDelayMs: { type: 'integer', minimum: 10, default: 300_000 },
      multiplier: { type: 'number', minimum: 1, maximum: 10, default: 2 },
    },
  },
};

/** An adapter's options schema with the core's schedule options (pollIntervalMs, batchSize, retry) added. */
export function withScheduleOptions(schema: JsonObject): JsonObject {
  const props = (schema.properties ?? {}) as JsonObject;
  return { ...schema, properties: { ...SCHEDULE_PROPERTIES, ...props } };
}

export interface AdapterRegistry {
  sinks: readonly SinkType[];
  sources: readonly SourceType[];
}
