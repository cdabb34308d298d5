import { fileURLToPath } from 'node:url';
import { RegisterRejectedError, SinkError, type HubError } from '../../src/core/errors.ts';
import { networkReason, SoapClient, soapText as text, type SoapErrorShape } from '../_shared/soap-client.ts';
import { normalize, type DigitalDiplomaRequest, type Holdings, type Receipt, type RecordKind, type RegisterOperation, type Submitter, type ViisRecord } from './records.ts';

export const BUNDLED_WSDL = fileURLToPath(new URL('./viis.wsdl', import.meta.url));

export interface ViisClientOptions {
  /** SOAP endpoint; overrides the address in the WSDL. */
  endpoint: string;
  /** WSDL file (the bundled model by default; the official one can replace it). */
  wsdlPath?: string;
  timeoutMs: number;
  basicAuth?: { username: string; password: string };
}

/**
 * Classifies what the soap package threw: a business fault (faultcode Client with a RegisterFault
 * detail) becomes RegisterRejectedError with the register's code; everything else (server faults,
 * HTTP errors, timeouts, refused connections) is a transport failure, SinkError, which the hub retries.
 */
export function classifySoapError(e: unknown, operation: string, host: string): HubError {
  const err = (e ?? {}) as SoapErrorShape;
  const fault = err.root?.Envelope?.Body?.Fault;
  if (fault) {
    const faultcode = text(fault.faultcode) ?? text((fault.Code as { Value?: unknown } | undefined)?.Value) ?? '';
    const detail = (fault.detail ?? fault.Detail) as { RegisterFault?: Record<string, unknown> } | undefined;
    const rf = detail?.RegisterFault;
    if (rf && !/server$/i.test(faultcode)) {
      const registerCode = text(rf.code) ?? 'VIIS-???';
      const reason = text(rf.reason) ?? 'no reason given';
      const field = text(rf.field);
      return new RegisterRejectedError(`VIIS ${registerCode}: ${reason}${field ? ` (${field})` : ''}`, { registerCode, reason, field });
    }
    const reason = text(fault.faultstring) ?? text((fault.Reason as { Text?: unknown } | undefined)?.Text) ?? 'no reason given';
    return new SinkError(`VIIS ${operation} at ${host}: server fault ${faultcode}: ${reason.slice(0, 300)}`, { cause: e });
  }
  const status = err.response?.status;
  if (status !== undefined) return new SinkError(`VIIS ${operation} at ${host}: HTTP ${status}`, { cause: e });
  return new SinkError(`VIIS ${operation} at ${host}: ${networkReason(e)}`, { cause: e });
}

/** A SOAP client of the (modelled) VIIS student register, created once from the WSDL on disk. */
export class ViisClient extends SoapClient {
  protected readonly system = 'VIIS';

  constructor(o: ViisClientOptions) {
    super({ ...o, wsdlPath: o.wsdlPath ?? BUNDLED_WSDL });
  }

  protected setupError(message: string, cause?: unknown): HubError {
    return new SinkError(message, cause === undefined ? {} : { cause });
  }

  protected callError(e: unknown, operation: string): HubError {
    return classifySoapError(e, operation, this.host);
  }

  private async registerCall(operation: string, args: unknown): Promise<unknown> {
    return normalize(await this.call(operation, args));
  }

  /** Registers (creates or updates) one record; resolves with the register's receipt. */
  async register(operation: RegisterOperation, submitter: Submitter, element: string, record: ViisRecord): Promise<Receipt> {
    const out = (await this.registerCall(operation, { submitter, [element]: record })) as { receipt?: Receipt } | null;
    if (!out?.receipt) throw new SinkError(`VIIS ${operation} at ${this.host}: answer without a receipt`);
    return out.receipt;
  }

  /** Registers that a digital diploma was issued; the receipt carries the register number. */
  async registerDigitalDiploma(submitter: Submitter, digitalDiploma: DigitalDiplomaRequest['digitalDiploma']): Promise<Receipt> {
    return this.receiptOf('RegisterDigitalDiploma', { submitter, digitalDiploma });
  }

  /** Registers the revocation of a registered digital diploma. */
  async revokeDigitalDiploma(submitter: Submitter, credentialId: string, revocation: NonNullable<DigitalDiplomaRequest['revocation']>): Promise<Receipt> {
    return this.receiptOf('RevokeDigitalDiploma', { submitter, credentialId, revokedAt: revocation.revokedAt, ...(revocation.reason ? { reason: revocation.reason } : {}) });
  }

  private async receiptOf(operation: string, args: unknown): Promise<Receipt> {
    const out = (await this.registerCall(operation, args)) as { receipt?: Receipt } | null;
    if (!out?.receipt) throw new SinkError(`VIIS ${operation} at ${this.host}: answer without a receipt`);
    return out.receipt;
  }

  async withdraw(submitter: Submitter, kind: RecordKind, recordId: string): Promise<Receipt> {
    const out = (await this.registerCall('WithdrawRecord', { submitter, kind, recordId })) as { receipt?: Receipt } | null;
    if (!out?.receipt) throw new SinkError(`VIIS WithdrawRecord at ${this.host}: answer without a receipt`);
    return out.receipt;
  }

  /** Everything the register holds for an institution (its code in the register). */
  async holdings(institution: string, kind?: RecordKind): Promise<Holdings> {
    const out = ((await this.registerCall('ListHoldings', { institution, ...(kind ? { kind } : {}) })) ?? {}) as Partial<Record<keyof Holdings, ViisRecord | ViisRecord[]>>;
    const list = (v: ViisRecord | ViisRecord[] | undefined): ViisRecord[] => (v === undefined ? [] : Array.isArray(v) ? v : [v]);
    return { person: list(out.person), studyRight: list(out.studyRight), award: list(out.award) };
  }
}
