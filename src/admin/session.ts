import { randomBytes, timingSafeEqual } from 'node:crypto';
import { sha256Hex } from '../core/ids.ts';
import type { MigrationStep, SqlDb } from '../store/sql.ts';

/**
 * Server-side sessions of the admin console, in a table of their own (module `admin`). The cookie
 * holds a random id; the table keeps only its SHA-256, so a copy of the database opens no session.
 * Each session has its own CSRF token (synchronizer token) and ends after an idle time, at an
 * absolute age, at logout, or when its API token is revoked or loses the admin scope.
 */
export const ADMIN_MIGRATIONS: readonly MigrationStep[] = [
  {
    sqlite: `CREATE TABLE admin_sessions (
      id_hash TEXT PRIMARY KEY,
      token_id TEXT NOT NULL,
      name TEXT NOT NULL,
      csrf TEXT NOT NULL,
      created_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL
    );
    CREATE INDEX admin_sessions_seen ON admin_sessions(last_seen_at);`,
    postgres: `CREATE TABLE admin_sessions (
      id_hash TEXT PRIMARY KEY,
      token_id TEXT NOT NULL,
      name TEXT NOT NULL,
      csrf TEXT NOT NULL,
      created_at TEXT NOT NULL,
      last_seen_at TEXT NOT NULL
    );
    CREATE INDEX admin_sessions_seen ON admin_sessions(last_seen_at);`,
  },
];

export const SESSION_COOKIE = 'hub_admin_session';
export const LOGIN_CSRF_COOKIE = 'hub_admin_login';

export interface AdminSession {
  idHash: string;
  tokenId: string;
  name: string;
  csrf: string;
  createdAt: string;
  lastSeenAt: string;
}

export interface SessionTimes {
  /** A session unused this long ends. */
  idleMs: number;
  /** A session ends this long after login, used or not. */
  maxAgeMs: number;
}

const hashId = (id: string) => sha256Hex(`hub-admin-session:${id}`);
export const newSecret = () => randomBytes(32).toString('base64url');

/** Constant-time comparison of two secrets (false on any length difference). */
export function sameSecret(a: string | undefined, b: string | undefined): boolean {
  if (typeof a !== 'string' || typeof b !== 'string' || a.length === 0) return false;
  const x = Buffer.from(a);
  const y = Buffer.from(b);
  return x.length === y.length && timingSafeEqual(x, y);
}

/** A Set-Cookie value: HttpOnly, SameSite=Strict, Secure when the request came over https. */
export function cookie(name: string, value: string, o: { path: string; secure: boolean; maxAgeS?: number }): string {
  const parts = [`${name}=${value}`, `Path=${o.path}`, 'HttpOnly', 'SameSite=Strict'];
  if (o.secure) parts.push('Secure');
  if (o.maxAgeS !== undefined) parts.push(`Max-Age=${o.maxAgeS}`);
  return parts.join('; ');
}

export function readCookies(header: string | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  for (const part of (header ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i < 1) continue;
    const k = part.slice(0, i).trim();
    if (!(k in out)) out[k] = part.slice(i + 1).trim();
  }
  return out;
}

export class AdminSessions {
  private migrated: Promise<void> | undefined;
  /** Last-seen writes are skipped when the stored time is this fresh (fewer writes per page). */
  private readonly touchEveryMs: number;

  constructor(
    private readonly sql: () => SqlDb,
    readonly times: SessionTimes,
  ) {
    this.touchEveryMs = Math.min(30_000, Math.floor(times.idleMs / 10));
  }

  ready(): Promise<void> {
    return (this.migrated ??= this.sql().migrate('admin', ADMIN_MIGRATIONS));
  }

  /** Starts a session for an admin token; returns the cookie value (shown to nobody else). */
  async create(tokenId: string, name: string): Promise<{ id: string; session: AdminSession }> {
    await this.ready();
    const id = newSecret();
    const now = new Date().toISOString();
    const session: AdminSession = { idHash: hashId(id), tokenId, name, csrf: newSecret(), createdAt: now, lastSeenAt: now };
    await this.sql().run('DELETE FROM admin_sessions WHERE last_seen_at < ? OR created_at < ?', [
      new Date(Date.now() - this.times.idleMs).toISOString(),
      new Date(Date.now() - this.times.maxAgeMs).toISOString(),
    ]);
    await this.sql().run('INSERT INTO admin_sessions (id_hash, token_id, name, csrf, created_at, last_seen_at) VALUES (?, ?, ?, ?, ?, ?)', [session.idHash, tokenId, name, session.csrf, now, now]);
    return { id, session };
  }

  /**
   * The live session of a cookie value, or undefined (unknown, idle too long, too old, or its token
   * revoked; an ended session is deleted). `touch` records the use (a page view; not a live update).
   */
  async get(id: string | undefined, touch: boolean): Promise<AdminSession | undefined> {
    if (!id || id.length > 100) return undefined;
    await this.ready();
    const idHash = hashId(id);
    const [row] = await this.sql().query<{ token_id: string; name: string; csrf: string; created_at: string; last_seen_at: string }>(
      'SELECT token_id, name, csrf, created_at, last_seen_at FROM admin_sessions WHERE id_hash = ?',
      [idHash],
    );
    if (!row) return undefined;
    const now = Date.now();
    const seen = Date.parse(row.last_seen_at);
    const [token] = await this.sql().query<{ revoked_at: unknown; scopes: unknown }>('SELECT revoked_at, scopes FROM tokens WHERE id = ?', [row.token_id]);
    // The token must still be live and still have the admin scope.
    const scopes = typeof token?.scopes === 'string' ? (JSON.parse(token.scopes) as string[]) : (token?.scopes as string[] | undefined);
    if (now - seen > this.times.idleMs || now - Date.parse(row.created_at) > this.times.maxAgeMs || !token || token.revoked_at !== null || !scopes?.includes('admin')) {
      await this.sql().run('DELETE FROM admin_sessions WHERE id_hash = ?', [idHash]);
      return undefined;
    }
    let lastSeenAt = row.last_seen_at;
    if (touch && now - seen >= this.touchEveryMs) {
      lastSeenAt = new Date(now).toISOString();
      await this.sql().run('UPDATE admin_sessions SET last_seen_at = ? WHERE id_hash = ?', [lastSeenAt, idHash]);
    }
    return { idHash, tokenId: row.token_id, name: row.name, csrf: row.csrf, createdAt: row.created_at, lastSeenAt };
  }

  async destroy(idHash: string): Promise<void> {
    await this.ready();
    await this.sql().run('DELETE FROM admin_sessions WHERE id_hash = ?', [idHash]);
  }
}
