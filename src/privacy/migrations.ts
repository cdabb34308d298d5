import type { MigrationStep } from '../store/sql.ts';

/**
 * Tables of the `privacy` module (store.sql.migrate('privacy', …)). Times are ISO 8601 text in both
 * dialects, so that a disclosure log entry reads back exactly as it was hashed.
 */
const TABLES = (bigint: string) => `
  CREATE TABLE privacy_disclosure_log (
    seq ${bigint} PRIMARY KEY,
    at TEXT NOT NULL,
    kind TEXT NOT NULL,
    person TEXT,
    recipient TEXT,
    route_id TEXT,
    entity TEXT,
    record_id TEXT,
    record_version INTEGER,
    legal_basis TEXT,
    purpose TEXT,
    fields TEXT,
    event_id TEXT,
    prev_hash TEXT NOT NULL,
    hash TEXT NOT NULL
  );
  CREATE INDEX privacy_disclosure_log_person ON privacy_disclosure_log (person, seq);
  CREATE UNIQUE INDEX privacy_disclosure_log_once ON privacy_disclosure_log (event_id, route_id) WHERE kind = 'disclosure';
  CREATE TABLE privacy_log_head (id INTEGER PRIMARY KEY, seq ${bigint} NOT NULL, hash TEXT NOT NULL);

  CREATE TABLE privacy_withheld (
    event_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    message_id TEXT,
    record_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    person TEXT,
    purpose TEXT NOT NULL,
    recipient TEXT NOT NULL,
    reason TEXT NOT NULL,
    status TEXT NOT NULL,
    withheld_at TEXT NOT NULL,
    expires_at TEXT NOT NULL,
    updated_at TEXT NOT NULL,
    closed_reason TEXT,
    PRIMARY KEY (event_id, route_id)
  );
  CREATE INDEX privacy_withheld_due ON privacy_withheld (status, expires_at);
  CREATE INDEX privacy_withheld_consent ON privacy_withheld (purpose, recipient, status);
  CREATE INDEX privacy_withheld_record ON privacy_withheld (record_id);

  CREATE TABLE privacy_erasures (
    id TEXT PRIMARY KEY,
    at TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    subject TEXT,
    pseudonyms TEXT NOT NULL,
    person_records TEXT NOT NULL,
    counts TEXT NOT NULL
  );
  CREATE TABLE privacy_erased_records (
    record_id TEXT PRIMARY KEY,
    erasure_id TEXT NOT NULL,
    erased_at TEXT NOT NULL
  );
`;

/** When the broker's dead-letter copies of the erased person's events were removed (null: not yet). */
const BROKER_PURGE = 'ALTER TABLE privacy_erasures ADD COLUMN broker_purged_at TEXT;';

export const PRIVACY_MIGRATIONS: readonly MigrationStep[] = [
  { sqlite: TABLES('INTEGER'), postgres: TABLES('BIGINT') },
  { sqlite: BROKER_PURGE, postgres: BROKER_PURGE },
];

/** Tables whose rows must never be rewritten by an erasure sweep (the hash chain). */
export const LOG_TABLES: readonly string[] = ['privacy_disclosure_log', 'privacy_log_head'];
