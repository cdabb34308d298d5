import { fileURLToPath } from 'node:url';
import { ConfigError, MalformedPageError, TransportError, type HubError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { networkReason, SoapClient, soapText as text, type SoapErrorShape } from '../_shared/soap-client.ts';

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

/**
 * What the soap package threw, as a hub error: a soap:Server fault, an HTTP error, a timeout or a
 * refused connection is a TransportError (retried); a soap:Client fault or HTTP 401/403 a ConfigError;
 * an answer that is not XML a MalformedPageError (kept, then retried).
 */
export function classifySoapError(e: unknown, operation: string, host: string): HubError {
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
  return new TransportError(`${where}: ${networkReason(e)}`, { cause: e });
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

/** A SOAP client of the (modelled) ISIS interface, created once from the WSDL on disk. */
export class IsisClient extends SoapClient {
  protected readonly system = 'ISIS';

  constructor(o: IsisClientOptions) {
    super({ ...o, wsdlPath: o.wsdlPath ?? BUNDLED_WSDL });
  }

  protected setupError(message: string, cause?: unknown): HubError {
    return new ConfigError(message, cause === undefined ? {} : { cause });
  }

  protected callError(e: unknown, operation: string): HubError {
    return classifySoapError(e, operation, this.host);
  }

  private async listCall(operation: string, args: unknown): Promise<JsonObject> {
    return (plain((await this.call(operation, args)) ?? {}) ?? {}) as JsonObject;
  }

  /** Records of one list with ChangeNo above `after`, at most `max`, in ChangeNo order. */
  async list(list: IsisList, after: number, max: number): Promise<IsisPage> {
    const l = ISIS_LISTS.find((x) => x.name === list)!;
    const out = await this.listCall(l.operation, { AfterChangeNo: after, MaxRecords: max });
    const raw = out[l.element];
    const records = (raw === undefined ? [] : Array.isArray(raw) ? raw : [raw]) as JsonObject[];
    const count = Number(out.Count);
    const lastChangeNo = Number(out.LastChangeNo);
    const more = out.More === true || out.More === 'true';
    const body = JSON.stringify(out);
    if (!Number.isInteger(count) || count !== records.length)
      throw new MalformedPageError(`ISIS ${l.operation}: the answer says Count ${String(out.Count)} but holds ${records.length} records (cut off?)`, body);
    if (!Number.isInteger(lastChangeNo) || lastChangeNo < after)
      throw new MalformedPageError(`ISIS ${l.operation}: LastChangeNo ${String(out.LastChangeNo)} is not a change number after ${after}`, body);
    if (records.some((r) => !Number.isInteger(r.ChangeNo) || (r.ChangeNo as number) <= after || (r.ChangeNo as number) > lastChangeNo)) {
      throw new MalformedPageError(`ISIS ${l.operation}: a record's ChangeNo is outside ${after}..${lastChangeNo}`, body);
    }
    return { records, lastChangeNo, more };
  }

  async ping(): Promise<void> {
    await this.call('Ping', {});
  }
}
