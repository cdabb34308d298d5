import { Coalescer } from '../core/coalescer.ts';
import type { DeliveryClaim as Claim } from '../store/claims.ts';
import type { AttemptOutcome, Store } from '../store/types.ts';

/**
 * The delivery claims and outcomes of the handlers running at once (up to the routes'
 * concurrency), in one transaction each instead of two transactions a delivery.
 */
export class AttemptBatcher {
  private readonly claims: Coalescer<{ eventId: string; routeId: string }, Claim>;
  private readonly outcomes: Coalescer<AttemptOutcome, void>;

  constructor(store: Store) {
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

  begin(eventId: string, routeId: string): Promise<Claim> {
    return this.claims.run({ eventId, routeId });
  }

  finish(a: AttemptOutcome): Promise<void> {
    return this.outcomes.run(a);
  }
}
