import type { MigrationStep } from '../../store/sql.ts';

/**
 * The EMREX client's own tables (module `emrex-client`): the sessions it started with foreign contact points
 * (one answer each) and every document that came back to a return URL, with its verdict, kept for the admin
 * (the document itself until the person's erasure or the retention time: src/emrex/client/personal-data.ts).
 * The same SQL on both dialects.
 */
const STEP_1 = `
  CREATE TABLE emrex_client_sessions (
    id TEXT PRIMARY KEY, ref TEXT NOT NULL UNIQUE, session_id TEXT NOT NULL, institution TEXT NOT NULL, person_id TEXT NOT NULL,
    contact_point TEXT NOT NULL, created_at TEXT NOT NULL, expires_at TEXT NOT NULL, answered_at TEXT, created_by TEXT NOT NULL
  );
  CREATE TABLE emrex_client_received (
    id TEXT PRIMARY KEY, received_at TEXT NOT NULL, session TEXT, institution TEXT, contact_point TEXT, return_code TEXT,
    return_message TEXT, verdict TEXT NOT NULL, reason TEXT, detail TEXT NOT NULL, checks TEXT NOT NULL, results INTEGER NOT NULL,
    messages TEXT NOT NULL, document TEXT, document_form TEXT
  );
  CREATE INDEX emrex_client_received_inst ON emrex_client_received (institution, received_at);
`;

// A document removed (erasure of the person, or retention): when and why; the verdict stays.
const STEP_2 = `
  ALTER TABLE emrex_client_received ADD COLUMN removed_at TEXT;
  ALTER TABLE emrex_client_received ADD COLUMN removed_by TEXT;
  CREATE INDEX emrex_client_sessions_person ON emrex_client_sessions (person_id);
  CREATE INDEX emrex_client_received_session ON emrex_client_received (session);
`;

export const EMREX_CLIENT_MIGRATIONS: readonly MigrationStep[] = [
  { sqlite: STEP_1, postgres: STEP_1 },
  { sqlite: STEP_2, postgres: STEP_2 },
];
