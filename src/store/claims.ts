/**
 * A delivery's claim: the attempt that a worker runs on one (event, route). While a claim is fresh
 * (its attempt in progress, not timed out) every other claim of the same delivery is refused, so two
 * copies of one event (a relay's republished batch, a broker redelivery) never reach the sink at once,
 * and a copy that comes after the delivery was recorded is refused as delivered. A claim older than
 * the timeout belongs to a worker that died (or hangs): the next claim takes it over, so nothing is
 * lost; the attempt the dead worker had in flight is then the one that can reach the sink twice.
 */

/**
 * How long a claim holds a delivery unless it is renewed or its attempt recorded. The worker running
 * the attempt renews its claims every CLAIM_RENEW_MS while the attempt runs (src/routing/attempt-batcher.ts),
 * so a slow sink keeps its claim however long it takes, and the claims of a worker that died (kill -9,
 * a crash, a restart of the only process) lapse within this time and are taken over.
 */
export const CLAIM_TIMEOUT_MS = 3_000;

/** How often the claims of attempts in progress are renewed: well inside CLAIM_TIMEOUT_MS. */
export const CLAIM_RENEW_MS = 1_000;

/** A claim held by this worker: renewed only while the delivery's attempt number is still its own. */
export interface HeldClaim {
  eventId: string;
  routeId: string;
  attempt: number;
}

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
