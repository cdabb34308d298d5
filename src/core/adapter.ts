import type { Logger } from 'pino';
import type { ChangeEvent, JsonObject } from './types.ts';

/**
 * The small contracts adapters implement. Reconnects, back-off, acks, retries and metrics live in
 * the core; an adapter only says how to talk to one system.
 */

export interface AdapterContext {
  logger: Logger;
  dataDir: string;
  /** Reads a secret from the environment by the name the config gave. */
  secret(name: string): string | undefined;
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
}

export interface SinkType {
  type: string;
  description: string;
  /** JSON Schema (2020-12) of the sink's options in the config file. */
  optionsSchema: JsonObject;
  create(options: JsonObject, ctx: AdapterContext): Sink;
}

/** A record read from a source system in its own format, ready for the source's mapping set. */
export interface RawRecord {
  entity: string;
  payload: unknown;
}

export interface SourceContext extends AdapterContext {
  sourceId: string;
  institution: string;
  /** Hands records to the pipeline; resolves when they are stored durably. */
  emit(records: RawRecord[]): Promise<void>;
  /** Persisted cursor of this source (survives restarts). */
  loadCursor(): Promise<string | undefined>;
  saveCursor(cursor: string): Promise<void>;
}

export interface Source {
  /** Starts reading (poll loop, server, watcher). */
  start(): Promise<void>;
  health(): Promise<void>;
  close(): Promise<void>;
}

export interface SourceType {
  type: string;
  description: string;
  optionsSchema: JsonObject;
  create(options: JsonObject, ctx: SourceContext): Source;
}

export interface AdapterRegistry {
  sinks: readonly SinkType[];
  sources: readonly SourceType[];
}
