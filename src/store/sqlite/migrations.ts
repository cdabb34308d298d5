/** Schema migrations of the SQLite store, applied in order; user_version records the last applied. */
export const SQLITE_MIGRATIONS: string[] = [
  `
  CREATE TABLE messages (
    id TEXT PRIMARY KEY,
    idempotency_key TEXT UNIQUE,
    source_id TEXT NOT NULL,
    entity TEXT NOT NULL,
    institution TEXT,
    status TEXT NOT NULL,
    content_type TEXT,
    raw TEXT,
    raw_size INTEGER NOT NULL DEFAULT 0,
    canonical TEXT,
    errors TEXT NOT NULL DEFAULT '[]',
    error_code TEXT,
    error_detail TEXT,
    record_id TEXT,
    record_version INTEGER,
    event_id TEXT,
    business_key TEXT,
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
  );
  CREATE INDEX messages_status ON messages(status, id);
  CREATE INDEX messages_source ON messages(source_id, entity, id);
  CREATE INDEX messages_event ON messages(event_id);
  CREATE INDEX messages_business_key ON messages(business_key);

  CREATE TABLE message_history (
    message_id TEXT NOT NULL,
    at TEXT NOT NULL,
    status TEXT NOT NULL,
    detail TEXT
  );
  CREATE INDEX message_history_id ON message_history(message_id);

  CREATE TABLE records (
    id TEXT PRIMARY KEY,
    entity TEXT NOT NULL,
    institution TEXT NOT NULL,
    source_system TEXT NOT NULL,
    source_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    seq INTEGER NOT NULL,
    deleted INTEGER NOT NULL DEFAULT 0,
    data TEXT NOT NULL,
    source_updated_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (entity, institution, source_system, source_id)
  );

  CREATE TABLE record_versions (
    record_id TEXT NOT NULL,
    version INTEGER NOT NULL,
    data TEXT NOT NULL,
    message_id TEXT,
    at TEXT NOT NULL,
    PRIMARY KEY (record_id, version)
  );

  -- The global change sequence; rows with published_at NULL are the outbox.
  CREATE TABLE changes (
    seq INTEGER PRIMARY KEY AUTOINCREMENT,
    event_id TEXT NOT NULL UNIQUE,
    entity TEXT NOT NULL,
    institution TEXT NOT NULL,
    record_id TEXT NOT NULL,
    message_id TEXT,
    event TEXT NOT NULL,
    published_at TEXT
  );
  CREATE INDEX changes_unpublished ON changes(seq) WHERE published_at IS NULL;
  CREATE INDEX changes_entity ON changes(entity, seq);

  CREATE TABLE deliveries (
    event_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    message_id TEXT,
    status TEXT NOT NULL,
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT,
    updated_at TEXT NOT NULL,
    delivered_at TEXT,
    PRIMARY KEY (event_id, route_id)
  );
  CREATE INDEX deliveries_message ON deliveries(message_id);
  CREATE INDEX deliveries_status ON deliveries(status, route_id);

  CREATE TABLE delivery_attempts (
    event_id TEXT NOT NULL,
    route_id TEXT NOT NULL,
    message_id TEXT,
    attempt INTEGER NOT NULL,
    at TEXT NOT NULL,
    outcome TEXT NOT NULL,
    error TEXT,
    detail TEXT,
    duration_ms INTEGER NOT NULL
  );
  CREATE INDEX delivery_attempts_message ON delivery_attempts(message_id);

  CREATE TABLE tokens (
    id TEXT PRIMARY KEY,
    name TEXT NOT NULL,
    hash TEXT NOT NULL UNIQUE,
    scopes TEXT NOT NULL,
    created_at TEXT NOT NULL,
    revoked_at TEXT
  );

  CREATE TABLE meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
  `,
  // 2: indexes of the admin reads (issue 14, item 9): messages by source, entity or institution alone,
  // newest first; dead and withheld deliveries newest first (src/store/console-queries.ts).
  `
  CREATE INDEX messages_source_id ON messages(source_id, id);
  CREATE INDEX messages_entity ON messages(entity, id);
  CREATE INDEX messages_institution ON messages(institution, id);
  CREATE INDEX deliveries_status_event ON deliveries(status, event_id, route_id);
  `,
  // 3: attainments by the study right they count towards (a degree credential's parts: src/credentials/issuer.ts);
  // the expression is RecordReader's for { field: 'studyRight.sourceId' }.
  `
  CREATE INDEX records_study_right ON records(entity, institution, json_extract(data, '$.studyRight.sourceId'));
  `,
  // 4: a delivery's claim: the attempt in progress holds it until this time (ms since the epoch); another copy
  // of the event is refused meanwhile, and a claim past it (its worker died) is taken over (src/store/claims.ts).
  `
  ALTER TABLE deliveries ADD COLUMN claimed_until INTEGER;
  `,
  // 5: the trail of an ingest written once (issue 17; src/store/trail.ts): the status an ingest ended with,
  // from which its history is derived instead of message_history rows (NULL: the history is rows, as for
  // every message stored before); and whether the message's canonical copy is the data of its record
  // version (then `canonical` stays NULL).
  `
  ALTER TABLE messages ADD COLUMN trail TEXT;
  ALTER TABLE messages ADD COLUMN canonical_in_version INTEGER NOT NULL DEFAULT 0;
  `,
  // 6: record versions folded into the change log (issue 17, direction 2): a version's data is the record its
  // change event carries; `data` holds it only where the event carries none (a deletion) or, copied from
  // before, where it differs. A version is written with its change in one transaction (every migration since
  // 1), so each row of record_versions has its change; (record_id, version) stays unique.
  `
  ALTER TABLE changes ADD COLUMN version INTEGER;
  ALTER TABLE changes ADD COLUMN data TEXT;
  UPDATE changes SET version = json_extract(event, '$.version');
  UPDATE changes SET data = (SELECT v.data FROM record_versions v WHERE v.record_id = changes.record_id AND v.version = changes.version)
   WHERE json_extract(event, '$.record') IS NOT (SELECT json(v.data) FROM record_versions v WHERE v.record_id = changes.record_id AND v.version = changes.version);
  CREATE UNIQUE INDEX changes_record_version ON changes(record_id, version);
  DROP TABLE record_versions;
  `,
];
