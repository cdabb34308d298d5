/**
 * Schema migrations of the PostgreSQL store, applied in order; schema_migrations records each one
 * applied. The tables mirror the SQLite store's (src/store/sqlite/migrations.ts) column for column.
 *
 * - Keys and columns that are sorted or compared (ids, route ids) use COLLATE "C", so they order
 *   byte-wise exactly as in SQLite whatever the database's collation is.
 * - Times the hub makes are timestamptz; the source's own timestamp (source_updated_at) stays text,
 *   compared as text like in SQLite.
 * - `n` identity columns keep insertion order where SQLite uses rowid.
 */
export const POSTGRES_MIGRATIONS: string[] = [
  `
  CREATE TABLE messages (
    id text COLLATE "C" PRIMARY KEY,
    idempotency_key text UNIQUE,
    source_id text NOT NULL,
    entity text NOT NULL,
    institution text,
    status text NOT NULL,
    content_type text,
    raw text,
    raw_size integer NOT NULL DEFAULT 0,
    canonical jsonb,
    errors jsonb NOT NULL DEFAULT '[]',
    error_code text,
    error_detail text,
    record_id text,
    record_version integer,
    event_id text,
    business_key text,
    created_at timestamptz NOT NULL,
    updated_at timestamptz NOT NULL
  );
  CREATE INDEX messages_status ON messages (status, id);
  CREATE INDEX messages_source ON messages (source_id, entity, id);
  CREATE INDEX messages_event ON messages (event_id);
  CREATE INDEX messages_business_key ON messages (business_key);

  CREATE TABLE message_history (
    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    message_id text NOT NULL,
    at timestamptz NOT NULL,
    status text NOT NULL,
    detail text
  );
  CREATE INDEX message_history_id ON message_history (message_id, n);

  CREATE TABLE records (
    id text PRIMARY KEY,
    entity text NOT NULL,
    institution text NOT NULL,
    source_system text NOT NULL,
    source_id text NOT NULL,
    version integer NOT NULL,
    seq bigint NOT NULL,
    deleted boolean NOT NULL DEFAULT false,
    data jsonb NOT NULL,
    source_updated_at text COLLATE "C",
    updated_at timestamptz NOT NULL,
    UNIQUE (entity, institution, source_system, source_id)
  );

  CREATE TABLE record_versions (
    record_id text NOT NULL,
    version integer NOT NULL,
    data jsonb NOT NULL,
    message_id text,
    at timestamptz NOT NULL,
    PRIMARY KEY (record_id, version)
  );

  -- The global change sequence; rows with published_at NULL are the outbox. commit() draws seq
  -- under a transaction-level advisory lock so that sequence numbers become visible in order.
  CREATE TABLE changes (
    seq bigserial PRIMARY KEY,
    event_id text NOT NULL UNIQUE,
    entity text NOT NULL,
    institution text NOT NULL,
    record_id text NOT NULL,
    message_id text,
    event jsonb NOT NULL,
    published_at timestamptz
  );
  CREATE INDEX changes_unpublished ON changes (seq) WHERE published_at IS NULL;
  CREATE INDEX changes_entity ON changes (entity, seq);

  CREATE TABLE deliveries (
    event_id text NOT NULL,
    route_id text COLLATE "C" NOT NULL,
    message_id text,
    status text NOT NULL,
    attempts integer NOT NULL DEFAULT 0,
    last_error text,
    updated_at timestamptz NOT NULL,
    delivered_at timestamptz,
    PRIMARY KEY (event_id, route_id)
  );
  CREATE INDEX deliveries_message ON deliveries (message_id);
  CREATE INDEX deliveries_status ON deliveries (status, route_id);

  CREATE TABLE delivery_attempts (
    n bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    event_id text NOT NULL,
    route_id text NOT NULL,
    message_id text,
    attempt integer NOT NULL,
    at timestamptz NOT NULL,
    outcome text NOT NULL,
    error text,
    detail text,
    duration_ms integer NOT NULL
  );
  CREATE INDEX delivery_attempts_message ON delivery_attempts (message_id, n);

  CREATE TABLE tokens (
    n bigint GENERATED ALWAYS AS IDENTITY,
    id text PRIMARY KEY,
    name text NOT NULL,
    hash text NOT NULL UNIQUE,
    scopes jsonb NOT NULL,
    created_at timestamptz NOT NULL,
    revoked_at timestamptz
  );

  CREATE TABLE meta (key text PRIMARY KEY, value text NOT NULL);
  `,
  // 2: indexes of the admin reads (issue 14, item 9): messages by source, entity or institution alone,
  // newest first; dead and withheld deliveries newest first (src/store/console-queries.ts).
  `
  CREATE INDEX messages_source_id ON messages (source_id, id);
  CREATE INDEX messages_entity ON messages (entity, id);
  CREATE INDEX messages_institution ON messages (institution, id);
  CREATE INDEX deliveries_status_event ON deliveries (status, event_id, route_id);
  `,
  // 3: attainments by the study right they count towards (a degree credential's parts: src/credentials/issuer.ts);
  // the expression is RecordReader's for { field: 'studyRight.sourceId' }.
  `
  CREATE INDEX records_study_right ON records (entity, institution, (data->'studyRight'->>'sourceId'));
  `,
  // 4: a delivery's claim: the attempt in progress holds it until this time (ms since the epoch); another copy
  // of the event is refused meanwhile, and a claim past it (its worker died) is taken over (src/store/claims.ts).
  `
  ALTER TABLE deliveries ADD COLUMN claimed_until bigint;
  `,
  // 5: the trail of an ingest written once (issue 17; src/store/trail.ts): the status an ingest ended with,
  // from which its history is derived instead of message_history rows (NULL: the history is rows, as for
  // every message stored before); and whether the message's canonical copy is the data of its record
  // version (then `canonical` stays NULL).
  `
  ALTER TABLE messages ADD COLUMN trail text;
  ALTER TABLE messages ADD COLUMN canonical_in_version boolean NOT NULL DEFAULT false;
  `,
  // 6: record versions folded into the change log (issue 17, direction 2): a version's data is the record its
  // change event carries; `data` holds it only where the event carries none (a deletion) or, copied from
  // before, where it differs. A version is written with its change in one transaction (every migration since
  // 1), so each row of record_versions has its change; (record_id, version) stays unique.
  `
  ALTER TABLE changes ADD COLUMN version integer;
  ALTER TABLE changes ADD COLUMN data jsonb;
  UPDATE changes SET version = (event->>'version')::integer;
  UPDATE changes c SET data = v.data FROM record_versions v
   WHERE v.record_id = c.record_id AND v.version = c.version AND (c.event->'record') IS DISTINCT FROM v.data;
  CREATE UNIQUE INDEX changes_record_version ON changes (record_id, version);
  DROP TABLE record_versions;
  `,
  // 7: the study-right index only over the records that have one. Whole, its (entity, institution) prefix
  // let the planner take it for the ingest's natural-key look-up (src/store/postgres/ingest-batch.ts,
  // RECORDS_BY_KEY) instead of the unique key: each look-up walked every record of its entity at its
  // institution (PostgreSQL's CPU a record 430 → 62 µs in the lean prototype's profile, docs/performance.md).
  // RecordReader's `= value` on the expression implies it is not null, so that query still uses it.
  `
  DROP INDEX records_study_right;
  CREATE INDEX records_study_right ON records (entity, institution, (data->'studyRight'->>'sourceId')) WHERE (data->'studyRight'->>'sourceId') IS NOT NULL;
  `,
];
