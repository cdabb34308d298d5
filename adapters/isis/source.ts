import type { Source, SourceContext } from '../../src/core/adapter.ts';
import { MalformedInputError, MalformedPageError, TransportError } from '../../src/core/errors.ts';
import { sha256Hex } from '../../src/core/ids.ts';
import { ISIS_LISTS, IsisClient, type IsisClientOptions, type IsisList } from './client.ts';

export interface IsisSourceOptions extends IsisClientOptions {
  pageSize: number;
  lists: IsisList[];
}

/** Per list, the change number up to which everything has been read. */
export interface IsisCursor {
  v: 1;
  after: Partial<Record<IsisList, number>>;
}

export function parseIsisCursor(text: string | undefined): IsisCursor {
  try {
    const c = text ? (JSON.parse(text) as IsisCursor) : undefined;
    if (c && c.v === 1 && typeof c.after === 'object') return c;
  } catch {
    // an unreadable cursor starts over: records come back as duplicates, nothing is lost
  }
  return { v: 1, after: {} };
}

/**
 * Reads ISIS list by list, page by page, by change number: each page's LastChangeNo is saved as the
 * cursor, so a restart continues after the last page read, and a record changed during paging comes
 * again with its new change number.
 */
export class IsisSource implements Source {
  private readonly client: IsisClient;
  private lastMalformed: string | undefined;

  constructor(
    private readonly o: IsisSourceOptions,
    private readonly ctx: SourceContext,
  ) {
    this.client = new IsisClient(o);
  }

  async sync(signal: AbortSignal): Promise<void> {
    const cursor = parseIsisCursor(await this.ctx.loadCursor());
    for (const name of this.o.lists) {
      const entity = ISIS_LISTS.find((l) => l.name === name)!.entity;
      while (!signal.aborted) {
        const after = cursor.after[name] ?? 0;
        let page;
        try {
          page = await untilAborted(this.client.list(name, after, this.o.pageSize), signal);
        } catch (e) {
          if (signal.aborted) return;
          if (e instanceof MalformedPageError) throw await this.malformed(entity, e);
          throw e;
        }
        if (!page) return; // paused or stopping: the answer of the call in flight is dropped, the cursor stays
        if (page.records.length) await this.ctx.emit(page.records.map((payload) => ({ entity, payload })));
        cursor.after[name] = page.lastChangeNo;
        await this.ctx.saveCursor(JSON.stringify(cursor));
        if (!page.more) break;
      }
    }
  }

  /** A cut-off or unreadable answer is kept as a rejected message (once per body) and asked for again. */
  private async malformed(entity: string, e: MalformedPageError): Promise<TransportError> {
    const hash = sha256Hex(e.body);
    let kept = '';
    if (hash !== this.lastMalformed) {
      const id = await this.ctx.reject(entity, e.body, e.body.trimStart().startsWith('<') ? 'text/xml' : 'application/json', new MalformedInputError(e.message));
      this.lastMalformed = hash;
      kept = `; the answer is kept as rejected message ${id}`;
    }
    return new TransportError(`${e.message}${kept}; it is asked for again`, { cause: e });
  }

  async health(): Promise<void> {
    await this.client.ping();
  }

  async close(): Promise<void> {
    // the SOAP client holds no connection between calls
  }
}

/** The call's result, or undefined as soon as the signal aborts (a SOAP call cannot be cancelled). */
function untilAborted<T>(p: Promise<T>, signal: AbortSignal): Promise<T | undefined> {
  if (signal.aborted) return Promise.resolve(undefined);
  return new Promise<T | undefined>((resolve, reject) => {
    const onAbort = () => resolve(undefined);
    signal.addEventListener('abort', onAbort, { once: true });
    p.then(
      (v) => {
        signal.removeEventListener('abort', onAbort);
        resolve(v);
      },
      (e: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(e instanceof Error ? e : new Error(String(e)));
      },
    );
  });
}
