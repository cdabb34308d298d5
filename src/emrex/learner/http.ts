import { readFileSync } from 'node:fs';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { PUBLIC_PAGES_CSP, securityHeaders } from '../../api/security-headers.ts';
import { rateLimit } from '../../api/rate-limit.ts';
import { t, type Lang } from './i18n.ts';
import { messagePage } from './pages.ts';

/**
 * What the contact point's and the learner's routers share: their cookies (HttpOnly, SameSite=Lax:
 * the provider sends the learner back with a cross-site GET, which Strict would leave without the
 * cookie; Secure over https), the pages' headers (the public pages' CSP: no script, forms to this
 * origin only), the per-address rate limit, and the static stylesheet and answer script.
 */
export function sessionCookie(name: string, value: string, o: { path: string; secure: boolean; maxAgeS: number }): string {
  return [`${name}=${value}`, `Path=${o.path}`, 'HttpOnly', 'SameSite=Lax', ...(o.secure ? ['Secure'] : []), `Max-Age=${o.maxAgeS}`].join('; ');
}

export function readCookie(req: Request, name: string): string | undefined {
  for (const part of (req.headers.cookie ?? '').split(';')) {
    const i = part.indexOf('=');
    if (i > 0 && part.slice(0, i).trim() === name) return part.slice(i + 1).trim();
  }
  return undefined;
}

/** Sends a page with its status; never cached (every page is the learner's own or a one-time answer). */
export function sendPage(res: Response, status: number, body: string): void {
  res.status(status).set('Cache-Control', 'no-store').type('html').send(body);
}

/** A message page with its status. */
export function sendMessage(res: Response, status: number, o: { lang: Lang; brand: string; title: string; text: string }): void {
  sendPage(res, status, messagePage(o));
}

/** The CSP of the page that answers the client: its one script from here, its form to the client's origin only. */
export function answerCsp(returnOrigin: string): string {
  return ["default-src 'none'", "script-src 'self'", "style-src 'self'", "img-src 'self'", `form-action ${returnOrigin}`, "frame-ancestors 'none'", "base-uri 'none'"].join('; ');
}

/** The per-address limit of one router, answering a page in the learner's language. */
export function pagesRateLimit(perMinute: number, brand: (lang: Lang) => string): RequestHandler {
  return rateLimit(perMinute, (res, retryAfter) => {
    res.set('Retry-After', String(retryAfter));
    const lang: Lang = res.req.acceptsLanguages('lv', 'en') === 'en' ? 'en' : 'lv';
    sendMessage(res, 429, { lang, brand: brand(lang), title: t(lang, 'refused'), text: t(lang, 'tooMany') });
  });
}

const CSS = readFileSync(new URL('./static/learner.css', import.meta.url), 'utf8');
const SUBMIT = readFileSync(new URL('./static/submit.js', import.meta.url), 'utf8');

/** The stylesheet and the answer's script. */
export function staticFiles(): Router {
  const r = express.Router();
  r.get('/static/learner.css', (_req, res) => void res.type('text/css').set('Cache-Control', 'public, max-age=3600').send(CSS));
  r.get('/static/submit.js', (_req, res) => void res.type('text/javascript').set('Cache-Control', 'public, max-age=3600').send(SUBMIT));
  return r;
}

/** Security headers of the pages (helmet with the public pages' CSP). */
export const pageHeaders = (): RequestHandler => securityHeaders(PUBLIC_PAGES_CSP);

/** A body the form parser refused (too large, wrong encoding): a page, not problem+json. */
export function formErrors(brand: (lang: Lang) => string): ErrorRequestHandler {
  return (err: unknown, req, res, next) => {
    const status = (err as { status?: unknown }).status;
    if (typeof status !== 'number' || status < 400 || status >= 500) return next(err);
    const lang: Lang = req.acceptsLanguages('lv', 'en') === 'en' ? 'en' : 'lv';
    sendMessage(res, status, { lang, brand: brand(lang), title: t(lang, 'refused'), text: t(lang, 'badRequest') });
  };
}

/** The address the provider sends the learner back to: this request's origin (express, under HUB_TRUST_PROXY) and the path. */
export function callbackUrl(req: Request, path: string): string {
  return `${req.protocol}://${req.get('host') ?? 'localhost'}${path}`;
}
