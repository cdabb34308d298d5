import type { Sink } from '../core/adapter.ts';
import type { CanonicalRecord, JsonObject } from '../core/types.ts';

/** A record as the receiver holds it: its key there, the hub's reference if it kept one, its content. */
export interface HeldRecord {
  entity: string;
  key: string;
  recordId?: string;
  version?: number;
  data: JsonObject;
}

/**
 * What a sink offers when it can be reconciled (a register that can be asked what it holds): the
 * entities it keeps, how a hub record looks there (the same mapping its deliveries use), and what it
 * holds for an institution. Optional on a Sink; the core finds it by duck typing.
 */
export interface ReconcileView {
  readonly entities: readonly string[];
  /** The receiver's key and content for a hub record; throws when the record cannot be expressed. */
  expected(record: CanonicalRecord): Promise<{ key: string; data: JsonObject }>;
  holdings(institution: string): Promise<HeldRecord[]>;
}

export interface ReconcilableSink extends Sink {
  readonly reconcile: ReconcileView;
}

export function isReconcilable(s: Sink | undefined): s is ReconcilableSink {
  const r = (s as Partial<ReconcilableSink> | undefined)?.reconcile;
  return !!r && typeof r.expected === 'function' && typeof r.holdings === 'function' && Array.isArray(r.entities);
}
