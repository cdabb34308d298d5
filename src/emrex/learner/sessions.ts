import { randomBytes, timingSafeEqual } from 'node:crypto';
import { ConflictError } from '../../core/errors.ts';
import { sha256Hex } from '../../core/ids.ts';
import type { MigrationStep, SqlDb } from '../../store/sql.ts';

/**
 * Sessions of the contact point (`cp`: one EMREX client session, from the client's POST to the answer)
 * and of the learner's page (`learner`), in a table of their own (module `emrex-sessions`). The cookie
 * holds a random id; the table keeps its SHA-256 only. A session holds no personal code: after sign-in,
 * the hub ids of the learner's person records. Each has its own CSRF token, ends at an absolute time,
 * and moves through its states once (signing-in → signed-in → answered), each step a compare-and-set,
 * so a replayed callback or a second answer finds the session past that step. Rows stay a day after
 * they end: a client's session id seen again in that time is refused.
 */
const TABLE = `CREATE TABLE emrex_sessions (
  id_hash TEXT PRIMARY KEY,
  kind TEXT NOT NULL,
  state TEXT NOT NULL,
  csrf TEXT NOT NULL,
  created_at TEXT NOT NULL,
  expires_at TEXT NOT NULL,
  oidc TEXT,
  persons TEXT,
  client TEXT,
  client_session_id TEXT,
  return_url TEXT,
  lang TEXT NOT NULL
);
CREATE UNIQUE INDEX emrex_sessions_client ON emrex_sessions(client, client_session_id);
CREATE INDEX emrex_sessions_created ON emrex_sessions(created_at);`;

export const EMREX_SESSION_MIGRATIONS: readonly MigrationStep[] = [{ sqlite: TABLE, postgres: TABLE }];

export type SessionKind = 'cp' | 'learner';
export type SessionState = 'signing-in' | 'signed-in' | 'answered';

/** What an OpenID Connect sign-in in progress needs back at the callback. */
export interface PendingSignIn {
  state: string;
  nonce: string;
  codeVerifier: string;
}

export interface EmrexSession {
  idHash: string;
  kind: SessionKind;
  state: SessionState;
  csrf: string;
  createdAt: string;
  expiresAt: string;
  expired: boolean;
  oidc: PendingSignIn | undefined;
  /** The hub ids of the signed-in learner's person records. */
  persons: string[];
  client: string | undefined;
  clientSessionId: string | undefined;
  returnUrl: string | undefined;
  lang: 'lv' | 'en';
}

const KEEP_MS = 86_400_000;
const hashId = (id: string) => sha256Hex(`hub-emrex-session:${id}`);
export const newSecret = (): string => randomBytes(32).toString('base64url');

