import type { Store } from '../../src/store/types.ts';
import { round } from './measure.ts';

const TIMED = ['insertMessage', 'updateMessage', 'commit', 'pendingOutbox', 'markPublished', 'beginAttempt', 'finishAttempt'] as const;

export type StoreTimes = Record<string, { calls: number; msPerCall: number; totalMs: number }>;

/**
 * Wraps the pipeline's store calls on one store instance to add up their wall time: where a record's
 * time goes, call by call (on SQLite that is CPU; on PostgreSQL mostly waiting for round trips).
 */
export function timeStore(store: Store): () => StoreTimes {
  const acc = new Map<string, { calls: number; ns: bigint }>();
  const target = store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of TIMED) {
    const original = target[name]!.bind(store);
    target[name] = async (...args: unknown[]) => {
      const t = process.hrtime.bigint();
      try {
        return await original(...args);
      } finally {
        const a = acc.get(name) ?? { calls: 0, ns: 0n };
        a.calls++;
        a.ns += process.hrtime.bigint() - t;
        acc.set(name, a);
      }
    };
  }
  return () =>
    Object.fromEntries(
      [...acc.entries()].map(([k, v]) => [k, { calls: v.calls, msPerCall: round(Number(v.ns) / 1e6 / v.calls, 3), totalMs: round(Number(v.ns) / 1e6) }]),
    );
}
