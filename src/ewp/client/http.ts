import { request as httpRequest, type IncomingHttpHeaders } from 'node:http';
import { request as httpsRequest } from 'node:https';
import type { Logger } from 'pino';
import { errorMessage, isHubError, MalformedInputError, SinkRejectedError, TransportError } from '../../core/errors.ts';
import type { Catalogue } from '../registry/catalogue.ts';
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
    const catalogue = await this.o.registry.catalogue();
    const seen: { httpCode?: number; serverMessage?: string; notInCatalogue: boolean } = { notInCatalogue: true };
    try {
      return await this.attempt(c, catalogue, seen);
    } catch (e) {
      if (this.o.onFailure) {
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

  private async attempt(c: CallOptions, catalogue: Catalogue, seen: { httpCode?: number; serverMessage?: string; notInCatalogue: boolean }): Promise<CallResult> {
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
    const body = c.xmlBody !== undefined ? Buffer.from(c.xmlBody, 'utf8') : Buffer.from(new URLSearchParams(c.params ?? []).toString(), 'utf8');
    const contentType = c.xmlBody !== undefined ? 'application/xml; charset=utf-8' : 'application/x-www-form-urlencoded';
    const signed = signRequest({ method: 'POST', url, body, key: this.o.keyOf(c.from), contentType, acceptSignature: wantsSignedResponse });
    const res = await this.send(url, { ...signed.headers, 'content-length': String(body.length), accept: 'application/xml' }, body);
    seen.httpCode = res.status;
    const get = (n: string) => {
      const v = res.headers[n];
      return Array.isArray(v) ? v.join(', ') : v;
    };
    if (wantsSignedResponse) {
      const problem = responseSignatureProblem(get, res.body, signed, { catalogue, host: entry.host, skewMs: this.o.skewMs });
      if (problem) throw new TransportError(`${c.to} ${m.name}: ${problem}`);
    }
    let root: XElem | undefined;
    try {
      root = parseXml(res.body.toString('utf8'));
    } catch {
      root = undefined;
    }
    if (res.status !== 200) {
      // A partner's text, bounded: it ends up on queue rows and in log lines.
      const developerMessage = root && root.local === 'error-response' && root.ns === NS.ewp ? childText(root, 'developer-message') : undefined;
      if (developerMessage) seen.serverMessage = developerMessage.slice(0, SERVER_MESSAGE_CHARS);
      const msg = (root && root.local === 'error-response' ? childText(root, 'developer-message') : res.body.toString('utf8'))?.slice(0, PARTNER_TEXT_CHARS);
      const detail = `${c.to} ${m.name} answered HTTP ${res.status}${msg ? `: ${msg}` : ''}`;
      if (res.status >= 500 || res.status === 408 || res.status === 429) throw new TransportError(detail);
      throw new SinkRejectedError(detail, { extra: { status: res.status } });
    }
    if (!root) throw new TransportError(`${c.to} ${m.name} answered 200 with a body that is not XML`);
    if (c.expect && (root.local !== c.expect[0] || root.ns !== c.expect[1]))
      throw new MalformedInputError(
        `${c.to} ${m.name} ${c.urlElement.replace(/-?url$/, '') || 'endpoint'}: expected <${c.expect[0]}> in ${c.expect[1]}, got <${root.local}> in ${root.ns || 'no namespace'}`,
      );
    return {
      root,
      status: res.status,
      maxIds: (name) => {
        const v = Number(text(child(entry.entry, name)).trim());
        return Number.isInteger(v) && v > 0 ? v : 1;
      },
    };
  }

  /** A partner's limit from its manifest entry (e.g. max-omobility-ids); 1 when it does not say. */
  async limit(to: string, api: ApiName, element: string): Promise<number> {
    const m = MANIFEST_ENTRY[api];
    const entry = (await this.o.registry.catalogue()).apis(to, m.ns, m.name)[0];
    const v = entry ? Number(childText(entry.entry, element)) : NaN;
    return Number.isInteger(v) && v > 0 ? v : 1;
  }

  private send(url: URL, headers: Record<string, string>, body: Buffer): Promise<{ status: number; headers: IncomingHttpHeaders; body: Buffer }> {
    const timeoutMs = this.o.timeoutMs ?? 30_000;
    return new Promise((resolve, reject) => {
      const req = (url.protocol === 'https:' ? httpsRequest : httpRequest)(url, { method: 'POST', headers, timeout: timeoutMs }, (res) => {
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
