import type { Client } from 'soap';
import type { HubError } from '../../src/core/errors.ts';

export interface SoapClientOptions {
  /** SOAP endpoint; overrides the address in the WSDL. */
  endpoint: string;
  /** The WSDL file: the adapter's bundled model, or the official one that replaces it. */
  wsdlPath: string;
  /** Time for one call, answer included (ms). */
  timeoutMs: number;
  basicAuth?: { username: string; password: string };
}

/** The parts of what the `soap` package throws that tell a fault, an HTTP error and a network error apart. */
export interface SoapErrorShape {
  message?: string;
  code?: string;
  body?: unknown;
  root?: { Envelope?: { Body?: { Fault?: Record<string, unknown> } } };
  response?: { status?: number };
}

/** A parsed SOAP value as text: a string, the `$value` of an element with attributes, JSON otherwise. */
export function soapText(v: unknown): string | undefined {
  if (typeof v === 'string') return v;
  if (v && typeof v === 'object' && '$value' in v) return String((v as { $value: unknown }).$value);
  return v === undefined || v === null ? undefined : JSON.stringify(v);
}

/** "no answer in time" for the soap package's timeout codes, else its code or message. */
export function networkReason(e: unknown): string {
  const err = (e ?? {}) as SoapErrorShape;
  return err.code === 'ECONNABORTED' || err.code === 'ETIMEDOUT' ? 'no answer in time' : (err.code ?? err.message ?? String(e));
}

type SoapMethod = (args: unknown, options?: Record<string, unknown>) => Promise<[unknown, ...unknown[]]>;

/**
 * The base of the SOAP clients (isis, viis): the `soap` client is created once from the WSDL on disk
 * with the configured endpoint and HTTP Basic credentials (created again after a failure), and each
 * call runs with the timeout. A subclass says which errors its system's failures become.
 */
export abstract class SoapClient {
  private client: Promise<Client> | undefined;
  /** host:port of the endpoint, for messages. */
  protected readonly host: string;

  constructor(protected readonly soapOptions: SoapClientOptions) {
    this.host = new URL(soapOptions.endpoint).host;
  }

  /** The error of a client that cannot be set up (an unreadable WSDL, an operation the WSDL lacks). */
  protected abstract setupError(message: string, cause?: unknown): HubError;

  /** What a failed call becomes (a fault, an HTTP error, a timeout, a refused connection). */
  protected abstract callError(e: unknown, operation: string): HubError;

  /** Name of the system in messages, e.g. ISIS. */
  protected abstract readonly system: string;

  private async soap(): Promise<Client> {
    const o = this.soapOptions;
    // soap is imported at the first call (~120 ms of CPU at every start of a hub or command that has an ISIS or VIIS adapter configured).
    this.client ??= import('soap').then(({ BasicAuthSecurity, createClientAsync }) =>
      createClientAsync(o.wsdlPath, {}, o.endpoint).then((c) => {
        if (o.basicAuth) c.setSecurity(new BasicAuthSecurity(o.basicAuth.username, o.basicAuth.password));
        return c;
      }),
    );
    try {
      return await this.client;
    } catch (e) {
      this.client = undefined;
      throw this.setupError(`${this.system}: cannot read the WSDL: ${(e as Error).message}`, e);
    }
  }

  /** Calls one operation of the WSDL; resolves with its parsed result. */
  protected async call(operation: string, args: unknown): Promise<unknown> {
    const c = await this.soap();
    const method = (c as unknown as Record<string, SoapMethod | undefined>)[`${operation}Async`];
    if (!method) throw this.setupError(`${this.system}: the WSDL has no operation ${operation}`);
    try {
      const [result] = await method.call(c, args, { timeout: this.soapOptions.timeoutMs });
      return result;
    } catch (e) {
      throw this.callError(e, operation);
    }
  }
}
