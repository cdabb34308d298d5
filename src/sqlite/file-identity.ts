import { statSync } from 'node:fs';

/**
 * Notices that the file a SQLite connection has open was removed or replaced on disk. The
 * connection keeps writing to the old file without an error, and all of it is gone at the next
 * start: such writes must be refused instead (a store or broker outage).
 */
export class FileIdentity {
  private readonly opened: string | undefined;
  private checkedAt = 0;
  private lost: string | undefined;

  constructor(private readonly file: string) {
    this.opened = file === ':memory:' ? undefined : this.current();
  }

  private current(): string | undefined {
    try {
      const s = statSync(this.file);
      return `${s.dev}:${s.ino}`;
    } catch {
      return undefined;
    }
  }

  /** Why the file on disk is no longer the one opened (looked at again after everyMs), or undefined. */
  problem(everyMs = 1000): string | undefined {
    if (this.opened === undefined) return undefined;
    const now = Date.now();
    if (now - this.checkedAt >= everyMs) {
      this.checkedAt = now;
      const c = this.current();
      this.lost = c === this.opened ? undefined : `${this.file} was ${c === undefined ? 'removed' : 'replaced'} while the hub had it open: writes are refused, restart the hub`;
    }
    return this.lost;
  }
}
