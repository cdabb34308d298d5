import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { errorMessage, isHubError, MalformedInputError, SinkRejectedError, TransportError } from '../../core/errors.ts';
import type { RegistryClient } from '../registry/client.ts';
import { responseSignatureProblem } from '../security/response.ts';
import { signRequest } from '../security/httpsig.ts';
import type { EwpKey } from '../security/keys.ts';
import { MANIFEST_ENTRY, NS, type ApiName } from '../xml/ns.ts';
import { child, childText, children, parseXml, text, type XElem } from '../xml/parse.ts';

export interface CallOptions {
  /** The calling HEI (its client key signs the request). */
  from: string;
  /** The partner HEI that serves the API. */
  to: string;
  api: ApiName;
  /** Manifest element holding the URL: `url`, `get-url`, `index-url`, `update-url`, ... */
  urlElement: string;
  params?: [string, string][];
  /** A raw XML body (LA and omobility update requests) instead of form parameters. */
  xmlBody?: string;
  /** The root element a 200 must have ([local name, namespace]); another is a failed call (MalformedInputError). */
  expect?: [string, string];
}

export interface CallResult {
  root: XElem;
  status: number;
  /** The partner's max-*-ids of this API (1 when it does not say). */
  maxIds: (name: string) => number;
}

/** What went wrong in a call to a partner, for the Monitoring API (client/monitoring.ts). */
export interface FailedCall {
  /** The calling HEI (its key signs the report). */
  from: string;
  /** The partner HEI the call went to. */
  to: string;
  api: ApiName;
  /** The manifest URL element (`get-url`, `url`, …). */
  urlElement: string;
  /** The partner's HTTP status, when it answered. */
  httpCode?: number;
  /** The `<developer-message>` of the partner's `<error-response>` (4xx/5xx). */
  serverMessage?: string;
  /** What the client found wrong (the error's message). */
  clientMessage: string;
  /** The error code (with the status, the reason a report is made once per period for). */
  code: string;
  /** The API is not in the partner's catalogue entry (or not callable as EWP requires). */
  notInCatalogue: boolean;
}

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);
/** Characters of a partner's error text kept (developer-message or body of a non-200 answer). */
const PARTNER_TEXT_CHARS = 300;
/** Characters of a partner's developer-message passed on to the Monitoring API. */
const SERVER_MESSAGE_CHARS = 2000;

/** What a call got as far as it went (for the Monitoring API report of a failure). */
interface Seen {
  catalogueRead?: boolean;
  notInCatalogue: boolean;
  httpCode?: number;
  serverMessage?: string;
}

/** The `<developer-message>` of an `<error-response>` (kept in `seen` for the Monitoring API, whole up to a bound). */
function developerMessage(root: XElem | undefined, seen: Seen): string | undefined {
  const msg = root && root.local === 'error-response' ? childText(root, 'developer-message') : undefined;
  if (msg && root?.ns === NS.ewp) seen.serverMessage = msg.slice(0, SERVER_MESSAGE_CHARS);
  return msg;
}

/**
 * Signed calls to partners' EWP APIs, found through the registry catalogue: HTTP Signature
 * client authentication with the calling HEI's key, Accept-Signature when the partner's entry
 * declares srvauth-httpsig (and then its response signature is checked against the responding
 * host's server keys), and the XML parsed. Network faults, timeouts and 5xx are TransportErrors
 * (retry later); 4xx and an API the partner does not offer are SinkRejectedErrors (do not retry).
 */
export class EwpClient {
  constructor(
    private readonly o: {
      registry: RegistryClient;
      keyOf: (hei: string) => EwpKey;
      skewMs: number;
      logger: Logger;
      timeoutMs?: number;
      /** Told of every failed call once the catalogue was read (not of the registry's own failures): the Monitoring API reporter. */
      onFailure?: (f: FailedCall) => void;
    },
  ) {}

  async call(c: CallOptions): Promise<CallResult> {
    return this.reported(c, async (seen) => {
      const { res, entry, api } = await this.exchange(c, 'POST', seen);
      let root: XElem | undefined;
      try {
        root = parseXml(res.body.toString('utf8'));
      } catch {
        root = undefined;
      }
      if (res.status !== 200) throw this.failure(c.to, api, res.status, developerMessage(root, seen) ?? res.body.toString('utf8'));
      if (!root) throw new TransportError(`${c.to} ${api} answered 200 with a body that is not XML`);
      if (c.expect && (root.local !== c.expect[0] || root.ns !== c.expect[1]))
        throw new MalformedInputError(
          `${c.to} ${api} ${c.urlElement.replace(/-?url$/, '') || 'endpoint'}: expected <${c.expect[0]}> in ${c.expect[1]}, got <${root.local}> in ${root.ns || 'no namespace'}`,
        );
      return {
        root,
        status: res.status,
        maxIds: (name: string) => {
          const v = Number(text(child(entry.entry, name)).trim());
          return Number.isInteger(v) && v > 0 ? v : 1;
        },
      };
    });
  }

  /** Runs a call; a failure once the catalogue was read is told to `onFailure` (the Monitoring API) before it is thrown. */
  private async reported<T>(c: CallOptions, run: (seen: Seen) => Promise<T>): Promise<T> {
    const seen: Seen = { notInCatalogue: true };
    try {
      return await run(seen);
    } catch (e) {
      if (this.o.onFailure && seen.catalogueRead) {
        const { httpCode, serverMessage, notInCatalogue } = seen;
        this.o.onFailure({
          from: c.from,
          to: c.to,
          api: c.api,
          urlElement: c.urlElement,
          ...(httpCode !== undefined ? { httpCode } : {}),
          ...(serverMessage ? { serverMessage } : {}),
          clientMessage: errorMessage(e),
          code: isHubError(e) ? e.code : 'UNEXPECTED',
          notInCatalogue,
        });
      }
      throw e;
    }
  }

