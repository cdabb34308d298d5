import express, { type Request, type Router } from 'express';
import type { Logger } from 'pino';
import { asyncHandler } from '../api/context.ts';
import type { SignInLimiter } from '../auth/sign-in-limiter.ts';
import type { Principal, TokenService } from '../auth/tokens.ts';
import { BadRequestError, ForbiddenError, isHubError, UnauthorizedError } from '../core/errors.ts';
import { SIGNED_IN_WITH } from './comms.ts';
import { EDITOR_SCOPE, type EditorSessions } from './sessions.ts';

/** The Node-RED user of the hub's admin: full rights in the editor. */
export interface EditorUser {
  username: string;
  permissions: '*';
  /** The bearer value the user was resolved from: the editor's websocket is checked again with it (comms.ts). */
  [SIGNED_IN_WITH]?: string;
}

export const EDITOR_USERNAME = 'admin';
/** Node-RED's own clients (@node-red/editor-api/lib/auth/clients.js): the editor and node-red-admin. */
const CLIENTS = ['node-red-editor', 'node-red-admin'];

/** Resolves what a caller of the editor sends as its bearer token: a live editor session, or a hub token with the admin scope. */
export type EditorAccess = (token: string) => Promise<Principal | undefined>;

export function editorAccess(tokens: TokenService, sessions: EditorSessions): EditorAccess {
  return async (token) => {
    if (!token || /\s/.test(token) || token.length > 1000) return undefined;
    return (await sessions.principal(token)) ?? (await adminPrincipal(tokens, token));
  };
}

/** The principal of a hub token, only when it is a token with the admin scope (not merely a token). */
async function adminPrincipal(tokens: TokenService, token: string): Promise<Principal | undefined> {
  if (!token || /\s/.test(token)) return undefined;
  try {
    const p = await tokens.authenticate(`Bearer ${token}`);
    return p && p.scopes.includes(EDITOR_SCOPE) ? p : undefined;
  } catch (e) {
    if (isHubError(e) && e.status === 401) return undefined; // unknown or revoked
    throw e;
  }
}

/**
 * Node-RED's adminAuth for the embedded editor. There is no anonymous user (no `default`): the editor
 * runs code. Node-RED's own sessions are not used (they outlive the token they were made from, and its
 * sign-in counts failures per user name for everyone): the hub answers `POST /flows/auth/token` itself
 * (signInRouter) with a session of its own, and Node-RED asks `tokens` on every request and on the
 * editor's websocket. `users` and `authenticate` refuse everything, so a Node-RED session left in its
 * user dir from before opens nothing.
 */
export function editorAuth(access: EditorAccess) {
  return {
    type: 'credentials' as const,
    users: async (): Promise<EditorUser | null> => null,
    authenticate: async (): Promise<EditorUser | null> => null,
    tokens: async (token: string): Promise<EditorUser | null> => ((await access(token)) ? { username: EDITOR_USERNAME, permissions: '*', [SIGNED_IN_WITH]: token } : null),
  };
}

const field = (body: unknown, name: string): string => {
  const v = (body as Record<string, unknown> | undefined)?.[name];
  return typeof v === 'string' ? v : '';
};

const bearer = (req: Request): string => /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')?.[1] ?? '';

/**
 * The editor's sign-in (`POST auth/token`, OAuth2 password grant as Node-RED's editor sends it: user
 * `admin`, password a hub token with the admin scope) and sign-out (`POST auth/revoke`). Failures are
 * counted per client address (req.ip, HUB_TRUST_PROXY) and user name by the hub's sign-in limiter: 429
 * with Retry-After for that address only.
 */
export function signInRouter(o: { sessions: EditorSessions; tokens: TokenService; access: EditorAccess; limiter: SignInLimiter; logger: Logger }): Router {
  const r = express.Router();
  const body = [express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 20 }), express.json({ limit: '16kb' })];
  r.post(
    '/auth/token',
    ...body,
    asyncHandler(async (req, res) => {
      if (field(req.body, 'grant_type') !== 'password') throw new BadRequestError("grant_type must be 'password'", { extra: { error: 'unsupported_grant_type' } });
      if (!CLIENTS.includes(field(req.body, 'client_id'))) throw new UnauthorizedError('unknown client_id', { extra: { error: 'invalid_client' } });
      if (!['', '*'].includes(field(req.body, 'scope'))) throw new BadRequestError("scope must be '' or '*'", { extra: { error: 'invalid_scope' } });
      const username = field(req.body, 'username');
      const address = req.ip ?? '?';
      o.limiter.check(address, username);
      const p = username === EDITOR_USERNAME ? await adminPrincipal(o.tokens, field(req.body, 'password')) : undefined;
      if (!p) {
        o.limiter.failed(address, username);
        o.logger.info({ audit: 'auth.login.fail.credentials', user: username.slice(0, 100) }, 'node-red audit: auth.login.fail.credentials');
        throw new ForbiddenError('unknown user, or the password is not a hub token with the admin scope', { extra: { error: 'invalid_grant' } });
      }
      o.limiter.succeeded(address, username);
      const s = await o.sessions.create(p.tokenId);
      o.logger.info({ audit: 'auth.login', user: p.name }, 'node-red audit: auth.login');
      res.set({ 'Cache-Control': 'no-store', Pragma: 'no-cache' }).json({ access_token: s.token, expires_in: s.expiresIn, token_type: 'Bearer' });
    }),
  );
  r.post(
    '/auth/revoke',
    ...body,
    asyncHandler(async (req, res) => {
      const caller = bearer(req);
      if (!(await o.access(caller))) throw new UnauthorizedError('sign in first');
      await o.sessions.destroy(field(req.body, 'token') || caller);
      o.logger.info({ audit: 'auth.login.revoke' }, 'node-red audit: auth.login.revoke');
      res.status(200).end();
    }),
  );
  return r;
}
