import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import pg from 'pg';
import { POSTGRES_MIGRATIONS } from '../src/store/postgres/migrations.ts';
import { PostgresStore } from '../src/store/postgres/store.ts';
import { SqliteStore } from '../src/store/sqlite/store.ts';
import { SQLITE_MIGRATIONS } from '../src/store/sqlite/migrations.ts';
import Database from 'better-sqlite3';
import { storeConformance } from './conformance/store.suite.ts';
import { suiteNeeds } from './helpers/ci.ts';

const rand = () => Math.random().toString(36).slice(2, 10);

storeConformance('sqlite', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
  return { store: new SqliteStore(join(dir, 'hub.sqlite')), cleanup: async () => rmSync(dir, { recursive: true, force: true }) };
});

describe('SqliteStore: migration 5 (the trail written once)', () => {
  it('a message stored before keeps its history rows and its canonical copy, and reads as before', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
    try {
      const file = join(dir, 'hub.sqlite');
      const db = new Database(file);
      for (const m of SQLITE_MIGRATIONS.slice(0, 4)) db.exec(m);
      db.pragma('user_version = 4');
      const t = '2026-11-01T10:00:00.000Z';
      db.prepare(
        `INSERT INTO messages (id, source_id, entity, institution, status, raw, raw_size, canonical, errors, record_id, record_version, event_id, created_at, updated_at)
         VALUES ('m1', 'lu-lais', 'person', 'lu.lv', 'delivered', '{}', 2, '{"givenNames":"Anna"}', '[]', 'r1', 1, 'e1', ?, ?)`,
      ).run(t, t);
      db.prepare(`INSERT INTO record_versions (record_id, version, data, message_id, at) VALUES ('r1', 1, '{"givenNames":"Other","id":"r1","version":1}', 'm1', ?)`).run(t);
      const steps = [
        ['received', null],
        ['validated', 'mapped and validated'],
        ['committed', 'record r1 version 1, change 1'],
        ['published', null],
        ['delivered', null],
      ];
      for (const [status, detail] of steps) db.prepare('INSERT INTO message_history (message_id, at, status, detail) VALUES (?, ?, ?, ?)').run('m1', t, status, detail);
      db.close();
      const store = new SqliteStore(file);
      try {
        await store.migrate();
        const m = (await store.getMessage('m1'))!;
        assert.deepEqual(m.canonical, { givenNames: 'Anna' });
        assert.deepEqual(
          (await store.messageHistory('m1')).map((h) => [h.status, h.detail]),
          steps,
        );
      } finally {
        await store.close();
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
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
        assert.deepEqual(
          rows.map((r) => r.version),
          POSTGRES_MIGRATIONS.map((_, i) => i + 1),
        );
      } finally {
        await Promise.all(stores.map((s) => s.close()));
      }
    });

    it('readers never see a sequence number before all smaller ones are committed', async () => {
      const store = new PostgresStore(databaseUrl, { schema, poolSize: 12 });
      try {
        await store.migrate();
        let done = false;
        const holes: string[] = [];
        const reader = (async () => {
          while (!done) {
            const seqs = (await store.pool.query<{ seq: number }>('SELECT seq FROM changes ORDER BY seq')).rows.map((r) => r.seq);
            for (let i = 1; i < seqs.length; i++) if (seqs[i] !== seqs[i - 1]! + 1) holes.push(`${seqs[i - 1]} → ${seqs[i]}`);
          }
        })();
        await Promise.all(
          Array.from({ length: 60 }, async (_, i) => {
            const id = `${Date.now().toString(36)}-${i}-${rand()}`;
            await store.insertMessage({ id, sourceId: 's', entity: 'person', institution: 'lu.lv', contentType: null, raw: null, rawSize: 0, idempotencyKey: null, status: 'received' });
            await store.commit({
              messageId: id,
              entity: 'person',
              institution: 'lu.lv',
              sourceSystem: 's',
              sourceId: `p${i}`,
              source: 's',
              sourceUpdatedAt: null,
              data: { i },
              op: 'upsert',
              schemaVersion: '1',
            });
          }),
        );
        done = true;
        await reader;
        assert.deepEqual(holes, []);
      } finally {
        await store.close();
      }
    });
  });
} else {
  describe('Store conformance: postgres', () => {
    suiteNeeds('the postgres store conformance suite', ['DATABASE_URL']);
  });
}
