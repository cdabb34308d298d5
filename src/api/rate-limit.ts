import type { RequestHandler } from 'express';

/**
 * A per-address rate limit for the public catalogue routes: a token bucket per client address
 * (`perMinute` requests a minute, bursts up to the same number); past it 429 with Retry-After, in the
 * shape the route answers errors in. Addresses are forgotten when their bucket is full again.
 */
export function rateLimit(perMinute: number, refuse: (res: Parameters<RequestHandler>[1], retryAfter: number) => void): RequestHandler {
  const buckets = new Map<string, { tokens: number; at: number }>();
  const rate = perMinute / 60_000;
  let sweep = Date.now();
  return (req, res, next) => {
    const now = Date.now();
    if (now - sweep > 60_000) {
      for (const [k, b] of buckets) if (b.tokens + (now - b.at) * rate >= perMinute) buckets.delete(k);
      sweep = now;
    }
    const key = req.ip ?? req.socket.remoteAddress ?? 'unknown';
    const b = buckets.get(key) ?? { tokens: perMinute, at: now };
    b.tokens = Math.min(perMinute, b.tokens + (now - b.at) * rate);
    b.at = now;
    buckets.set(key, b);
    if (b.tokens < 1) {
      refuse(res, Math.max(1, Math.ceil((1 - b.tokens) / rate / 1000)));
      return;
    }
    b.tokens -= 1;
    next();
  };
}
