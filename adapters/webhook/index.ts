import { STATUS_CODES } from 'node:http';
import type { AdapterContext, DeliveryContext, DeliveryReceipt, OutboundContext, Sink, SinkType } from '../../src/core/adapter.ts';
import { ConfigError, errorMessage, SinkError, SinkRejectedError, TargetRefusedError } from '../../src/core/errors.ts';
import { guardedRequest, type GuardedResponse } from '../../src/core/net/guarded-request.ts';
import type { TargetPolicy } from '../../src/core/net/target-policy.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import { signPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER } from '../../src/core/webhook-signature.ts';

export { signPayload, SIGNATURE_HEADER, TIMESTAMP_HEADER };

export interface WebhookOptions {
  url: string;
  secret: string;
  timeoutMs: number;
  /** Where the sink may connect to, and whether it came from the config (docs/security.md). */
  outbound: OutboundContext;
}

/**
 * POSTs each change event as JSON with an HMAC-SHA256 signature. 2xx = delivered; 408, 429, 5xx,
 * timeouts and network errors are retried; any other status is a rejection (dead-letter), a 3xx too:
 * redirects are not followed. The connection goes only where the outbound policy allows, to the
 * address that was checked (src/core/net). A target that came through the API never has its answer's
 * body shown (its status and the hub's words only); a config sink's error keeps the start of it.
 */
export class WebhookSink implements Sink {
  private readonly policy: TargetPolicy;

  constructor(private readonly o: WebhookOptions) {
    this.policy = o.outbound.origin === 'config' ? o.outbound.policy.trusting(o.url) : o.outbound.policy;
  }

  async deliver(event: ChangeEvent, ctx: DeliveryContext): Promise<DeliveryReceipt> {
    const body = JSON.stringify(event);
    const timestamp = String(Math.floor(Date.now() / 1000));
    const host = new URL(this.o.url).host;
    let res: GuardedResponse;
    try {
      res = await guardedRequest(
        this.o.url,
        {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            [SIGNATURE_HEADER]: signPayload(this.o.secret, timestamp, body),
            [TIMESTAMP_HEADER]: timestamp,
            'idempotency-key': ctx.idempotencyKey,
            'x-hub-attempt': String(ctx.attempt),
          },
          body,
          timeoutMs: this.o.timeoutMs,
          maxResponseBytes: 500,
        },
        this.policy,
      );
    } catch (e) {
      if (e instanceof TargetRefusedError) throw e;
      throw new SinkError(`webhook ${host}: ${errorMessage(e)}`, { cause: e });
    }
    if (res.status >= 200 && res.status < 300) return { detail: `HTTP ${res.status}` };
    const reason = STATUS_CODES[res.status] ?? 'unknown status';
    const text = this.o.outbound.origin === 'config' ? res.body.toString('utf8').trim() : '';
    const redirect = res.status >= 300 && res.status < 400 ? ' (redirects are not followed)' : '';
    const msg = `webhook ${host} answered HTTP ${res.status} ${reason}${redirect}${text ? `: ${text}` : ''}`;
    if (res.status === 408 || res.status === 429 || res.status >= 500) throw new SinkError(msg);
    throw new SinkRejectedError(msg);
  }
}

/** The options of a `webhook` sink in the config (its options schema, defaults filled in). */
export type WebhookSinkOptions = {
  url: string;
  /** Environment variable holding the HMAC secret. */
  secretEnv: string;
  timeoutMs: number;
};

export const webhookSink: SinkType<WebhookSinkOptions> = {
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
  create(o: WebhookSinkOptions, ctx: AdapterContext): Sink {
    const secret = ctx.secret(o.secretEnv);
    if (!secret) throw new ConfigError(`webhook sink: environment variable ${o.secretEnv} is not set`, { violations: [{ path: '/options/secretEnv', message: `${o.secretEnv} is not set` }] });
    return new WebhookSink({ url: o.url, secret, timeoutMs: o.timeoutMs, outbound: ctx.outbound });
  },
};
