import { fileURLToPath } from 'node:url';
import { BasicAuthSecurity, createClientAsync, type Client } from 'soap';
import { ConfigError, TransportError, type HubError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { MalformedPageError } from '../lais/client.ts';

export { MalformedPageError };

export const BUNDLED_WSDL = fileURLToPath(new URL('./isis.wsdl', import.meta.url));

/** The ISIS list operations (isis.wsdl), the record element of each and its canonical entity, in reading order. */
export const ISIS_LISTS = [
  { name: 'programmes', operation: 'GetProgrammes', element: 'Programme', entity: 'programme' },
  { name: 'courses', operation: 'GetCourses', element: 'Course', entity: 'course' },
  { name: 'students', operation: 'GetStudents', element: 'Student', entity: 'person' },
  { name: 'studyRights', operation: 'GetStudyRights', element: 'StudyRight', entity: 'study-right' },
  { name: 'results', operation: 'GetResults', element: 'Result', entity: 'attainment' },
] as const;

export type IsisList = (typeof ISIS_LISTS)[number]['name'];

/** Elements that repeat inside a record: the parsed form of one occurrence is an object, made a list here. */
const REPEATED = new Set(['Status']);

export interface IsisPage {
  records: JsonObject[];
  lastChangeNo: number;
  more: boolean;
}

export interface IsisClientOptions {
  endpoint: string;
  wsdlPath?: string;
  timeoutMs: number;
  basicAuth?: { username: string; password: string };
}

interface SoapErrorShape {
  message?: string;
  code?: string;
  body?: unknown;
  root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } };
  response?: { status?: number };
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '$value' in v) return String((v as { $value: unknown }).$value);
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

/**
 * What the soap package threw, as a hub error: a soap:Server fault, an HTTP error, a timeout or a
 * refused connection is a TransportError (retried); a soap:Client fault or HTTP 401/403 a ConfigError;
 * an answer that is not XML a MalformedPageError (kept, then retried).
 */
export function classifySoapError(e: unknown, operation: string, host: string): HubError | MalformedPageError {
  const err = (e ?? {}) as SoapErrorShape;
  const where = `ISIS ${operation} at ${host}`;
  const fault = err.root?.Envelope?.Body?.Fault;
  if (fault) {
    const code = text(fault.faultcode) ?? '';
    const reason = (text(fault.faultstring) ?? 'no reason given').slice(0, 300);
    if (/client$/i.test(code)) return new ConfigError(`${where}: SOAP fault ${code}: ${reason}`, { cause: e });
    return new TransportError(`${where}: SOAP fault ${code || 'soap:Server'}: ${reason}`, { cause: e });
  }
  const status = err.response?.status;
  if (status === 401 || status === 403) return new ConfigError(`${where}: HTTP ${status}: ISIS refused the credentials`, { cause: e });
  if (status !== undefined && status !== 200) return new TransportError(`${where}: HTTP ${status}`, { cause: e });
  if (typeof err.body === 'string') return new MalformedPageError(`${where}: the answer is not a SOAP message (${err.message ?? 'unreadable'}; ${err.body.length} bytes)`, err.body);
  const why = err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' ? 'no answer in time' : (err.code ?? err.message ?? String(e));
  return new TransportError(`${where}: ${why}`, { cause: e });
}

/** A parsed SOAP value as plain JSON: no attribute bags, repeated elements as lists. */
function plain(v: unknown, key?: string): unknown {
  if (v instanceof Date) return v.toISOString();
  if (Array.isArray(v)) return v.map((x) => plain(x));
  if (v && typeof v === 'object') {
    const out: JsonObject = {};
    for (const [k, x] of Object.entries(v)) {
      if (k === 'attributes' || k === '$attributes' || k === '$xml') continue;
      out[k] = REPEATED.has(k) && !Array.isArray(x) ? [plain(x)] : plain(x, k);
    }
    return out;
  }
  return key === 'ChangeNo' ? Number(v) : v;
}

type SoapMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

/** A SOAP client of the (modelled) ISIS interface, created once from the WSDL on disk. */
export class IsisClient {
  private client: Promise<Client> | undefined;
  private readonly host: string;

  constructor(private readonly o: IsisClientOptions) {
    this.host = new URL(o.endpoint).host;
  }

  private async soap(): Promise<Client> {
    this.client ??= createClientAsync(this.o.wsdlPath ?? BUNDLED_WSDL, {}, this.o.endpoint).then((c) => {
      if (this.o.basicAuth) c.setSecurity(new BasicAuthSecurity(this.o.basicAuth.username, this.o.basicAuth.password));
      return c;
    });
    try {
      return await this.client;
    } catch (e) {
      this.client = undefined;
      throw new ConfigError(`ISIS: cannot read the WSDL: ${(e as Error).message}`, { cause: e });
    }
  }

  private async call(operation: string, args: unknown): Promise<JsonObject> {
    const c = await this.soap();
    const method = (c as unknown as Record<string, SoapMethod | undefined>)[`${operation}Async`];
    if (!method) throw new ConfigError(`ISIS: the WSDL has no operation ${operation}`);
    try {
      const [result] = await method.call(c, args, { timeout: this.o.timeoutMs });
      return (plain(result ?? {}) ?? {}) as JsonObject;
    } catch (e) {
      throw classifySoapError(e, operation, this.host);
    }
  }

  /** Records of one list with ChangeNo above `after`, at most `max`, in ChangeNo order. */
  async list(list: IsisList, after: number, max: number): Promise<IsisPage> {
    const l = ISIS_LISTS.find((x) => x.name === list)!;
    const out = await this.call(l.operation, { AfterChangeNo: after, MaxRecords: max });
    const raw = out[l.element];
    const records = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as JsonObject[];
    const count = Number(out.Count);
    const lastChangeNo = Number(out.LastChangeNo);
    const more = out.More === true || out.More === 'true';
    const body = JSON.stringify(out);
    if (!Number.isInteger(count) || count !== records.length) throw new MalformedPageError(`ISIS ${l.operation}: the answer says Count ${String(out.Count)} but holds ${records.length} records (cut off?)`, body);
    if (!Number.isInteger(lastChangeNo) || lastChangeNo < after) throw new MalformedPageError(`ISIS ${l.operation}: LastChangeNo ${String(out.LastChangeNo)} is not a change number after ${after}`, body);
    if (records.some((r) => !Number.isInteger(r.ChangeNo) || (r.ChangeNo as number) <= after || (r.ChangeNo as number) > lastChangeNo)) {
      throw new MalformedPageError(`ISIS ${l.operation}: a record's ChangeNo is outside ${after}..${lastChangeNo}`, body);
    }
    return { records, lastChangeNo, more };
  }

  async ping(): Promise<void> {
    await this.call('Ping', {});
  }
}
