import { errorMessage, isHubError, StoreError } from '../../core/errors.ts';

/**
 * SQLite result codes of a file that cannot be read or written now: the disk is full, the file or
 * its folder is read-only or gone, an I/O error, a lock another process holds. They are outages of
 * the store (StoreError: 503 with Retry-After at the API, retried by workers), not faults of a record.
 */
const OUTAGE = /^SQLITE_(FULL|IOERR|READONLY|BUSY|LOCKED|CANTOPEN|PROTOCOL)/;

export function sqliteError(e: unknown): unknown {
  if (isHubError(e)) return e;
  const code = typeof e === 'object' && e !== null && 'code' in e ? String(e.code) : '';
  return OUTAGE.test(code) ? new StoreError(`sqlite: ${errorMessage(e)} (${code})`, { cause: e }) : e;
}

/**
 * Makes every async method of `target`'s class turn a SQLite outage into StoreError; `check`
 * runs before each call but close() and may throw one itself.
 */
export function outagesAsStoreErrors(target: object, check: () => void = () => undefined): void {
  const proto = Object.getPrototypeOf(target) as Record<string, unknown>;
  for (const name of Object.getOwnPropertyNames(proto)) {
    const f = proto[name];
    if (name === 'constructor' || typeof f !== 'function' || f.constructor.name !== 'AsyncFunction') continue;
    const method = f as (...args: unknown[]) => Promise<unknown>;
    Object.defineProperty(target, name, {
      writable: true,
      configurable: true,
      value: async (...args: unknown[]) => {
        try {
          if (name !== 'close') check();
          return await method.apply(target, args);
        } catch (e) {
          throw sqliteError(e);
        }
      },
    });
  }
}
