import type { RequestHandler } from 'express';
import helmet from 'helmet';

/**
 * Security headers of the hub's browser-facing parts, set with helmet: the admin console (/admin) and
 * the Node-RED editor (/flows). Both refuse to be framed (X-Frame-Options DENY, CSP frame-ancestors
 * 'none') and talk to their own origin only. Strict-Transport-Security is left to the TLS proxy in
 * front (docs/security.md): the hub cannot know every name it is reached under.
 */
type Directives = Record<string, string[]>;

/** The admin console: its own scripts and styles only, no inline code. */
export const CONSOLE_CSP: Directives = {
  'default-src': ["'none'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'connect-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

/** The public pages (the catalogue, credential verification): no script at all, their own stylesheet, forms to themselves. */
export const PUBLIC_PAGES_CSP: Directives = {
  'default-src': ["'none'"],
  'style-src': ["'self'"],
  'img-src': ["'self'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'none'"],
};

/**
 * The Node-RED editor: it inserts the HTML of node types with their inline scripts and evaluates
 * them (jQuery), and styles inline, so script-src and style-src cannot be tighter; what it loads and
 * where it connects stays on this origin (its websocket included).
 */
export const EDITOR_CSP: Directives = {
  'default-src': ["'self'"],
  'script-src': ["'self'", "'unsafe-inline'", "'unsafe-eval'"],
  'style-src': ["'self'", "'unsafe-inline'"],
  'img-src': ["'self'", 'data:', 'blob:'],
  'font-src': ["'self'", 'data:'],
  'worker-src': ["'self'", 'blob:'],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
  'base-uri': ["'self'"],
};

/** helmet with the given CSP; `Referrer-Policy: same-origin` (the console reads its own Referer for Cancel). */
export function securityHeaders(csp: Directives): RequestHandler {
  return helmet({
    contentSecurityPolicy: { useDefaults: false, directives: csp },
    xFrameOptions: { action: 'deny' },
    referrerPolicy: { policy: 'same-origin' },
    strictTransportSecurity: false,
  }) as RequestHandler;
}
