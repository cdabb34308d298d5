import type { Store } from '../../src/store/types.ts';
import { round } from './measure.ts';

const TIMED = ['ingestBatch', 'insertMessage', 'updateMessage', 'commit', 'pendingOutbox', 'markPublished', 'beginAttempts', 'beginAttempt', 'finishAttempts', 'finishAttempt'] as const;

export type StoreTimes = Record<string, { calls: number; msPerCall: number; totalMs: number }>;

/**
 * Wraps the pipeline's store calls on one store instance to add up their time, call by call. SQLite
 * calls do all their work synchronously before they return a promise: that part is timed (CPU, not
 * the wait behind other clients' work). PostgreSQL calls are timed until they resolve (round trips
 * and waiting for a pooled connection or a lock).
 */
export function timeStore(store: Store): () => StoreTimes {
  const acc = new Map<string, { calls: number; ns: bigint }>();
  const add = (name: string, t: bigint) => {
    const a = acc.get(name) ?? { calls: 0, ns: 0n };
    a.calls++;
    a.ns += process.hrtime.bigint() - t;
    acc.set(name, a);
  };
  const target = store as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
  for (const name of TIMED) {
    const original = target[name]!.bind(store);
    target[name] =
      store.kind === 'sqlite'
        ? (...args: unknown[]) => {
            const t = process.hrtime.bigint();
            try {
              return original(...args);
            } finally {
              add(name, t);
            }
          }
        : async (...args: unknown[]) => {
            const t = process.hrtime.bigint();
            try {
              return await original(...args);
            } finally {
              add(name, t);
            }
          };
  }
  return () => Object.fromEntries([...acc.entries()].map(([k, v]) => [k, { calls: v.calls, msPerCall: round(Number(v.ns) / 1e6 / v.calls, 3), totalMs: round(Number(v.ns) / 1e6) }]));
}
