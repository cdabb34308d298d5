import type { DeliveryStatus, MessageStatus } from '../core/types.ts';

/**
 * The status a published message shows, from the statuses of its deliveries: the worst one wins
 * (dead, withheld, retrying), then pending (still published), and delivered when all are.
 */
export function deriveMessageStatus(statuses: DeliveryStatus[]): MessageStatus {
  if (statuses.length === 0) return 'published';
  for (const s of ['dead', 'withheld', 'retrying'] as const) if (statuses.includes(s)) return s;
  if (statuses.includes('pending')) return 'published';
  return 'delivered';
}

/** Statuses a message can be in once it reached the routing stage (its status follows deliveries). */
export const ROUTED_STATUSES: readonly MessageStatus[] = ['published', 'delivered', 'retrying', 'dead', 'withheld'];
