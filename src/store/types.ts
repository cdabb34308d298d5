import type { Violation } from '../core/errors.ts';
import type { SqlDb } from './sql.ts';
import type { DeliveryClaim, HeldClaim } from './claims.ts';
import type { CanonicalRecord, ChangeEvent, ChangeOp, DeliveryStatus, JsonObject, MessageStatus } from '../core/types.ts';

/** A message as stored: the raw input first, then what the pipeline made of it. */
export interface StoredMessage {
  id: string;
  sourceId: string;
  entity: string;
  institution: string | null;
  status: MessageStatus;
  contentType: string | null;
  /** The raw payload as received (text), or null when it could not be read. */
  raw: string | null;
  rawSize: number;
  canonical: JsonObject | null;
  errors: Violation[];
  errorCode: string | null;
  errorDetail: string | null;
  recordId: string | null;
  recordVersion: number | null;
  eventId: string | null;
  businessKey: string | null;
  createdAt: string;
  updatedAt: string;
}

export interface NewMessage {
  id: string;
  sourceId: string;
  entity: string;
  institution: string | null;
  contentType: string | null;
  raw: string | null;
  rawSize: number;
  /** Same key = same input: the second insert returns the first message. */
  idempotencyKey: string | null;
  status: MessageStatus;
  errorCode?: string | null;
  errorDetail?: string | null;
  errors?: Violation[];
}

export interface MessagePatch {
  status?: MessageStatus;
  canonical?: JsonObject | null;
  errors?: Violation[];
  errorCode?: string | null;
  errorDetail?: string | null;
  institution?: string | null;
  businessKey?: string | null;
  /** null frees the key: a rejected input sent again is processed again, not treated as a duplicate. */
  idempotencyKey?: null;
}

export interface MessageFilter {
  status?: MessageStatus;
  sourceId?: string;
  entity?: string;
  institution?: string;
  since?: string;
  /** Messages with an id lower than this (for paging back in time). */
  before?: string;
  limit: number;
  /** Leave out raw, canonical and errors (null, null, []): a list shows only the summary. */
  summaryOnly?: boolean;
}

/** The columns of a message without its payloads (MessageFilter.summaryOnly). */
export const MESSAGE_SUMMARY_COLUMNS =
  'id, source_id, entity, institution, status, content_type, raw_size, error_code, error_detail, record_id, record_version, event_id, business_key, created_at, updated_at';

export interface CommitInput {
  messageId: string;
  entity: string;
  institution: string;
  sourceSystem: string;
  sourceId: string;
  /** The source id the event names (the configured source). */
  source: string;
  sourceUpdatedAt: string | null;
  data: JsonObject;
  op: ChangeOp;
  schemaVersion: string;
}

export type CommitOutcome = 'created' | 'updated' | 'unchanged' | 'stale';

export interface CommitResult {
  outcome: CommitOutcome;
  record: CanonicalRecord;
  /** The outbox event, for created/updated (and deletes). */
  event?: ChangeEvent;
}

/** What the pipeline made of one record of an ingest call, stored with the record in one transaction. */
export type IngestOutcome =
  | { kind: 'commit'; canonical: JsonObject; businessKey: string | null; commit: Omit<CommitInput, 'messageId'> }
  | { kind: 'reject'; canonical: JsonObject | null; businessKey: string | null; errorCode: string; errorDetail: string; errors: Violation[] };

export interface IngestItem {
  /** The raw record as received (status 'received'); its idempotency key finds an earlier copy. */
  message: NewMessage;
  outcome: IngestOutcome;
}

export type IngestItemResult =
  /** The same input was taken before and finished: nothing was done, the earlier message is returned. */
  | { messageId: string; duplicate: true; existing: StoredMessage }
  /** Stored (or an earlier unfinished copy finished) and then rejected (no commit) or committed. */
  | { messageId: string; duplicate: false; commit?: CommitResult };

export interface OutboxItem {
  event: ChangeEvent;
}

export interface DeliveryRow {
  eventId: string;
  messageId: string | null;
  routeId: string;
  status: DeliveryStatus;
  attempts: number;
  lastError: string | null;
  updatedAt: string;
  deliveredAt: string | null;
}

export interface AttemptRow {
  eventId: string;
  routeId: string;
  attempt: number;
  at: string;
  outcome: 'delivered' | 'retry' | 'dead' | 'withheld' | 'duplicate';
  error: string | null;
  detail: string | null;
  durationMs: number;
}

/** How an attempt ended, and the delivery status that follows (Store.finishAttempt). */
export type AttemptOutcome = Omit<AttemptRow, 'at'> & { status: DeliveryStatus };

export interface TokenRow {
  id: string;
  name: string;
  scopes: string[];
  createdAt: string;
  revokedAt: string | null;
}

export interface MessageHistoryRow {
  at: string;
  status: string;
  detail: string | null;
}

/** What Store.messageTrail reads in one snapshot. */
export interface MessageTrail {
  history: MessageHistoryRow[];
  deliveries: DeliveryRow[];
  attempts: AttemptRow[];
}

