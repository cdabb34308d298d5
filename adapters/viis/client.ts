import { fileURLToPath } from 'node:url';
import { BasicAuthSecurity, createClientAsync, type Client } from 'soap';
import { SinkError } from '../../src/core/errors.ts';
import { normalize, type Holdings, type Receipt, type RecordKind, type RegisterOperation, type Submitter, type ViisRecord } from './records.ts';

export const BUNDLED_WSDL = fileURLToPath(new URL('./viis.wsdl', import.meta.url));

export interface ViisClientOptions {
  /** SOAP endpoint; overrides the address in the WSDL. */
  endpoint: string;
  /** WSDL file (the bundled model by default; the official one can replace it). */
  wsdlPath?: string;
  timeoutMs: number;
  basicAuth?: { username: string; password: string };
}

/** The register refused a submission on a business rule (SOAP fault with a RegisterFault detail). */
export class ViisBusinessFault extends Error {
  constructor(
    readonly code: string,
    readonly reason: string,
    readonly field: string | undefined,
  ) {
    super(`VIIS ${code}: ${reason}${field ? ` (${field})` : ''}`);
    this.name = 'ViisBusinessFault';
  }
}

interface SoapErrorShape {
  message?: string;
  code?: string;
  root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } };
  response?: { status?: number };
}

function text(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '$value' in v) return String((v as { $value: unknown }).$value);
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

/**
 * Classifies what the soap package threw: a business fault (faultcode Client with a RegisterFault
 * detail) becomes ViisBusinessFault; everything else (server faults, HTTP errors, timeouts, refused
 * connections) is a transport failure, SinkError, which the hub retries.
 */
export function classifySoapError(e: unknown, operation: string, host: string): Error {
  const err = (e ?? {}) as SoapErrorShape;
  const fault = err.root?.Envelope?.Body?.Fault;
  if (fault) {
    const faultcode = text(fault.faultcode) ?? text((fault.Code as { Value?: unknown } | undefined)?.Value) ?? '';
    const detail = (fault.detail ?? fault.Detail) as { RegisterFault?: Record<string, unknown> } | undefined;
    const rf = detail?.RegisterFault;
    if (rf && !/server$/i.test(faultcode)) {
      return new ViisBusinessFault(text(rf.code) ?? 'VIIS-???', text(rf.reason) ?? 'no reason given', text(rf.field));
    }
    const reason = text(fault.faultstring) ?? text((fault.Reason as { Text?: unknown } | undefined)?.Text) ?? 'no reason given';
    return new SinkError(`VIIS ${operation} at ${host}: server fault ${faultcode}: ${reason.slice(0, 300)}`, { cause: e });
  }
  const status = err.response?.status;
  if (status !== undefined) return new SinkError(`VIIS ${operation} at ${host}: HTTP ${status}`, { cause: e });
  const why = err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' ? 'no answer in time' : (err.code ?? err.message ?? String(e));
  return new SinkError(`VIIS ${operation} at ${host}: ${why}`, { cause: e });
}

type SoapMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

/** A SOAP client of the (modelled) VIIS student register, created once from the WSDL on disk. */
export class ViisClient {
  private client: Promise<Client> | undefined;
  private readonly host: string;

  constructor(private readonly o: ViisClientOptions) {
    this.host = new URL(o.endpoint).host;
  }

  private async soapClient(): Promise<Client> {
    this.client ??= createClientAsync(this.o.wsdlPath ?? BUNDLED_WSDL, {}, this.o.endpoint).then((c) => {
      if (this.o.basicAuth) c.setSecurity(new BasicAuthSecurity(this.o.basicAuth.username, this.o.basicAuth.password));
      return c;
    });
    try {
      return await this.client;
    } catch (e) {
      this.client = undefined;
      throw new SinkError(`VIIS: cannot read the WSDL: ${(e as Error).message}`, { cause: e });
    }
  }

  private async call(operation: string, args: unknown): Promise<unknown> {
    const c = await this.soapClient();
    const method = (c as unknown as Record<string, SoapMethod | undefined>)[`${operation}Async`];
    if (!method) throw new SinkError(`VIIS: the WSDL has no operation ${operation}`);
    try {
      const [result] = await method.call(c, args, { timeout: this.o.timeoutMs });
      return normalize(result);
    } catch (e) {
      throw classifySoapError(e, operation, this.host);
    }
  }

  /** Registers (creates or updates) one record; resolves with the register's receipt. */
  async register(operation: RegisterOperation, submitter: Submitter, element: string, record: ViisRecord): Promise<Receipt> {
    const out = (await this.call(operation, { submitter, [element]: record })) as { receipt?: Receipt } | null;
    if (!out?.receipt) throw new SinkError(`VIIS ${operation} at ${this.host}: answer without a receipt`);
    return out.receipt;
  }

  async withdraw(submitter: Submitter, kind: RecordKind, recordId: string): Promise<Receipt> {
    const out = (await this.call('WithdrawRecord', { submitter, kind, recordId })) as { receipt?: Receipt } | null;
    if (!out?.receipt) throw new SinkError(`VIIS WithdrawRecord at ${this.host}: answer without a receipt`);
    return out.receipt;
  }

  /** Everything the register holds for an institution (its code in the register). */
  async holdings(institution: string, kind?: RecordKind): Promise<Holdings> {
    const out = ((await this.call('ListHoldings', { institution, ...(kind ? { kind } : {}) })) ?? {}) as Partial<Record<keyof Holdings, ViisRecord | ViisRecord[]>>;
    const list = (v: ViisRecord | ViisRecord[] | undefined): ViisRecord[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    return { person: list(out.person), studyRight: list(out.studyRight), award: list(out.award) };
  }
}
