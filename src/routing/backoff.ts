import type { RetryPolicy } from '../config/types.ts';

/** Delay before attempt n+1 after attempt n failed: exponential, capped, with ±10 % jitter. */
export function retryDelay(policy: RetryPolicy, attempt: number, random: () => number = Math.random): number {
  const base = Math.min(policy.maxDelayMs, policy.initialDelayMs * policy.multiplier ** Math.max(0, attempt - 1));
  return Math.round(base * (0.9 + 0.2 * random()));
}
