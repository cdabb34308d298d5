import type { Source, SourceContext } from '../../src/core/adapter.ts';
import { isHubError, MalformedInputError, MalformedPageError, TransportError } from '../../src/core/errors.ts';
import { sha256Hex } from '../../src/core/ids.ts';
import { LAIS_RESOURCES, LaisClient, type LaisResource } from './client.ts';

export interface LaisSourceOptions {
  baseUrl: string;
  token?: string;
  timeoutMs: number;
  pageSize: number;
  resources: LaisResource[];
  since?: string;
}

/** Per resource: changes are read from `since` on; `token` continues a listing a pass left midway. */
interface ResourceCursor {
  since?: string;
  token?: string;
}

export interface LaisCursor {
  v: 1;
  r: Partial<Record<LaisResource, ResourceCursor>>;
}

export function parseCursor(text: string | undefined): LaisCursor {
  if (!text) return { v: 1, r: {} };
  try {
    const c = JSON.parse(text) as LaisCursor;
    if (c && c.v === 1 && typeof c.r === 'object') return c;
  } catch {
    // an unreadable cursor starts over (records already read come back as duplicates, nothing is lost)
  }
  return { v: 1, r: {} };
}

/**
 * Reads LAIS resource by resource, page by page, from each resource's changed-since cursor. The
 * cursor is saved after every page (with the continuation token), so a restart resumes in the middle
 * of a listing; when a listing ends, its `lidz` (the server's time of the listing) becomes the next
 * pass's `since`. Records that change while a pass pages through get a later `mainits` and come in
 * the next pass.
 */
export class LaisSource implements Source {
  private readonly client: LaisClient;
  private lastMalformed: string | undefined;

  constructor(
    private readonly o: LaisSourceOptions,
    private readonly ctx: SourceContext,
  ) {
    this.client = new LaisClient({ baseUrl: o.baseUrl, timeoutMs: o.timeoutMs, pageSize: o.pageSize, ...(o.token ? { token: o.token } : {}) });
  }

  async sync(signal: AbortSignal): Promise<void> {
    const cursor = parseCursor(await this.ctx.loadCursor());
    for (const path of this.o.resources) {
      const entity = LAIS_RESOURCES.find((r) => r.path === path)!.entity;
      let at: ResourceCursor = cursor.r[path] ?? {};
      let restarted = false;
      while (!signal.aborted) {
        const since = at.since ?? this.o.since;
        let page;
        try {
          page = await this.client.page(path, { ...(since ? { since } : {}), ...(at.token ? { token: at.token } : {}) }, signal);
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof MalformedPageError) throw await this.malformed(entity, e);
          if (at.token && !restarted && isHubError(e) && e.extra.status === 400) {
            // LAIS no longer knows the continuation token (e.g. after an upgrade): list again from `since`.
            restarted = true;
            at = at.since ? { since: at.since } : {};
            continue;
          }
          throw e;
        }
        if (page.records.length) await this.ctx.emit(page.records.map((payload) => ({ entity, payload })));
        at = page.next ? { ...(at.since ? { since: at.since } : {}), token: page.next } : { since: page.asOf };
        cursor.r[path] = at;
        const asOf = this.asOf(cursor);
        await this.ctx.saveCursor(JSON.stringify(cursor), ...(asOf ? [asOf] : []));
        if (!page.next) break;
      }
    }
  }

  /** The oldest `since` of the resources read: everything before it is in the hub. */
  private asOf(c: LaisCursor): string | undefined {
    let min: string | undefined;
    for (const path of this.o.resources) {
      const s = c.r[path]?.since;
      if (!s) return undefined;
      if (!min || Date.parse(s) < Date.parse(min)) min = s;
    }
    return min;
  }

  /**
   * A page LAIS sent broken is kept as a rejected message (once per distinct body) and asked for
   * again: the pass fails with a retryable error, and the cursor still points at that page.
   */
  private async malformed(entity: string, e: MalformedPageError): Promise<TransportError> {
    const hash = sha256Hex(e.body);
    let kept = '';
    if (hash !== this.lastMalformed) {
      const id = await this.ctx.reject(entity, e.body, 'application/json', new MalformedInputError(e.message));
      this.lastMalformed = hash;
      kept = `; the page is kept as rejected message ${id}`;
    }
    return new TransportError(`${e.message}${kept}; it is asked for again`, { cause: e });
  }

  async health(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    // nothing held open: each page is one request
  }
}
