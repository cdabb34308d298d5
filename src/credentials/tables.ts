import type { MigrationStep } from '../store/sql.ts';

/**
 * The credentials module's own tables (never the core tables): every credential issued, sealed, with its
 * status and its place in its institution's status list; per institution, how many positions of the
 * status lists are given out; per status list, the secret permutation that scatters positions over it.
 * The same SQL on both dialects (SQLite reads BIGINT as an integer).
 */
const STEP_1 = `
  CREATE TABLE credentials (
    id TEXT PRIMARY KEY, institution TEXT NOT NULL, kind TEXT NOT NULL, subject_id TEXT NOT NULL, subject_version INTEGER NOT NULL,
    person_id TEXT NOT NULL, title TEXT NOT NULL, status TEXT NOT NULL, list_no INTEGER NOT NULL, list_index INTEGER NOT NULL,
    issued_at TEXT NOT NULL, revoked_at TEXT, revocation_reason TEXT, replaces TEXT, identifiers TEXT NOT NULL, notice TEXT NOT NULL, sealed TEXT NOT NULL,
    UNIQUE (subject_id, subject_version), UNIQUE (institution, list_no, list_index)
  );
  CREATE INDEX credentials_person ON credentials (person_id);
  CREATE INDEX credentials_institution ON credentials (institution, issued_at);
  CREATE INDEX credentials_revoked ON credentials (institution, list_no, status);
  CREATE INDEX credentials_notice ON credentials (notice) WHERE notice <> 'sent';
  CREATE TABLE credential_positions (institution TEXT PRIMARY KEY, issued BIGINT NOT NULL);
  CREATE TABLE credential_status_lists (institution TEXT NOT NULL, list_no INTEGER NOT NULL, mult INTEGER NOT NULL, shift INTEGER NOT NULL, PRIMARY KEY (institution, list_no));
`;

export const CREDENTIAL_MIGRATIONS: readonly MigrationStep[] = [{ sqlite: STEP_1, postgres: STEP_1 }];