/** Constant-time comparison of two secrets (false on any length difference or a missing one). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

type Row = {
  id_hash: string;
  kind: string;
  state: string;
  csrf: string;
  created_at: string;
  expires_at: string;
  oidc: string | null;
  persons: string | null;
  client: string | null;
  client_session_id: string | null;
  return_url: string | null;
  lang: string;
};

export class EmrexSessions {
  private migrated: Promise<void> | undefined;

  constructor(
    private readonly sql: SqlDb,
    private readonly lifetimeMs: number,
    private readonly now: () => number = Date.now,
  ) {}

  ready(): Promise<void> {
    return (this.migrated ??= this.sql.migrate('emrex-sessions', EMREX_SESSION_MIGRATIONS));
  }

  /**
   * Starts a session; returns the cookie value (shown to nobody else). A contact-point session whose
   * client already sent this session id is refused (ConflictError): a replayed client request.
   */
  async create(s: { kind: SessionKind; lang: 'lv' | 'en'; oidc: PendingSignIn; client?: string; clientSessionId?: string; returnUrl?: string }): Promise<{ id: string; session: EmrexSession }> {
    await this.ready();
    const now = this.now();
    await this.sql.run('DELETE FROM emrex_sessions WHERE created_at < ?', [new Date(now - KEEP_MS).toISOString()]);
    if (s.client !== undefined && s.clientSessionId !== undefined) {
      const [seen] = await this.sql.query('SELECT 1 AS x FROM emrex_sessions WHERE client = ? AND client_session_id = ?', [s.client, s.clientSessionId]);
      if (seen) throw new ConflictError('this EMREX session was started before: a session id is used once');
    }
    const id = newSecret();
    const session: EmrexSession = {
      idHash: hashId(id),
      kind: s.kind,
      state: 'signing-in',
      csrf: newSecret(),
      createdAt: new Date(now).toISOString(),
      expiresAt: new Date(now + this.lifetimeMs).toISOString(),
      expired: false,
      oidc: s.oidc,
      persons: [],
      client: s.client,
      clientSessionId: s.clientSessionId,
      returnUrl: s.returnUrl,
      lang: s.lang,
    };
    try {
      await this.sql.run(
        'INSERT INTO emrex_sessions (id_hash, kind, state, csrf, created_at, expires_at, oidc, persons, client, client_session_id, return_url, lang) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)',
        [
          session.idHash,
          s.kind,
          session.state,
          session.csrf,
          session.createdAt,
          session.expiresAt,
          JSON.stringify(s.oidc),
          '[]',
          s.client ?? null,
          s.clientSessionId ?? null,
          s.returnUrl ?? null,
          s.lang,
        ],
      );
    } catch (e) {
      // The same client session id sent twice at once: the unique index lets one in.
      if (s.client !== undefined && (await this.sql.query('SELECT 1 AS x FROM emrex_sessions WHERE client = ? AND client_session_id = ?', [s.client, s.clientSessionId])).length)
        throw new ConflictError('this EMREX session was started before: a session id is used once');
      throw e;
    }
    return { id, session };
  }

  /** The session of a cookie value and kind (expired ones too, marked), or undefined. */
  async get(id: string | undefined, kind: SessionKind): Promise<EmrexSession | undefined> {
    if (!id || id.length > 100) return undefined;
    await this.ready();
    const [row] = await this.sql.query<Row>('SELECT * FROM emrex_sessions WHERE id_hash = ? AND kind = ?', [hashId(id), kind]);
    if (!row) return undefined;
    return {
      idHash: row.id_hash,
      kind: row.kind as SessionKind,
      state: row.state as SessionState,
      csrf: row.csrf,
      createdAt: row.created_at,
      expiresAt: row.expires_at,
      expired: Date.parse(row.expires_at) <= this.now(),
      oidc: row.oidc ? (JSON.parse(row.oidc) as PendingSignIn) : undefined,
      persons: row.persons ? (JSON.parse(row.persons) as string[]) : [],
      client: row.client ?? undefined,
      clientSessionId: row.client_session_id ?? undefined,
      returnUrl: row.return_url ?? undefined,
      lang: row.lang === 'en' ? 'en' : 'lv',
    };
  }

  /** Moves a session from one state to the next, once: false when it was not in `from` any more. The sign-in secrets are dropped on the way. */
  async advance(idHash: string, from: SessionState, to: SessionState, persons?: readonly string[]): Promise<boolean> {
    await this.ready();
    const r =
      persons === undefined
        ? await this.sql.run('UPDATE emrex_sessions SET state = ?, oidc = NULL WHERE id_hash = ? AND state = ?', [to, idHash, from])
        : await this.sql.run('UPDATE emrex_sessions SET state = ?, oidc = NULL, persons = ? WHERE id_hash = ? AND state = ?', [to, JSON.stringify(persons), idHash, from]);
    return r.changes === 1;
  }

  /** Ends a session (sign-out): it is kept as answered, so its cookie opens nothing. */
  async end(idHash: string): Promise<void> {
    await this.ready();
    await this.sql.run("UPDATE emrex_sessions SET state = 'answered', oidc = NULL, persons = '[]' WHERE id_hash = ?", [idHash]);
  }
}
