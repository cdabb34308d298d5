import type { Violation } from '../../core/errors.ts';
import type { CanonicalRecord, DeliveryStatus, JsonObject, MessageStatus } from '../../core/types.ts';
import type { AttemptRow, DeliveryRow, MessageHistoryRow, StoredMessage, TokenRow } from '../types.ts';
import { canonicalOfVersion } from '../trail.ts';
import { versionData } from '../json-sql.ts';

/** A row as pg returns it: jsonb parsed, int8 as number (see the pool's type parsers), timestamptz as Date. */
export type Row = Record<string, unknown>;

/** A timestamptz as the ISO string SQLite stores (`new Date().toISOString()`). */
export function iso(v: unknown): string {
  return v instanceof Date ? v.toISOString() : String(v);
}

function isoOrNull(v: unknown): string | null {
  return v == null ? null : iso(v);
}

function textOrNull(v: unknown): string | null {
  return (v as string | null | undefined) ?? null;
}

/** A message row with, when its canonical copy is its record version's data, that data (src/store/trail.ts). */
export const MESSAGE_ROW = `SELECT m.*, CASE WHEN m.canonical_in_version THEN (SELECT ${versionData('postgres', 'v')} FROM changes v WHERE v.record_id = m.record_id AND v.version = m.record_version) END AS version_data FROM messages m`;

export function toMessage(r: Row): StoredMessage {
  return {
    id: r.id as string,
    sourceId: r.source_id as string,
    entity: r.entity as string,
    institution: textOrNull(r.institution),
    status: r.status as MessageStatus,
    contentType: textOrNull(r.content_type),
    raw: textOrNull(r.raw),
    rawSize: Number(r.raw_size),
    canonical: (r.canonical as JsonObject | null) ?? (r.version_data ? canonicalOfVersion(r.version_data as JsonObject) : null),
    errors: (r.errors as Violation[] | null) ?? [],
    errorCode: textOrNull(r.error_code),
    errorDetail: textOrNull(r.error_detail),
    recordId: textOrNull(r.record_id),
    recordVersion: r.record_version == null ? null : Number(r.record_version),
    eventId: textOrNull(r.event_id),
    businessKey: textOrNull(r.business_key),
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  };
}

export function toRecord(r: Row): CanonicalRecord {
  return {
    id: r.id as string,
    entity: r.entity as string,
    institution: r.institution as string,
    sourceSystem: r.source_system as string,
    sourceId: r.source_id as string,
    version: Number(r.version),
    seq: Number(r.seq),
    deleted: Boolean(r.deleted),
    sourceUpdatedAt: textOrNull(r.source_updated_at),
    updatedAt: iso(r.updated_at),
    data: r.data as JsonObject,
  };
}

export function toHistory(r: Row): MessageHistoryRow {
  return { at: iso(r.at), status: r.status as string, detail: textOrNull(r.detail) };
}

export function toDelivery(r: Row): DeliveryRow {
  return {
    eventId: r.event_id as string,
    messageId: textOrNull(r.message_id),
    routeId: r.route_id as string,
    status: r.status as DeliveryStatus,
    attempts: Number(r.attempts),
    lastError: textOrNull(r.last_error),
    updatedAt: iso(r.updated_at),
    deliveredAt: isoOrNull(r.delivered_at),
  };
}

export function toAttempt(r: Row): AttemptRow {
  return {
    eventId: r.event_id as string,
    routeId: r.route_id as string,
    attempt: Number(r.attempt),
    at: iso(r.at),
    outcome: r.outcome as AttemptRow['outcome'],
    error: textOrNull(r.error),
    detail: textOrNull(r.detail),
    durationMs: Number(r.duration_ms),
  };
}

export function toToken(r: Row): TokenRow {
  return {
    id: r.id as string,
    name: r.name as string,
    scopes: r.scopes as string[],
    createdAt: iso(r.created_at),
    revokedAt: isoOrNull(r.revoked_at),
  };
}
