/**
 * A delivery's claim: the attempt that a worker runs on one (event, route). While a claim is fresh
 * (its attempt in progress, not timed out) every other claim of the same delivery is refused, so two
 * copies of one event (a relay's republished batch, a broker redelivery) never reach the sink at once,
 * and a copy that comes after the delivery was recorded is refused as delivered. A claim older than
 * the timeout belongs to a worker that died (or hangs): the next claim takes it over, so nothing is
 * lost; the attempt the dead worker had in flight is then the one that can reach the sink twice.
 */

/**
 * How long a claim holds a delivery unless its attempt is recorded first. Longer than any attempt
 * (the sinks' own timeouts are seconds); an attempt slower than this may be repeated by another copy.
 */
export const CLAIM_TIMEOUT_MS = 30_000;

/** The answer to a claim. */
export interface DeliveryClaim {
  /** True: this caller runs attempt `attempt`. False: it must not call the receiver. */
  proceed: boolean;
  attempt: number;
  /**
   * Set when refused because another claim is in progress: ms until that claim times out. The copy
   * is tried again later (not dropped: it may be the one that the dead claimant's broker redelivers).
   */
  busyMs?: number;
}

/** The claim answer for a delivery row that refused the claim: delivered, or held by a fresh claim. */
export function refusedClaim(row: { status: string; attempts: number; claimedUntil: number | null } | undefined, now: number): DeliveryClaim {
  if (!row || row.status === 'delivered') return { proceed: false, attempt: row?.attempts ?? 0 };
  return { proceed: false, attempt: row.attempts, busyMs: Math.max(0, (row.claimedUntil ?? now) - now) };
}
