import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pg from 'pg';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { storeConformance } from './conformance/store.suite.ts';

const rand = () => Math.random().toString(36).slice(2, 10);

storeConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
  return { store: new SqliteStore(join(dir, 'hub.sqlite')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

const databaseUrl = process.env.DATABASE_URL;
if (databaseUrl) {
  storeConformance('postgres', async () => {
    const schema = `store_test_${rand()}`;
    return {
      store: new PostgresStore(databaseUrl, { schema, poolSize: 5 }),
      cleanup: async () => {
        const c = new pg.Client({ connectionString: databaseUrl });
        await c.connect();
        try {
          await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
        } finally {
          await c.end();
        }
      },
    };
  });

  describe('PostgresStore specifics', () => {
    const schema = `store_test_${rand()}`;
    after(async () => {
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS "${schema}" CASCADE`);
      await c.end();
    });

    it('several processes migrating at once apply each migration once', async () => {
      const stores = Array.from({ length: 4 }, () => new PostgresStore(databaseUrl, { schema, poolSize: 2 }));
      try {
        await Promise.all(stores.map((s) => s.migrate()));
        const rows = (await stores[0]!.pool.query<{ version: number }>('SELECT version FROM schema_migrations ORDER BY version')).rows;
        if (rows.length !== 1 || rows[0]!.version !== 1) throw new Error(`unexpected schema_migrations ${JSON.stringify(rows)}`);
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });
  });
} else if (process.env.CI) {
  describe('Store conformance: postgres', () => {
    it('runs in CI', () => {
      throw new Error('DATABASE_URL is not set: CI must run the postgres store conformance suite');
    });
  });
} else {
  describe('Store conformance: postgres', () => {
    it.skip('postgres: DATABASE_URL not set');
  });
}
