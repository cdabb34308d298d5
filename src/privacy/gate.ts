import type { RouteConfig } from '../config/types.ts';
import type { ChangeEvent } from '../core/types.ts';

/** What the router does with an event before it calls the sink. */
export type GateDecision = { action: 'deliver'; event: ChangeEvent } | { action: 'withhold'; reason: string };

/**
 * The personal-data policy the router applies to each delivery (src/privacy/service.ts): before the
 * sink, the consent check and the route's projection; after a successful delivery, the disclosure log.
 */
export interface DeliveryGate {
  beforeDelivery(route: RouteConfig, event: ChangeEvent): Promise<GateDecision>;
  afterDelivery(route: RouteConfig, event: ChangeEvent): Promise<void>;
}
