import { registerConfigCheck } from '../config/checks.ts';
import type { HubConfig } from '../config/types.ts';
import type { Violation } from '../core/errors.ts';
import { parseAllowEntry } from '../core/net/target-policy.ts';

/** Active subscriptions one consumer may hold when `webhooks.maxSubscriptionsPerConsumer` is not set. */
export const DEFAULT_MAX_SUBSCRIPTIONS = 10;

/** Every `webhooks.allowTargets` entry is a CIDR range, an address, a host name or `*.suffix`. */
export function checkWebhooksConfig(cfg: HubConfig): Violation[] {
  return (cfg.webhooks?.allowTargets ?? []).flatMap((entry, i) =>
    parseAllowEntry(entry) ? [] : [{ path: `/webhooks/allowTargets/${i}`, message: `'${entry}' is not a CIDR range (10.1.2.0/24), an address, a host name or *.suffix` }],
  );
}

registerConfigCheck({ name: 'webhooks', check: checkWebhooksConfig });
