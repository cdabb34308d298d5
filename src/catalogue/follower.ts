import type { Logger } from 'pino';
import type { SqlDb } from '../store/sql.ts';
import { changesAfter } from '../store/changes.ts';
import { CATALOGUE_ENTITIES } from './model.ts';
import type { CatalogueStore } from './store.ts';

export interface FollowerOptions {
  sql: SqlDb;
  store: CatalogueStore;
  logger: Logger;
  /** How often to look for changes when not woken (ms). */
  pollMs?: number;
  /** Changes applied per transaction. */
  batch?: number;
}

/**
 * Keeps the catalogue current: follows the change log with its own cursor (like any consumer), applies
 * programmes, courses, offerings and terms in sequence order, and is woken by each commit so that a
 * change is in the catalogue within moments. A failure is logged and tried again on the next pass;
 * the cursor moves only with the changes it applied.
 */
export class CatalogueFollower {
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<void> | undefined;
  private again = false;
  private stopped = true;
  private failing = false;

  constructor(private readonly o: FollowerOptions) {}

  start(): void {
    this.stopped = false;
    this.wake();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    if (this.timer) clearTimeout(this.timer);
    await this.running;
  }

  /** Look for changes now (called on every commit). */
  wake(): void {
    if (this.stopped) return;
    if (this.running) {
      this.again = true;
      return;
    }
    if (this.timer) clearTimeout(this.timer);
    this.running = this.pass().finally(() => {
      this.running = undefined;
      if (this.stopped) return;
      if (this.again) {
        this.again = false;
        this.wake();
      } else {
        this.timer = setTimeout(() => this.wake(), this.o.pollMs ?? 2000);
        this.timer.unref();
      }
    });
  }

  /** Applies every change after the cursor; resolves when caught up. One catch-up at a time in this process. */
  catchUp(): Promise<number> {
    const next = this.queue.then(() => this.catchUpNow());
    this.queue = next.then(
      () => undefined,
      () => undefined,
    );
    return next;
  }

  private queue: Promise<void> = Promise.resolve();

  private async catchUpNow(): Promise<number> {
    let applied = 0;
    for (;;) {
      const after = await this.o.store.cursor();
      const batch = await changesAfter(this.o.sql, { after, limit: this.o.batch ?? 500, entities: CATALOGUE_ENTITIES });
      if (!batch.length) return applied;
      await this.o.store.apply(batch);
      applied += batch.length;
    }
  }

  private async pass(): Promise<void> {
    try {
      await this.catchUp();
      if (this.failing) this.o.logger.info('catalogue follows the change log again');
      this.failing = false;
    } catch (e) {
      if (!this.failing) this.o.logger.error({ err: e }, 'catalogue could not apply changes; trying again');
      this.failing = true;
    }
  }
}
