import { readFileSync } from 'node:fs';
import express, { type Router } from 'express';
import type { JsonObject } from '../../core/types.ts';
import type { Hub } from '../../hub.ts';
import { openapiDocument } from './document.ts';

const file = (name: string) => readFileSync(new URL(name, import.meta.url), 'utf8');

/** Public: GET /api/openapi.json (the document) and GET /api/docs (a page that renders it; no CDN). */
export function openapiRouter(hub: Hub): Router {
  const r = express.Router();
  let doc: JsonObject | undefined;
  const html = file('./docs.html');
  const js = file('./docs.js');
  const version = (JSON.parse(file('../../../package.json')) as { version?: string }).version ?? '0.0.0';
  const csp = "default-src 'none'; script-src 'self'; style-src 'unsafe-inline'; connect-src 'self'; img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

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
  return r;
}
