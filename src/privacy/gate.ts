import type { RouteConfig } from '../config/types.ts';
import type { ChangeEvent } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';
import type { NewEntry } from './disclosure-log.ts';

/** What the router does with an event before it calls the sink. */
export type GateDecision = { action: 'deliver'; event: ChangeEvent } | { action: 'withhold'; reason: string };

/**
 * A delivery's disclosure, prepared once the sink has the event and written in the transaction that
 * records the delivery's outcome (DeliveryGate.recordWith): its disclosure-log entry and, on a
 * consent basis, the end of the delivery's hold. The router passes it along without looking inside.
 */
export interface PendingDisclosure {
  readonly entry: NewEntry;
  /** On a consent basis: the delivery's withheld row (if any) is marked delivered. */
  readonly endsHold: boolean;
}

/**
 * The personal-data policy the router applies to each delivery (src/privacy/service.ts): before the
 * sink, the consent check and the route's projection; after a successful delivery, the disclosure log,
 * written with the delivery's outcome in one transaction.
 */
export interface DeliveryGate {
  beforeDelivery(route: RouteConfig, event: ChangeEvent): Promise<GateDecision>;
  /** The sink has the event: its disclosure, to be written with the outcome; undefined when the record holds no personal data. */
  afterDelivery(route: RouteConfig, event: ChangeEvent): Promise<PendingDisclosure | undefined>;
  /**
   * Runs `write`, which opens the transaction recording a batch of outcomes (Store.finishAttempts) and
   * calls `within` inside it: the disclosures are written there, hash-chained, serialised with every
   * other append to the log; they commit with the outcomes or not at all.
   */
  recordWith<T>(list: readonly PendingDisclosure[], write: (within: (tx: SqlDb) => Promise<void>) => Promise<T>): Promise<T>;
}
