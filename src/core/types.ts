/** Shared types of the core: canonical records, change events, messages and deliveries. */

export type JsonObject = Record<string, unknown>;

export type ChangeOp = 'upsert' | 'delete' | 'keyChange';

/** One change of a canonical record, as published (see schemas/change-event.schema.json). */
export interface ChangeEvent {
  eventId: string;
  seq: number;
  entity: string;
  op: ChangeOp;
  schemaVersion: string;
  source: string;
  institution: string;
  occurredAt: string;
  recordId: string;
  version: number;
  messageId?: string;
  previousKey?: JsonObject;
  record?: JsonObject;
}

/** Lifecycle of an ingest message (architecture: received → … → delivered | rejected). */
export const MESSAGE_STATUSES = ['received', 'mapped', 'validated', 'committed', 'unchanged', 'stale', 'published', 'delivered', 'retrying', 'dead', 'withheld', 'rejected'] as const;
export type MessageStatus = (typeof MESSAGE_STATUSES)[number];

export const DELIVERY_STATUSES = ['pending', 'delivered', 'retrying', 'dead', 'withheld'] as const;
export type DeliveryStatus = (typeof DELIVERY_STATUSES)[number];

export interface CanonicalRecord {
  id: string;
  entity: string;
  institution: string;
  sourceSystem: string;
  sourceId: string;
  version: number;
  seq: number;
  deleted: boolean;
  sourceUpdatedAt: string | null;
  updatedAt: string;
  data: JsonObject;
}