  /**
   * A partner's file by its id (File API 1: GET with `file_id`, the answer is the file's bytes). A 404
   * (unknown, or not shared with this HEI) is a SinkRejectedError with `extra.status` 404.
   */
  async file(from: string, to: string, fileId: string): Promise<{ contentType: string; body: Buffer }> {
    const c: CallOptions = { from, to, api: 'file', urlElement: 'url', params: [['file_id', fileId]] };
    return this.reported(c, async (seen) => {
      const { res, api } = await this.exchange(c, 'GET', seen);
      if (res.status !== 200) {
        let root: XElem | undefined;
        try {
          root = parseXml(res.body.toString('utf8'));
        } catch {
          root = undefined;
        }
        throw this.failure(to, api, res.status, developerMessage(root, seen));
      }
      const type = res.headers['content-type'];
      return { contentType: (Array.isArray(type) ? type[0] : type) ?? 'application/octet-stream', body: res.body };
    });
  }

  /** A partner's error answer: 5xx, 408 and 429 are transport faults (retry), other statuses are rejections. */
  private failure(to: string, api: string, status: number, partnerText: string | undefined): Error {
    // A partner's text, bounded: it ends up on queue rows and in log lines.
    const msg = partnerText?.slice(0, PARTNER_TEXT_CHARS);
    const detail = `${to} ${api} answered HTTP ${status}${msg ? `: ${msg}` : ''}`;
    if (status >= 500 || status === 408 || status === 429) return new TransportError(detail);
    return new SinkRejectedError(detail, { extra: { status } });
  }

  /** Finds the partner's API in the registry, sends the signed request (POST form or XML body, or GET with a query), checks the response signature. */
  private async exchange(c: CallOptions, method: 'GET' | 'POST', seen: Seen) {
    const catalogue = await this.o.registry.catalogue();
    seen.catalogueRead = true;
    const m = MANIFEST_ENTRY[c.api];
    const entry = catalogue.apis(c.to, m.ns, m.name)[0];
    if (!entry) throw new SinkRejectedError(`${c.to} does not implement ${m.name} ${m.version.split('.')[0]}.x in the EWP registry`);
    const sec = child(entry.entry, 'http-security');
    const cliauth = sec ? child(sec, 'client-auth-methods', NS.sec) : undefined;
    if (!cliauth || !children(cliauth, 'httpsig', NS.cliauthHttpsig).length) throw new SinkRejectedError(`${c.to}'s ${m.name} does not accept HTTP Signature client authentication`);
    const srvauth = sec ? child(sec, 'server-auth-methods', NS.sec) : undefined;
    const wantsSignedResponse = !!srvauth && children(srvauth, 'httpsig', NS.srvauthHttpsig).length > 0;
    const urlText = childText(entry.entry, c.urlElement);
    if (!urlText) throw new SinkRejectedError(`${c.to}'s ${m.name} entry has no ${c.urlElement}`);
    const url = new URL(urlText);
    seen.notInCatalogue = false;
    if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) throw new SinkRejectedError(`${c.to}'s ${m.name} URL is not https`);
    if (method === 'GET') for (const [k, v] of c.params ?? []) url.searchParams.append(k, v);
    const body = method === 'GET' ? Buffer.alloc(0) : c.xmlBody !== undefined ? Buffer.from(c.xmlBody, 'utf8') : Buffer.from(new URLSearchParams(c.params ?? []).toString(), 'utf8');
    const contentType = method === 'GET' ? undefined : c.xmlBody !== undefined ? 'application/xml; charset=utf-8' : 'application/x-www-form-urlencoded';
    const signed = signRequest({ method, url, body, key: this.o.keyOf(c.from), ...(contentType ? { contentType } : {}), acceptSignature: wantsSignedResponse });
    const headers = { ...signed.headers, ...(method === 'POST' ? { 'content-length': String(body.length), accept: 'application/xml' } : {}) };
    const res = await this.send(url, method, headers, body);
    seen.httpCode = res.status;
    const get = (n: string) => {
      const v = res.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    if (wantsSignedResponse) {
      const problem = responseSignatureProblem(get, res.body, signed, { catalogue, host: entry.host, skewMs: this.o.skewMs });
      if (problem) throw new TransportError(`${c.to} ${m.name}: ${problem}`);
    }
    return { res, entry, api: m.name };
  }

  /** A partner's limit from its manifest entry (e.g. max-omobility-ids); 1 when it does not say. */
  async limit(to: string, api: ApiName, element: string): Promise<number> {
    const m = MANIFEST_ENTRY[api];
    const entry = (await this.o.registry.catalogue()).apis(to, m.ns, m.name)[0];
    const v = entry ? Number(childText(entry.entry, element)) : NaN;
    return Number.isInteger(v) && v > 0 ? v : 1;
  }

  private send(url: URL, method: 'GET' | 'POST', headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method, headers, timeout: timeoutMs }, (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks) }));
        res.on('error', (e) => reject(new TransportError(`${url.host}: ${e.message}`, { cause: e })));
      });
      req.on('timeout', () => req.destroy(new Error(`no answer within ${timeoutMs} ms`)));
      req.on('error', (e) => reject(new TransportError(`${url.host}: ${e.message}`, { cause: e })));
      req.end(body);
    });
  }
}
