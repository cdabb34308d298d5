import { Coalescer } from '../core/coalescer.ts';
import { InternalError } from '../core/errors.ts';
import type { DeliveryGate, PendingDisclosure } from '../privacy/gate.ts';
import { CLAIM_RENEW_MS, type DeliveryClaim as Claim, type HeldClaim } from '../store/claims.ts';
import type { AttemptOutcome, Store } from '../store/types.ts';

const keyOf = (eventId: string, routeId: string) => `${eventId}\n${routeId}`;

/** An outcome to record, with the disclosure of a delivered event that holds personal data. */
interface Finished {
  outcome: AttemptOutcome;
  disclosure?: PendingDisclosure;
}

/**
 * The delivery claims and outcomes of the handlers running at once (up to the routes'
 * concurrency), in one transaction each instead of two transactions a delivery — the outcomes with
 * the disclosure-log entries of the deliveries among them (DeliveryGate.recordWith); and the claims of
 * the attempts in progress, renewed every CLAIM_RENEW_MS in one statement until each is released
 * (its outcome recorded, or the attempt ended without one), so that only a dead worker's claims lapse.
 */
export class AttemptBatcher {
  private readonly claims: Coalescer<{ eventId: string; routeId: string }, Claim>;
  private readonly outcomes: Coalescer<Finished, void>;
  private readonly held = new Map<string, HeldClaim>();
  private renewer: NodeJS.Timeout | undefined;

  constructor(
    private readonly store: Store,
    /** Writes the disclosures inside the outcomes' transaction; none: no subscriber of this batcher has a privacy gate. */
    private readonly gate?: Pick<DeliveryGate, 'recordWith'>,
  ) {
    this.claims = new Coalescer(
      (list) => store.beginAttempts(list),
      (c) => store.beginAttempt(c.eventId, c.routeId),
    );
    this.outcomes = new Coalescer(
      async (list) => {
        await this.record(list);
        return list.map(() => undefined);
      },
      (f) => this.record([f]),
    );
  }

  /** One transaction: the outcomes, then the disclosures among them. */
  private async record(list: Finished[]): Promise<void> {
    const outcomes = list.map((f) => f.outcome);
    const disclosures = list.flatMap((f) => (f.disclosure ? [f.disclosure] : []));
    if (!disclosures.length) return this.store.finishAttempts(outcomes);
    if (!this.gate) throw new InternalError('a disclosure to record, but the attempt batcher was made without the privacy gate');
    await this.gate.recordWith(disclosures, (within) => this.store.finishAttempts(outcomes, within));
  }

  async begin(eventId: string, routeId: string): Promise<Claim> {
    const claim = await this.claims.run({ eventId, routeId });
    if (claim.proceed) {
      this.held.set(keyOf(eventId, routeId), { eventId, routeId, attempt: claim.attempt });
      this.renewer ??= setInterval(() => void this.renew(), CLAIM_RENEW_MS).unref();
    }
    return claim;
  }

  /** Records the outcome (with the delivered event's disclosure, if it has one) and releases the claim. */
  async finish(a: AttemptOutcome, disclosure?: PendingDisclosure): Promise<void> {
    try {
      await this.outcomes.run(disclosure ? { outcome: a, disclosure } : { outcome: a });
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
