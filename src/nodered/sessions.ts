import { randomBytes } from 'node:crypto';
import { type Principal, TOKEN_CHECK_CACHE_MS, type TokenService } from '../auth/tokens.ts';
import { sha256Hex } from '../core/ids.ts';
import type { MigrationStep, SqlDb } from '../store/sql.ts';

/**
 * Sessions of the Node-RED editor, in a table of their own (module `nodered-sessions`), each bound to
 * the hub token it was signed in with. Every use checks that token again (`TokenService.live`, a few
 * seconds of cache at most): a session ends when its token is revoked, rotated (a changed
 * HUB_ADMIN_TOKEN revokes the old one at start) or loses the admin scope, at logout, or when it expires.
 * The editor keeps the session token (not the hub token) in the browser; the table keeps its SHA-256.
 */
const MIGRATIONS: readonly MigrationStep[] = [
  {
    sqlite: `CREATE TABLE editor_sessions (
      id_hash TEXT PRIMARY KEY,
      token_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX editor_sessions_expires ON editor_sessions(expires_at);`,
    postgres: `CREATE TABLE editor_sessions (
      id_hash TEXT PRIMARY KEY,
      token_id TEXT NOT NULL,
      created_at TEXT NOT NULL,
      expires_at TEXT NOT NULL
    );
    CREATE INDEX editor_sessions_expires ON editor_sessions(expires_at);`,
  },
];

/** The scope a hub token needs to use the editor (it runs code in the hub's process). */
export const EDITOR_SCOPE = 'admin';
const PREFIX = 'hubed_';
const hashId = (id: string) => sha256Hex(`hub-editor-session:${id}`);

interface SessionRow {
  tokenId: string;
  expiresAt: number;
}

export class EditorSessions {
  private migrated: Promise<void> | undefined;
  /** Session rows read in the last TOKEN_CHECK_CACHE_MS (the editor sends many requests at once). */
  private readonly rows = new Map<string, { row: SessionRow | undefined; at: number }>();

  constructor(
    private readonly sql: () => SqlDb,
    private readonly tokens: TokenService,
    /** Seconds a session lasts after sign-in. */
    readonly lifetimeSeconds: number,
  ) {}

  ready(): Promise<void> {
    return (this.migrated ??= this.sql().migrate('nodered-sessions', MIGRATIONS));
  }

  /** Starts a session for a token with the admin scope; returns the session token (shown to the client only). */
  async create(tokenId: string): Promise<{ token: string; expiresIn: number }> {
    await this.ready();
    const token = PREFIX + randomBytes(32).toString('base64url');
    const now = Date.now();
    await this.sql().run('DELETE FROM editor_sessions WHERE expires_at < ?', [new Date(now).toISOString()]);
    await this.sql().run('INSERT INTO editor_sessions (id_hash, token_id, created_at, expires_at) VALUES (?, ?, ?, ?)', [
      hashId(token),
      tokenId,
      new Date(now).toISOString(),
      new Date(now + this.lifetimeSeconds * 1000).toISOString(),
    ]);
    return { token, expiresIn: this.lifetimeSeconds };
  }

  /** The principal behind a live session token; undefined for anything else (an ended session is deleted). */
  async principal(token: string): Promise<Principal | undefined> {
    if (!token.startsWith(PREFIX) || token.length > 200) return undefined;
    const idHash = hashId(token);
    const row = await this.row(idHash);
    if (!row) return undefined;
    const p = row.expiresAt > Date.now() ? await this.tokens.live(row.tokenId, EDITOR_SCOPE) : undefined;
    if (!p) {
      await this.forget(idHash);
      return undefined;
    }
    return p;
  }

  /** Ends a session (logout). */
  async destroy(token: string): Promise<void> {
    if (!token.startsWith(PREFIX) || token.length > 200) return;
    await this.forget(hashId(token));
  }

  private async row(idHash: string): Promise<SessionRow | undefined> {
    const now = Date.now();
    const hit = this.rows.get(idHash);
    if (hit && now - hit.at < TOKEN_CHECK_CACHE_MS) return hit.row;
    await this.ready();
    const [r] = await this.sql().query<{ token_id: string; expires_at: string }>('SELECT token_id, expires_at FROM editor_sessions WHERE id_hash = ?', [idHash]);
    const row = r ? { tokenId: r.token_id, expiresAt: Date.parse(r.expires_at) } : undefined;
    if (this.rows.size > 10_000) this.rows.clear();
    this.rows.set(idHash, { row, at: now });
    return row;
  }

  private async forget(idHash: string): Promise<void> {
    this.rows.delete(idHash);
    await this.ready();
    await this.sql().run('DELETE FROM editor_sessions WHERE id_hash = ?', [idHash]);
  }
}
