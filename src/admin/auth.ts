import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { isHubError, TooManyRequestsError } from '../core/errors.ts';
import type { AdminDeps } from './deps.ts';
import type { PageContext } from './layout.ts';
import { renderLogin } from './pages/login.ts';
import { cookie, LOGIN_CSRF_COOKIE, newSecret, readCookies, sameSecret, SESSION_COOKIE, type AdminSession, type AdminSessions } from './session.ts';

/** The user name the console's sign-in counts failures under (its form asks for a token only). */
const CONSOLE_USER = 'admin';

export function sessionOf(res: Response): AdminSession {
  return res.locals.adminSession as AdminSession;
}

export function pageContext(req: Request, res: Response): PageContext {
  const s = res.locals.adminSession as AdminSession | undefined;
  return { base: req.baseUrl, ...(s ? { user: { name: s.name, csrf: s.csrf } } : {}) };
}

const cookiePath = (req: Request) => req.baseUrl || '/';

/** A safe place to go after signing in: a page of this console, nothing else. */
function nextPath(req: Request, v: unknown): string {
  const base = req.baseUrl;
  if (typeof v === 'string' && v.startsWith(`${base}/`) && !v.startsWith(`${base}//`) && !/[\\\r\n]/.test(v) && v.length < 2000) return v;
  return `${base}/`;
}

/**
 * Sign-in with an admin API token, sign-out, and the guard of every other page: a live session
 * (else a redirect to sign in, or 401 for live updates) and, on every POST, its CSRF token.
 */
export function authRoutes(hub: Pick<AdminDeps, 'signIns' | 'tokens'>, sessions: AdminSessions): { router: Router; guard: Router } {
  const router = express.Router();

  const showLogin = (req: Request, res: Response, status: number, next: string, error?: string) => {
    // The sign-in form has no session yet: its CSRF token is a double-submit cookie.
    const csrf = newSecret();
    res.append('Set-Cookie', cookie(LOGIN_CSRF_COOKIE, csrf, { path: cookiePath(req), secure: req.secure, maxAgeS: 3600 }));
    res
      .status(status)
      .type('html')
      .send(renderLogin({ base: req.baseUrl }, { csrf, next, ...(error ? { error } : {}) }).value);
  };

  router.get('/login', (req, res) => showLogin(req, res, 200, nextPath(req, req.query.next)));

  router.post('/login', (req, res, next) => {
    void (async () => {
      const body = (req.body ?? {}) as Record<string, unknown>;
      const target = nextPath(req, body.next);
      if (!sameSecret(readCookies(req.headers.cookie)[LOGIN_CSRF_COOKIE], typeof body._csrf === 'string' ? body._csrf : undefined)) {
        return showLogin(req, res, 403, target, 'The sign-in form expired or was not sent from this console. Please try again.');
      }
      // Per client address (req.ip: HUB_TRUST_PROXY) and user, shared with the editor's sign-in.
      const ip = req.ip ?? '?';
      try {
        hub.signIns.check(ip, CONSOLE_USER);
      } catch (e) {
        if (!(e instanceof TooManyRequestsError)) throw e;
        res.setHeader('Retry-After', String(e.extra.retryAfterSeconds));
        return showLogin(req, res, 429, target, 'Too many failed sign-ins from this address. Wait a few minutes.');
      }
      const token = typeof body.token === 'string' ? body.token.trim() : '';
      let principal;
      try {
        principal = token && !/\s/.test(token) ? await hub.tokens.authenticate(`Bearer ${token}`) : undefined;
      } catch (e) {
        if (!isHubError(e) || e.status !== 401) throw e;
      }
      if (!principal || !principal.scopes.includes('admin')) {
        hub.signIns.failed(ip, CONSOLE_USER);
        return showLogin(req, res, 401, target, principal ? 'This token has no admin scope.' : 'Unknown or revoked token.');
      }
      hub.signIns.succeeded(ip, CONSOLE_USER);
      const { id } = await sessions.create(principal.tokenId, principal.name);
      res.append('Set-Cookie', cookie(SESSION_COOKIE, id, { path: cookiePath(req), secure: req.secure }));
      res.append('Set-Cookie', cookie(LOGIN_CSRF_COOKIE, '', { path: cookiePath(req), secure: req.secure, maxAgeS: 0 }));
      res.redirect(303, target);
    })().catch(next);
  });

  const guard = express.Router();
  guard.use((req: Request, res: Response, next: NextFunction) => {
    void (async () => {
      const id = readCookies(req.headers.cookie)[SESSION_COOKIE];
      const isLive = req.path === '/events' || req.path.endsWith('/events');
      const s = await sessions.get(id, !isLive);
      if (!s) {
        if (isLive) return void res.status(401).type('text/plain').send('sign in again');
        if (req.method === 'GET' || req.method === 'HEAD') return res.redirect(303, `${req.baseUrl}/login?${new URLSearchParams({ next: req.originalUrl }).toString()}`);
        return showLogin(req, res, 401, `${req.baseUrl}/`, 'Your session ended. Sign in again; the form you sent was not applied.');
      }
      res.locals.adminSession = s;
      if (req.method === 'POST') {
        const sent = (req.body as Record<string, unknown> | undefined)?._csrf;
        if (!sameSecret(s.csrf, typeof sent === 'string' ? sent : undefined)) {
          return void res.status(403).type('text/plain').send('CSRF check failed: the form was not sent from this session of the console. Reload the page and try again.');
        }
      }
      next();
    })().catch(next);
  });

  guard.post('/logout', (req, res, next) => {
    sessions
      .destroy(sessionOf(res).idHash)
      .then(() => {
        res.append('Set-Cookie', cookie(SESSION_COOKIE, '', { path: cookiePath(req), secure: req.secure, maxAgeS: 0 }));
        res.redirect(303, `${req.baseUrl}/login`);
      })
      .catch(next);
  });
  return { router, guard };
}
