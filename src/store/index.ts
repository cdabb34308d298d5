import { join } from 'node:path';
import type { EnvSettings } from '../config/env.ts';
import { SqliteStore } from './sqlite/store.ts';
import type { Store } from './types.ts';

/** The store the environment selects: PostgreSQL when DATABASE_URL is set, else SQLite under the data dir. */
export async function createStore(env: Pick<EnvSettings, 'databaseUrl' | 'dataDir' | 'dbSchema'>): Promise<Store> {
  if (env.databaseUrl) {
    const { PostgresStore } = await import('./postgres/store.ts');
    return new PostgresStore(env.databaseUrl, env.dbSchema ? { schema: env.dbSchema } : {});
  }
  return new SqliteStore(join(env.dataDir, 'hub.sqlite'));
}
