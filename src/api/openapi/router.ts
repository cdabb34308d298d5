import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import express, { type Router } from 'express';
import type { JsonObject } from '../../core/types.ts';
import type { ApiDeps } from '../deps.ts';
import { openapiDocument } from './document.ts';

const file = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');
/**
 * The folder of swagger-ui-dist: its bundle and stylesheet are served from here, not from a CDN. Its
 * absolute-path module only: the package's main module evaluates the 1.5 MB bundle (~0.25 s of CPU at
 * every start).
 */
const swaggerUiDir = (createRequire(import.meta.url)('swagger-ui-dist/absolute-path.js') as () => string)();
const SWAGGER_FILES = new Set(['swagger-ui-bundle.js', 'swagger-ui.css']);

/**
 * Public: GET /api/openapi.json (the document) and GET /api/docs (Swagger UI on it, with "Try it out" for
 * whoever has a token; everything served by the hub, nothing from elsewhere).
 */
export function openapiRouter(hub: Pick<ApiDeps, 'schemas'>): Router {
  const r = express.Router();
  let doc: JsonObject | undefined;
  const html = file('./docs.html');
  const js = file('./docs-init.js');
  const version = (JSON.parse(file('../../../package.json')) as { version?: string }).version ?? '0.0.0';
  const csp =
    "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; font-src 'self' data:; base-uri 'none'; form-action 'self'; frame-ancestors 'none'";

  r.get('/openapi.json', (_req, res) => {
    doc ??= openapiDocument(hub.schemas, version);
    res.setHeader('Cache-Control', 'public, max-age=300');
    res.json(doc);
  });
  r.get('/docs', (req, res) => {
    // Relative links (docs.js, openapi.json) need the URL without a trailing slash.
    if (req.originalUrl.split('?')[0]!.endsWith('/')) {
      res.redirect(301, req.originalUrl.replace(/\/+(\?|$)/, '$1'));
      return;
    }
    res.setHeader('Content-Security-Policy', csp);
    res.type('html').send(html);
  });
  r.get('/docs.js', (_req, res) => {
    res.setHeader('Content-Security-Policy', csp);
    res.type('application/javascript').send(js);
  });
  r.get('/swagger-ui/:file', (req, res, next) => {
    const name = String(req.params.file);
    if (!SWAGGER_FILES.has(name)) return next();
    res.setHeader('Cache-Control', 'public, max-age=86400');
    res.sendFile(join(swaggerUiDir, name));
  });
  return r;
}
