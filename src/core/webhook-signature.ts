import { createHmac } from 'node:crypto';

/**
 * How the hub signs what it POSTs to a webhook receiver, and what a receiver checks: the `webhook`
 * sink type (adapters/webhook), webhook subscriptions (src/webhooks) and the demo receiver use it.
 */

/** Header with the signature, `sha256=<hex>`. */
export const SIGNATURE_HEADER = 'x-hub-signature-256';
/** Header with the Unix time (seconds) the signature covers. */
export const TIMESTAMP_HEADER = 'x-hub-timestamp';

/** HMAC-SHA256 over `<timestamp>.<body>`, hex: what a receiver recomputes to trust a delivery. */
export function signPayload(secret: string, timestamp: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(`${timestamp}.${body}`).digest('hex')}`;
}
