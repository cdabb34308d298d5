import type { ReconcilableSink, Sink } from '../core/adapter.ts';

/** Whether a sink offers a reconcile view (src/core/adapter.ts); checked, since a sink is built from the config. */
export function isReconcilable(s: Sink | undefined): s is ReconcilableSink {
  const r = (s as Partial<ReconcilableSink> | undefined)?.reconcile;
  return !!r && typeof r.expected === 'function' && typeof r.holdings === 'function' && Array.isArray(r.entities);
}
