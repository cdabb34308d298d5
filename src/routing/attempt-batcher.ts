import { Coalescer } from '../core/coalescer.ts';
import { CLAIM_RENEW_MS, type DeliveryClaim as Claim, type HeldClaim } from '../store/claims.ts';
import type { AttemptOutcome, Store } from '../store/types.ts';

const keyOf = (eventId: string, routeId: string) => `${eventId}\n${routeId}`;

/**
 * The delivery claims and outcomes of the handlers running at once (up to the routes'
 * concurrency), in one transaction each instead of two transactions a delivery; and the claims of
 * the attempts in progress, renewed every CLAIM_RENEW_MS in one statement until each is released
 * (its outcome recorded, or the attempt ended without one), so that only a dead worker's claims lapse.
 */
export class AttemptBatcher {
  private readonly claims: Coalescer<{ eventId: string; routeId: string }, Claim>;
  private readonly outcomes: Coalescer<AttemptOutcome, void>;
  private readonly held = new Map<string, HeldClaim>();
  private renewer: NodeJS.Timeout | undefined;

  constructor(private readonly store: Store) {
    this.claims = new Coalescer(
      (list) => store.beginAttempts(list),
      (c) => store.beginAttempt(c.eventId, c.routeId),
    );
    this.outcomes = new Coalescer(
      async (list) => {
        await store.finishAttempts(list);
        return list.map(() => undefined);
      },
      (a) => store.finishAttempt(a),
    );
  }

  async begin(eventId: string, routeId: string): Promise<Claim> {
    const claim = await this.claims.run({ eventId, routeId });
    if (claim.proceed) {
      this.held.set(keyOf(eventId, routeId), { eventId, routeId, attempt: claim.attempt });
      this.renewer ??= setInterval(() => void this.renew(), CLAIM_RENEW_MS).unref();
    }
    return claim;
  }

  async finish(a: AttemptOutcome): Promise<void> {
    try {
      await this.outcomes.run(a);
    } finally {
      this.release(a.eventId, a.routeId, a.attempt);
    }
  }

  /** The attempt has ended (with or without an outcome): its claim is no longer renewed. */
  release(eventId: string, routeId: string, attempt: number): void {
    const k = keyOf(eventId, routeId);
    if (this.held.get(k)?.attempt === attempt) this.held.delete(k);
    if (this.held.size === 0 && this.renewer) {
      clearInterval(this.renewer);
      this.renewer = undefined;
    }
  }

  private async renew(): Promise<void> {
    // A failed renewal (an outage) is not an error of the attempts: their claims may lapse and be taken over.
    await this.store.renewClaims([...this.held.values()]).catch(() => undefined);
  }
}
