import { ConfigError, MalformedPageError, TransportError } from '../../src/core/errors.ts';

/** The LAIS REST resources (modelled) and the canonical entity each one holds, in reading order. */
export const LAIS_RESOURCES = [
  { path: 'studiju-programmas', entity: 'programme' },
  { path: 'kursi', entity: 'course' },
  { path: 'semestri', entity: 'academic-term' },
  { path: 'kursu-piedavajumi', entity: 'offering' },
  { path: 'studenti', entity: 'person' },
  { path: 'studiju-tiesibas', entity: 'study-right' },
  { path: 'vertejumi', entity: 'attainment' },
  { path: 'diplomi', entity: 'award' },
] as const;

export type LaisResource = (typeof LAIS_RESOURCES)[number]['path'];

export interface LaisPage {
  records: unknown[];
  /** Continuation token of the next page, or null on the last page. */
  next: string | null;
  /** The server's time of this listing (`lidz`): the next pass asks for changes from here on. */
  asOf: string;
}

export interface LaisClientOptions {
  baseUrl: string;
  /** Bearer token (from the environment variable the config names). */
  token?: string;
  timeoutMs: number;
  pageSize: number;
}

const RFC3339 = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})$/;

/**
 * A client of the (modelled) LAIS REST/JSON interface: changed-since listings with keyset paging.
 *
 *   GET {baseUrl}/{resource}?mainits_no=<RFC 3339>&limits=<n>      first page of changes since a time
 *   GET {baseUrl}/{resource}?turpinajums=<token>&limits=<n>        the next page
 *   → 200 {"dati": [...], "turpinajums": "<token>" | null, "lidz": "<RFC 3339>"}
 *
 * Transport faults (refused, reset, timeout, 408/429/5xx) are TransportErrors (retried by the core);
 * 401/403/404 are ConfigErrors (wrong token or URL); a 200 whose body is not a page is a MalformedPageError.
 */
export class LaisClient {
  private readonly base: string;

  constructor(private readonly o: LaisClientOptions) {
    this.base = o.baseUrl.replace(/\/+$/, '');
  }

  private async get(path: string, signal?: AbortSignal): Promise<string> {
    const timeout = AbortSignal.timeout(this.o.timeoutMs);
    const url = `${this.base}/${path}`;
    const where = `LAIS ${path.split('?')[0]}`;
    let res: Response;
    try {
      res = await fetch(url, {
        headers: { accept: 'application/json', ...(this.o.token ? { authorization: `Bearer ${this.o.token}` } : {}) },
        signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
      });
    } catch (e) {
      if (signal?.aborted) throw e;
      const cause = (e as { cause?: { code?: string } }).cause;
      const why = timeout.aborted ? `no answer within ${this.o.timeoutMs} ms` : (cause?.code ?? (e as Error).message);
      throw new TransportError(`${where}: ${why}`, { cause: e });
    }
    let body: string;
    try {
      body = await res.text();
    } catch (e) {
      if (signal?.aborted) throw e;
      throw new TransportError(`${where}: the answer broke off${timeout.aborted ? ` (no complete answer within ${this.o.timeoutMs} ms)` : ''}`, { cause: e });
    }
    if (res.status === 200) return body;
    const detail = body.slice(0, 200).replace(/\s+/g, ' ');
    if (res.status === 408 || res.status === 429 || res.status >= 500) {
      throw new TransportError(`${where}: HTTP ${res.status}`, { extra: { status: res.status, retryAfter: res.headers.get('retry-after') } });
    }
    if (res.status === 401 || res.status === 403) {
      throw new ConfigError(`${where}: HTTP ${res.status}: LAIS refused the credentials (check the token in the variable named by tokenEnv)`, { extra: { status: res.status } });
    }
    throw new ConfigError(`${where}: HTTP ${res.status}: ${detail}`, { extra: { status: res.status } });
  }

  /** One page of a changed-since listing: the first (since, or everything) or the next (token). */
  async page(resource: LaisResource, at: { since?: string; token?: string }, signal?: AbortSignal): Promise<LaisPage> {
    const q = new URLSearchParams({ limits: String(this.o.pageSize) });
    if (at.token) q.set('turpinajums', at.token);
    else if (at.since) q.set('mainits_no', at.since);
    const body = await this.get(`${resource}?${q}`, signal);
    return parsePage(body, resource);
  }

  /** The service answers its health resource. */
  async ping(signal?: AbortSignal): Promise<void> {
    await this.get('veseliba', signal);
  }
}

export function parsePage(body: string, resource: string): LaisPage {
  let json: unknown;
  try {
    json = JSON.parse(body);
  } catch (e) {
    throw new MalformedPageError(`LAIS ${resource}: the page is not valid JSON (${(e as Error).message}; ${body.length} bytes)`, body);
  }
  const o = json as { dati?: unknown; turpinajums?: unknown; lidz?: unknown };
  if (!o || typeof o !== 'object' || Array.isArray(o)) throw new MalformedPageError(`LAIS ${resource}: the page is not a JSON object`, body);
  if (!Array.isArray(o.dati)) throw new MalformedPageError(`LAIS ${resource}: the page has no array 'dati'`, body);
  if (o.turpinajums !== null && o.turpinajums !== undefined && typeof o.turpinajums !== 'string') throw new MalformedPageError(`LAIS ${resource}: 'turpinajums' is neither a string nor null`, body);
  if (typeof o.lidz !== 'string' || !RFC3339.test(o.lidz)) throw new MalformedPageError(`LAIS ${resource}: 'lidz' is not an RFC 3339 date-time`, body);
  return { records: o.dati, next: typeof o.turpinajums === 'string' && o.turpinajums ? o.turpinajums : null, asOf: o.lidz };
}