/**
 * Persistence of the hub. Two implementations (sqlite, postgres) pass one conformance suite
 * (test/conformance/store.suite.ts). Every method is atomic on its own; commit() is one transaction.
 */
export interface Store {
  readonly kind: 'sqlite' | 'postgres';
  /** SQL access for feature modules that own tables of their own (src/store/sql.ts). */
  readonly sql: SqlDb;
  migrate(): Promise<void>;
  ping(): Promise<void>;
  close(): Promise<void>;

  insertMessage(m: NewMessage): Promise<{ message: StoredMessage; duplicate: boolean }>;
  updateMessage(id: string, patch: MessagePatch, historyDetail?: string): Promise<void>;
  getMessage(id: string): Promise<StoredMessage | undefined>;
  listMessages(filter: MessageFilter): Promise<StoredMessage[]>;
  messageHistory(id: string): Promise<MessageHistoryRow[]>;
  countMessagesByStatus(): Promise<Record<string, number>>;

  /** Upsert the canonical record by natural key and append the outbox event, in one transaction. */
  commit(input: CommitInput): Promise<CommitResult>;
  /**
   * insertMessage, then the outcome (updateMessage to rejected, or to validated and commit), for each
   * item in order, all in one transaction: one ingest call costs one durable write, not three a record.
   */
  ingestBatch(items: IngestItem[]): Promise<IngestItemResult[]>;
  getRecord(entity: string, id: string): Promise<CanonicalRecord | undefined>;
  getRecordVersion(id: string, version: number): Promise<JsonObject | undefined>;

  /** Unpublished events in sequence order. */
  pendingOutbox(limit: number): Promise<ChangeEvent[]>;
  /** How many changes are not yet published, counted up to `limit` (the outbox gauge; nothing parsed). */
  countUnpublished(limit: number): Promise<number>;
  /**
   * Marks events published and creates a pending delivery per matched route, in one transaction: the
   * one place pending deliveries are written (the relay matches the routes, once, on the real event).
   */
  markPublished(items: { eventId: string; messageId: string | null; routeIds: string[] }[]): Promise<void>;
  getEvent(eventId: string): Promise<ChangeEvent | undefined>;
  /** The deliveries that exist for these events, as (event, route) pairs: a relay taking over the outbox treats an event claimed on every route as published. */
  deliveriesOf(eventIds: string[]): Promise<{ eventId: string; routeId: string }[]>;

  getDelivery(eventId: string, routeId: string): Promise<DeliveryRow | undefined>;
  /**
   * Claims a delivery for one attempt (src/store/claims.ts): refused when it is already delivered (a
   * duplicate from the broker: the caller acks without calling the sink) or while another claim of it
   * is in progress and not timed out (`busyMs`: the caller tries the copy again later). A claim past
   * its timeout is taken over. `now` (ms) is the clock the claim is judged and held by.
   */
  beginAttempt(eventId: string, routeId: string, now?: number): Promise<DeliveryClaim>;
  /** beginAttempt for many deliveries in one transaction; one result per claim, in order (a delivery claimed twice: the second is refused as busy). */
  beginAttempts(claims: { eventId: string; routeId: string }[], now?: number): Promise<DeliveryClaim[]>;
  /**
   * Extends the claims of attempts still in progress to `now` + CLAIM_TIMEOUT_MS (src/store/claims.ts);
   * a claim taken over since (its attempt number moved on) or recorded is left alone.
   */
  renewClaims(claims: HeldClaim[], now?: number): Promise<void>;
  /** Records an attempt's outcome and ends its claim. */
  finishAttempt(a: AttemptOutcome): Promise<void>;
  /**
   * finishAttempt for many deliveries in one transaction; `within`, when given, runs in that transaction
   * after the outcomes are written, on its SQL handle: a feature module's rows that must commit with them
   * (the disclosure log's entries of the deliveries, src/privacy/gate.ts). It fails, nothing is written.
   */
  finishAttempts(list: AttemptOutcome[], within?: (tx: SqlDb) => Promise<void>): Promise<void>;
  /** Resets dead deliveries of a message to pending for replay; returns the (event, route) pairs. */
  resetDeliveries(messageId: string, statuses: DeliveryStatus[]): Promise<{ eventId: string; routeId: string }[]>;
  listDeliveries(messageId: string): Promise<DeliveryRow[]>;
  listAttempts(messageId: string): Promise<AttemptRow[]>;
  /**
   * A message's history, deliveries and attempts read in one snapshot (what the message view shows):
   * read apart, a delivery finished between the reads could show as delivered with an attempt missing.
   */
  messageTrail(messageId: string): Promise<MessageTrail>;
  countDeliveriesByStatus(): Promise<{ routeId: string; status: DeliveryStatus; count: number }[]>;

  createToken(t: { id: string; name: string; hash: string; scopes: string[] }): Promise<void>;
  findToken(hash: string): Promise<TokenRow | undefined>;
  listTokens(): Promise<TokenRow[]>;
  revokeToken(id: string): Promise<boolean>;

  getMeta(key: string): Promise<string | undefined>;
  setMeta(key: string, value: string): Promise<void>;
}
