import type { AdapterContext, DeliveryContext, DeliveryReceipt, Sink, SinkType } from '../../src/core/adapter.ts';
import { ConfigError, SinkError, SinkRejectedError } from '../../src/core/errors.ts';
import type { ChangeEvent, JsonObject } from '../../src/core/types.ts';
import { signPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/core/webhook-signature.ts';

export { signPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER };

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
}

/**
 * POSTs each change event as JSON with an HMAC-SHA256 signature. 2xx = delivered; 408, 429, 5xx,
 * timeouts and network errors are retried; any other status is a rejection (dead-letter).
 */
export class WebhookSink implements Sink {
  constructor(private readonly o: WebhookOptions) {}

  async deliver(event: ChangeEvent, ctx: DeliveryContext): Promise<DeliveryReceipt> {
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    let res: Response;
    try {
      res = await fetch(this.o.url, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          [SIGNATURE_HEADER]: signPayload(this.o.secret, timestamp, body),
          [TIMESTAMP_HEADER]: timestamp,
          'idempotency-key': ctx.idempotencyKey,
          'x-hub-attempt': String(ctx.attempt),
        },
        body,
        signal: AbortSignal.timeout(this.o.timeoutMs),
      });
    } catch (e) {
      const err = e as Error;
      const why = err.name === 'TimeoutError' ? `no answer within ${this.o.timeoutMs} ms` : err.message;
      throw new SinkError(`webhook ${new URL(this.o.url).host}: ${why}`, { cause: e });
    }
    const text = (await res.text().catch(() => '')).slice(0, 500);
    if (res.ok) return { detail: `HTTP ${res.status}` };
    const msg = `webhook ${new URL(this.o.url).host} answered HTTP ${res.status}${text ? `: ${text}` : ''}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new SinkError(msg);
    throw new SinkRejectedError(msg);
  }
}

export const webhookSink: SinkType = {
  type: 'webhook',
  description: 'POSTs change events as JSON, signed with HMAC-SHA256 (header x-hub-signature-256 over "<x-hub-timestamp>.<body>").',
  optionsSchema: {
    type: 'object',
    additionalProperties: false,
    required: ['url', 'secretEnv'],
    properties: {
      url: { type: 'string', pattern: '^https?://', description: 'Receiver URL.' },
      secretEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable holding the HMAC secret.' },
      timeoutMs: { type: 'integer', minimum: 100, maximum: 120000, default: 10000 },
    },
  },
  create(options: JsonObject, ctx: AdapterContext): Sink {
    const secretEnv = String(options.secretEnv);
    const secret = ctx.secret(secretEnv);
    if (!secret) throw new ConfigError(`webhook sink: environment variable ${secretEnv} is not set`, { violations: [{ path: '/options/secretEnv', message: `${secretEnv} is not set` }] });
    return new WebhookSink({ url: String(options.url), secret, timeoutMs: typeof options.timeoutMs === 'number' ? options.timeoutMs : 10_000 });
  },
};
