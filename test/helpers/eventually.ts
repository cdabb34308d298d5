/**
 * The one polling helper of the tests: wait for a condition instead of sleeping a fixed time, and
 * never assert how long something took (durations belong in bench/).
 */

/** Thrown by a condition to stop waiting at once (the thing waited for can no longer happen). */
export class GiveUp extends Error {}

/**
 * Polls `fn` until it returns a truthy value and returns that value; fails after timeoutMs with
 * `what` and the last error `fn` threw. A GiveUp thrown by `fn` fails at once.
 */
export async function eventually<T>(fn: () => T | undefined | false | null | Promise<T | undefined | false | null>, timeoutMs = 10_000, what = 'condition', everyMs = 25): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  for (;;) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      if (e instanceof GiveUp) throw e;
      last = e;
    }
    if (Date.now() >= until) break;
    await new Promise((r) => setTimeout(r, everyMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}
