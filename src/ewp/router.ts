import express, { type Request, type Response, type Router } from 'express';
import { EwpAuthError, EwpRequestError } from '../core/errors.ts';
import { logServedRecords } from '../privacy/ewp-disclosure.ts';
import { ENDPOINTS } from './apis/index.ts';
import type { Disclosed, EwpContext, FileAnswer } from './endpoint.ts';
import { errorResponse, statusOf } from './errors.ts';
import { buildManifest } from './manifest.ts';
import { Params } from './params.ts';
import type { EwpServices } from './services.ts';
import { signResponse } from './security/response.ts';
import { verifyRequest, type Caller } from './security/verify.ts';
import { toXml, type XmlElement } from './xml/build.ts';

const XML_TYPE = 'application/xml; charset=utf-8';
const BODY_LIMIT = 1024 * 1024;

function send(node: EwpServices, res: Response, status: number, doc: XmlElement, caller?: Caller): void {
  const body = Buffer.from(toXml(doc), 'utf8');
  res.status(status).setHeader('content-type', XML_TYPE);
  if (caller?.acceptsSignature) {
    for (const [k, v] of Object.entries(signResponse(body, caller, node.serverKey))) res.setHeader(k, v);
  }
  res.end(body);
}

/** A file (File API): its bytes with its media type, signed like XML when asked; immutable, so a matching If-None-Match is a 304. */
function sendFile(node: EwpServices, req: Request, res: Response, f: FileAnswer['file'], caller: Caller): void {
  const etag = `"${f.etag}"`;
  res.setHeader('etag', etag).setHeader('cache-control', 'private, max-age=86400');
  if (req.headers['if-none-match'] === etag) {
    res.status(304).end();
    return;
  }
  res.status(200).setHeader('content-type', f.contentType).setHeader('content-disposition', `inline; filename="${f.name}"`);
  if (caller.acceptsSignature) {
    for (const [k, v] of Object.entries(signResponse(f.body, caller, node.serverKey))) res.setHeader(k, v);
  }
  res.end(f.body);
}

function sendError(node: EwpServices, res: Response, status: number, message: string, caller?: Caller, userMessage?: string): void {
  if (status === 401) {
    res.setHeader('www-authenticate', 'Signature realm="EWP",headers="(request-target) host date digest x-request-id"');
    res.setHeader('want-digest', 'SHA-256');
  }
  send(node, res, status, errorResponse(message, userMessage), caller);
}

/** Where the router finds the EWP node: read on each request (the hub builds the node when it starts). */
export interface EwpHost {
  readonly ewp: EwpServices | undefined;
}

/**
 * The EWP endpoints of every represented HEI, under /ewp/{heiId}/ (one host per HEI, as
 * Discovery v6 requires). The manifest is public; everything else needs a valid HTTP Signature.
 * Responses are XML (errors too: `<error-response>`), signed when the client asks for it.
 */
export function ewpRouter(host: EwpHost): Router {
  const router = express.Router();
  router.use(express.raw({ type: () => true, limit: BODY_LIMIT }));

  const nodeOr404 = (req: Request, res: Response): EwpServices | undefined => {
    const node = host.ewp;
    if (!node) {
      res.status(404).type('text/plain').send('EWP is not configured on this hub');
      return undefined;
    }
    return node;
  };

  router.get('/:heiId/manifest.xml', (req, res, next) => {
    const node = nodeOr404(req, res);
    if (!node) return;
    const hei = node.settings.heis.get(String(req.params.heiId));
    if (!hei) {
      sendError(node, res, 404, `no EWP host for HEI '${String(req.params.heiId)}' here`);
      return;
    }
    buildManifest(node, hei)
      .then((doc) => send(node, res, 200, doc))
      .catch(next);
  });

  router.all('/:heiId/*', (req, res) => {
    const node = nodeOr404(req, res);
    if (!node) return;
    void handle(node, req, res);
  });
  // Body-parser failures (too large, aborted) answered the EWP way.
  router.use((err: unknown, _req: Request, res: Response, next: (e?: unknown) => void) => {
    const node = host.ewp;
    if (!node || res.headersSent) return next(err);
    const status = (err as { status?: number }).status ?? 500;
    sendError(node, res, status, status === 413 ? `request body over ${BODY_LIMIT} bytes` : `cannot read the request: ${(err as Error).message}`);
  });
  return router;
}

/** Legal basis and purpose of what EWP hands to partners: the Erasmus+ mobility agreements between the HEIs. */
export const EWP_DISCLOSURE = { legalBasis: 'contract', purpose: 'Erasmus+ mobility: inter-institutional and learning agreements with the partner HEI (EWP)' } as const;

async function logDisclosures(node: EwpServices, path: string, disclosed: Disclosed[]): Promise<void> {
  const byRecipient = new Map<string, Disclosed[]>();
  for (const d of disclosed) byRecipient.set(d.recipient, [...(byRecipient.get(d.recipient) ?? []), d]);
  for (const [recipient, list] of byRecipient) {
    const seen = new Set<string>();
    const records = list.filter((d) => !seen.has(d.record.id) && seen.add(d.record.id)).map((d) => ({ ...d.record, fields: d.fields }));
    await logServedRecords(node.deps.privacy, { recipient, route: `ewp:${path}`, ...EWP_DISCLOSURE, records });
  }
}

async function handle(node: EwpServices, req: Request, res: Response): Promise<void> {
  const heiId = String(req.params.heiId);
  const path = String((req.params as Record<string, string>)[0] ?? '');
  const hei = node.settings.heis.get(heiId);
  const endpoint = ENDPOINTS.get(path);
  if (!hei || !endpoint) {
    sendError(node, res, 404, `no EWP endpoint '${path}' for HEI '${heiId}'`);
    return;
  }
  if (!endpoint.methods.includes(req.method as 'GET' | 'POST')) {
    res.setHeader('allow', endpoint.methods.join(', '));
    sendError(node, res, 405, `${req.method} is not allowed here; use ${endpoint.methods.join(' or ')}`);
    return;
  }
  const body = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
  let caller: Caller | undefined;
  try {
    caller = await verifyRequest(
      { method: req.method, target: req.originalUrl, headers: req.headers, body },
      { expectedHost: hei.host, catalogue: () => node.registry.catalogue(), replay: node.replay, skewMs: node.settings.clockSkewMs },
    );
    const contentType = req.headers['content-type'];
    const ctx: EwpContext = {
      node,
      hei,
      caller,
      body,
      contentType,
      disclosed: [],
      params: endpoint.xmlBody ? Params.parse('GET', req.originalUrl, Buffer.alloc(0), undefined) : Params.parse(req.method, req.originalUrl, body, contentType),
    };
    const doc = await endpoint.handle(ctx);
    // Personal data leaves only once the disclosure log holds it (a failure to log is a 500).
    await logDisclosures(node, path, ctx.disclosed);
    if ('file' in doc) sendFile(node, req, res, doc.file, caller);
    else send(node, res, 200, doc, caller);
  } catch (e) {
    if (e instanceof EwpAuthError) {
      node.metrics.authFailures.inc({ status: String(e.status) });
      sendError(node, res, e.status, e.message);
      return;
    }
    const s = statusOf(e);
    if (s.unexpected) node.logger.error({ err: e, hei: heiId, endpoint: path }, 'EWP endpoint failed');
    if (res.headersSent) return;
    sendError(node, res, s.status, s.message, caller, e instanceof EwpRequestError ? e.userMessage : undefined);
  }
}
