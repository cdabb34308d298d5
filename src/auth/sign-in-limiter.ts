import { TooManyRequestsError } from '../core/errors.ts';

/**
 * Failed sign-ins counted per client address and user name, in a sliding window: one process-wide
 * instance (`hub.signIns`) guards every sign-in form (the admin console, the Node-RED editor). Failures
 * from one address never stop another address, so a stranger cannot lock the admins out; an address
 * that guesses is stopped (429 with Retry-After) even when it finally sends the right token.
 * The client address is express's `req.ip`: behind a reverse proxy set HUB_TRUST_PROXY.
 */
export interface SignInLimits {
  /** Failed sign-ins of one user name from one address within the window, before 429. */
  maxFailures: number;
  /** Failed sign-ins from one address within the window whatever the user name, before 429. */
  maxPerAddress: number;
  windowMs: number;
  /** Addresses and names remembered at most (the oldest are forgotten first). */
  maxKeys: number;
}

export const SIGN_IN_LIMITS: Readonly<SignInLimits> = Object.freeze({ maxFailures: 10, maxPerAddress: 50, windowMs: 10 * 60_000, maxKeys: 10_000 });

const ANY_USER = '\u0000any';

export class SignInLimiter {
  private readonly failures = new Map<string, number[]>();

  constructor(readonly limits: Readonly<SignInLimits> = SIGN_IN_LIMITS) {}

  /** Throws TooManyRequestsError (429, `retryAfterSeconds`) when this address may not try this user now. */
  check(address: string, username: string, now = Date.now()): void {
    const wait = Math.max(this.wait(key(address, username), this.limits.maxFailures, now), this.wait(key(address, ANY_USER), this.limits.maxPerAddress, now));
    if (wait > 0) {
      const retryAfterSeconds = Math.ceil(wait / 1000);
      throw new TooManyRequestsError(`too many failed sign-ins from this address; try again in ${retryAfterSeconds} s`, { extra: { retryAfterSeconds } });
    }
  }

  failed(address: string, username: string, now = Date.now()): void {
    this.add(key(address, username), now);
    this.add(key(address, ANY_USER), now);
  }

  /** A sign-in that worked: this address's failures for this user are forgotten. */
  succeeded(address: string, username: string): void {
    this.failures.delete(key(address, username));
  }

  private recent(k: string, now: number): number[] {
    const times = (this.failures.get(k) ?? []).filter((t) => now - t < this.limits.windowMs);
    if (times.length) this.failures.set(k, times);
    else this.failures.delete(k);
    return times;
  }

  /** Milliseconds until fewer than `max` failures of the key are in the window. */
  private wait(k: string, max: number, now: number): number {
    const times = this.recent(k, now);
    if (times.length < max) return 0;
    return times[times.length - max]! + this.limits.windowMs - now;
  }

  private add(k: string, now: number): void {
    const times = this.recent(k, now);
    times.push(now);
    // Only the last failures that can still block are kept, at the end of the map's order.
    this.failures.delete(k);
    this.failures.set(k, times.slice(-Math.max(this.limits.maxFailures, this.limits.maxPerAddress)));
    while (this.failures.size > this.limits.maxKeys) this.failures.delete(this.failures.keys().next().value!);
  }
}

const key = (address: string, username: string) => `${address}\n${username.slice(0, 200)}`;
