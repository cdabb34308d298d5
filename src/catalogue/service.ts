import type { Logger } from 'pino';
import type { SqlDb } from '../store/sql.ts';
import { CatalogueFollower } from './follower.ts';
import { CatalogueStore } from './store.ts';
import { CATALOGUE_ENTITIES } from './model.ts';

export interface CatalogueOptions {
  sql: SqlDb;
  logger: Logger;
  /** Follow the change log in this process (workers); an API-only process only reads. */
  follow: boolean;
  /** Searches kept for repeated questions (config catalogue.cacheEntries, default 1000; 0: none). */
  cacheEntries?: number;
}

/**
 * The public catalogue of programmes, courses, offerings and terms (docs/catalogue.md): a read model
 * fed from the change log, read by OOAPI (/ooapi/v5) and the catalogue pages (/catalogue). It takes
 * only what it uses: the SQL access of its own tables and the change-log reader, and a logger.
 */
export class Catalogue {
  readonly store: CatalogueStore;
  private readonly follower: CatalogueFollower | undefined;

  private constructor(o: CatalogueOptions) {
    this.store = new CatalogueStore(o.sql, o.cacheEntries ?? 1000);
    this.follower = o.follow ? new CatalogueFollower({ sql: o.sql, store: this.store, logger: o.logger }) : undefined;
  }

  static async start(o: CatalogueOptions): Promise<Catalogue> {
    const c = new Catalogue(o);
    await c.store.migrate();
    c.follower?.start();
    return c;
  }

  /** A commit happened: apply it soon; a commit of another entity is none of the catalogue's (its poll still looks). */
  wake(entity?: string): void {
    if (entity !== undefined && !(CATALOGUE_ENTITIES as readonly string[]).includes(entity)) return;
    this.follower?.wake();
  }

  /** Applies every change not yet applied (tests, rebuild). */
  async catchUp(): Promise<number> {
    return this.follower ? this.follower.catchUp() : 0;
  }

  /** Empties the read model and applies the whole change log again; returns the changes applied. */
  async rebuild(): Promise<number> {
    await this.store.reset();
    return this.catchUp();
  }

  async stop(): Promise<void> {
    await this.follower?.stop();
  }
}
