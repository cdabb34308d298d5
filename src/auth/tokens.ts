import { randomBytes, timingSafeEqual } from 'node:crypto';
import { BadRequestError, ForbiddenError, UnauthorizedError, type Violation } from '../core/errors.ts';
import { sha256Hex, uuidv7 } from '../core/ids.ts';
import type { Store } from '../store/types.ts';

/**
 * Scopes: `admin` (everything), `metrics` (GET /metrics), `ingest:<sourceId>` or `ingest:*`, `read:<entity>` or `read:*`,
 * `feed:<consumerId>` (feeds and webhook subscriptions as that consumer, config `consumers`), `emrex:<institution>` or
 * `emrex:*` (EMREX sessions of that institution's students and the documents they brought in, docs/emrex.md).
 */
export interface Principal {
  tokenId: string;
  name: string;
  scopes: readonly string[];
}

const SCOPE = /^(admin|metrics|ingest:(\*|[a-z0-9][a-z0-9_-]*)|read:(\*|[a-z0-9][a-z0-9-]*)|feed:(\*|[a-z0-9][a-z0-9_-]*)|emrex:(\*|[a-z0-9][a-z0-9.-]*))$/;
/** A token's name, its scopes and each scope, at most (the names of the config's ids are at most 63 characters). */
export const MAX_NAME = 100;
const MAX_SCOPES = 50;
const MAX_SCOPE = 80;
const ENV_ADMIN_NAME = 'admin (HUB_ADMIN_TOKEN)';
const GENERATED_ADMIN_NAME = 'admin (generated at first start)';

export function hashToken(token: string): string {
  return sha256Hex(`study-hub-token:${token}`);
}

export function newTokenValue(): string {
  return `shub_${randomBytes(24).toString('base64url')}`;
}

export function hasScope(p: Principal, scope: string): boolean {
  if (p.scopes.includes('admin')) return true;
  if (p.scopes.includes(scope)) return true;
  const [kind] = scope.split(':');
  return p.scopes.includes(`${kind}:*`);
}

export function requireScope(p: Principal | undefined, scope: string): Principal {
  if (!p) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
  if (!hasScope(p, scope)) throw new ForbiddenError(`this token lacks the scope '${scope}'`);
  return p;
}

/** How long a session's check of its token (revoked? scope removed?) may be reused. */
export const TOKEN_CHECK_CACHE_MS = 2000;

export class TokenService {
  private readonly checked = new Map<string, { p: Principal | undefined; at: number }>();

  /** @param checkCacheMs how long live() reuses an answer (TOKEN_CHECK_CACHE_MS) */
  constructor(
    private readonly store: Store,
    private readonly checkCacheMs = TOKEN_CHECK_CACHE_MS,
  ) {}

  /**
   * The principal of a token by its id while the token is not revoked and has the scope: what a
   * session made from a token asks on each use. The answer is reused for checkCacheMs (TOKEN_CHECK_CACHE_MS) at most,
   * so a revocation, a rotation (a changed HUB_ADMIN_TOKEN revokes the old one) or a removed scope
   * ends the session within seconds.
   */
  async live(tokenId: string, scope: string): Promise<Principal | undefined> {
    const now = Date.now();
    let hit = this.checked.get(tokenId);
    if (!hit || now - hit.at >= this.checkCacheMs) {
      const [row] = await this.store.sql.query<{ id: string; name: string; scopes: unknown; revoked_at: unknown }>('SELECT id, name, scopes, revoked_at FROM tokens WHERE id = ?', [tokenId]);
      const scopes = typeof row?.scopes === 'string' ? (JSON.parse(row.scopes) as string[]) : (row?.scopes as string[] | undefined);
      hit = { p: row && row.revoked_at === null && scopes ? { tokenId: row.id, name: row.name, scopes } : undefined, at: now };
      if (this.checked.size > 10_000) this.checked.clear();
      this.checked.set(tokenId, hit);
    }
    return hit.p && hasScope(hit.p, scope) ? hit.p : undefined;
  }

  async authenticate(header: string | undefined): Promise<Principal | undefined> {
    if (!header) return undefined;
    const m = /^Bearer\s+(\S+)$/i.exec(header);
    if (!m) throw new UnauthorizedError('Authorization header must be "Bearer <token>"');
    const hash = hashToken(m[1]!);
    const row = await this.store.findToken(hash);
    // The lookup is by hash; compare again in constant time to keep timing flat.
    if (!row || !timingSafeEqual(Buffer.from(hash), Buffer.from(hashToken(m[1]!)))) throw new UnauthorizedError('unknown or revoked token');
    return { tokenId: row.id, name: row.name, scopes: row.scopes };
  }

  async create(name: string, scopes: string[]): Promise<{ id: string; token: string }> {
    const violations: Violation[] = [];
    if (name.length > MAX_NAME || /\p{Cc}/u.test(name)) violations.push({ path: '/name', message: `at most ${MAX_NAME} characters, no control characters` });
    if (scopes.length > MAX_SCOPES) violations.push({ path: '/scopes', message: `at most ${MAX_SCOPES} scopes` });
    scopes.forEach((s, i) => {
      if (s.length > MAX_SCOPE || !SCOPE.test(s)) {
        violations.push({
          path: `/scopes/${i}`,
          message: `'${s.slice(0, MAX_SCOPE)}${s.length > MAX_SCOPE ? '…' : ''}' is not a scope (admin, metrics, ingest:<source>, read:<entity>, feed:<consumer>; at most ${MAX_SCOPE} characters)`,
        });
      }
    });
    if (!name || scopes.length === 0 || violations.length) {
      throw new BadRequestError('a token needs a name (1 to 100 characters) and 1 to 50 valid scopes', { violations });
    }
    const token = newTokenValue();
    const id = uuidv7();
    await this.store.createToken({ id, name, hash: hashToken(token), scopes });
    return { id, token };
  }

  /**
   * Makes sure an admin credential exists. With HUB_ADMIN_TOKEN set, that token is the admin
   * token (a changed value replaces the old one). Without it, a token is generated at first start
   * and returned once so the caller can print it; it is never shown again.
   */
  async ensureAdmin(envToken: string | undefined): Promise<{ generated?: string }> {
    const tokens = await this.store.listTokens();
    if (envToken) {
      const hash = hashToken(envToken);
      if (!(await this.store.findToken(hash))) {
        for (const t of tokens) if (t.name === ENV_ADMIN_NAME && !t.revokedAt) await this.store.revokeToken(t.id);
        await this.store.createToken({ id: uuidv7(), name: ENV_ADMIN_NAME, hash, scopes: ['admin'] });
      }
      return {};
    }
    if (await this.store.getMeta('admin_token_generated')) return {};
    const token = newTokenValue();
    await this.store.createToken({ id: uuidv7(), name: GENERATED_ADMIN_NAME, hash: hashToken(token), scopes: ['admin'] });
    await this.store.setMeta('admin_token_generated', new Date().toISOString());
    return { generated: token };
  }
}
