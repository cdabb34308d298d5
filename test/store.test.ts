import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import assert from 'node:assert/strict';
import pg from 'pg';
import { RECORDS_BY_KEY } from '../src/store/postgres/ingest-batch.ts';
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

/**
 * A SQLite store file at migration `version`, filled by `fill` through a bare connection, then opened by the
 * store and migrated to the latest; `check` reads it.
 */
async function migratedFrom(version: number, fill: (db: Database.Database) => void, check: (store: SqliteStore) => Promise<void>): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-store-'));
  try {
    const file = join(dir, 'hub.sqlite');
    const db = new Database(file);
    for (const m of SQLITE_MIGRATIONS.slice(0, version)) db.exec(m);
    db.pragma(`user_version = ${version}`);
    fill(db);
    db.close();
    const store = new SqliteStore(file);
    try {
      await store.migrate();
      await check(store);
    } finally {
      await store.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

describe('SqliteStore: migration 5 (the trail written once)', () => {
  it('a message stored before keeps its history rows and its canonical copy, and reads as before', async () => {
    const steps = [
      ['received', null],
      ['validated', 'mapped and validated'],
      ['committed', 'record r1 version 1, change 1'],
      ['published', null],
      ['delivered', null],
    ];
    await migratedFrom(
      4,
      (db) => {
        const t = '2026-11-01T10:00:00.000Z';
        db.prepare(
          `INSERT INTO messages (id, source_id, entity, institution, status, raw, raw_size, canonical, errors, record_id, record_version, event_id, created_at, updated_at)
           VALUES ('m1', 'lu-lais', 'person', 'lu.lv', 'delivered', '{}', 2, '{"givenNames":"Anna"}', '[]', 'r1', 1, 'e1', ?, ?)`,
        ).run(t, t);
        db.prepare(`INSERT INTO record_versions (record_id, version, data, message_id, at) VALUES ('r1', 1, '{"givenNames":"Other","id":"r1","version":1}', 'm1', ?)`).run(t);
        for (const [status, detail] of steps) db.prepare('INSERT INTO message_history (message_id, at, status, detail) VALUES (?, ?, ?, ?)').run('m1', t, status, detail);
      },
      async (store) => {
        const m = (await store.getMessage('m1'))!;
        assert.deepEqual(m.canonical, { givenNames: 'Anna' });
        assert.deepEqual(
          (await store.messageHistory('m1')).map((h) => [h.status, h.detail]),
          steps,
        );
      },
    );
  });
});

/** Versions stored before migration 6 (record versions folded into the change log), with their changes. */
const BEFORE_FOLD = [
  // The event carries the version's data.
  { recordId: 'r1', version: 1, event: { recordId: 'r1', version: 1, op: 'upsert', record: { a: 1, id: 'r1', version: 1 } }, data: { a: 1, id: 'r1', version: 1 } },
  // A deletion: the event carries no record, the version's data is kept by the change.
  { recordId: 'r1', version: 2, event: { recordId: 'r1', version: 2, op: 'delete' }, data: { a: 1, id: 'r1', version: 2 } },
  // A version whose data differs from its event's record: the version's data is kept.
  { recordId: 'r2', version: 1, event: { recordId: 'r2', version: 1, op: 'upsert', record: { b: 'event', id: 'r2', version: 1 } }, data: { b: 'version', id: 'r2', version: 1 } },
];

/** The change row of BEFORE_FOLD's i-th version: seq, event id, entity, institution, record id, event. */
function changeOf(v: (typeof BEFORE_FOLD)[number], i: number): unknown[] {
  return [i + 1, `e${i}`, 'person', 'lu.lv', v.recordId, JSON.stringify(v.event)];
}

async function assertFolded(store: SqliteStore | PostgresStore): Promise<void> {
  for (const v of BEFORE_FOLD) assert.deepEqual(await store.getRecordVersion(v.recordId, v.version), v.data, `${v.recordId} version ${v.version}`);
  assert.equal(await store.getRecordVersion('r1', 3), undefined);
  const own = await store.sql.query('SELECT record_id, version FROM changes WHERE data IS NOT NULL ORDER BY seq');
  assert.deepEqual(
    own.map((r) => [r.record_id, Number(r.version)]),
    [
      ['r1', 2],
      ['r2', 1],
    ],
  );
}

describe('SqliteStore: migration 6 (record versions folded into the change log)', () => {
  it('every version stored before reads the same: from its event, or from the change where the event does not hold it', async () => {
    await migratedFrom(
      5,
      (db) => {
        BEFORE_FOLD.forEach((v, i) => {
          db.prepare('INSERT INTO record_versions (record_id, version, data, message_id, at) VALUES (?, ?, ?, NULL, ?)').run(v.recordId, v.version, JSON.stringify(v.data), '2026-11-01T10:00:00.000Z');
          db.prepare('INSERT INTO changes (seq, event_id, entity, institution, record_id, event) VALUES (?, ?, ?, ?, ?, ?)').run(...changeOf(v, i));
        });
      },
      async (store) => {
        await assertFolded(store);
        assert.deepEqual(await store.sql.query("SELECT name FROM sqlite_master WHERE name = 'record_versions'"), []);
      },
    );
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

    it('migration 6: every version stored before reads the same after record versions are folded into the change log', async () => {
      const folded = `store_test_${rand()}`;
      const c = new pg.Client({ connectionString: databaseUrl });
      await c.connect();
      const store = new PostgresStore(databaseUrl, { schema: folded, poolSize: 2 });
      try {
        await c.query(`CREATE SCHEMA "${folded}"`);
        await c.query(`SET search_path TO "${folded}"`);
        for (const m of POSTGRES_MIGRATIONS.slice(0, 5)) await c.query(m);
        await c.query('CREATE TABLE schema_migrations (version integer PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())');
        await c.query('INSERT INTO schema_migrations (version) SELECT generate_series(1, 5)');
        for (const [i, v] of BEFORE_FOLD.entries()) {
          await c.query('INSERT INTO record_versions (record_id, version, data, message_id, at) VALUES ($1, $2, $3, NULL, now())', [v.recordId, v.version, JSON.stringify(v.data)]);
          await c.query('INSERT INTO changes (seq, event_id, entity, institution, record_id, event) VALUES ($1, $2, $3, $4, $5, $6)', changeOf(v, i));
        }
        await store.migrate();
        await assertFolded(store);
        assert.deepEqual((await c.query('SELECT to_regclass($1) AS t', [`"${folded}".record_versions`])).rows[0]?.t, null);
      } finally {
        await store.close();
        await c.query(`DROP SCHEMA IF EXISTS "${folded}" CASCADE`);
        await c.end();
      }
    });

    it("the ingest's natural-key look-up takes the unique key's index, not the study-right index (with and without the table's statistics)", async () => {
      const planned = `store_test_${rand()}`;
      const store = new PostgresStore(databaseUrl, { schema: planned, poolSize: 2 });
      const c = await store.pool.connect();
      try {
        await store.migrate();
        await c.query(`SET search_path TO "${planned}"`);
        // An institution's persons and attainments (each attainment names its study right), as a load leaves them.
        await c.query(`INSERT INTO records (id, entity, institution, source_system, source_id, version, seq, data, updated_at)
          SELECT 'r' || n, CASE WHEN n % 40 = 0 THEN 'person' ELSE 'attainment' END, 'lu.lv', 'lais-lu', 'S' || n, 1, n,
                 CASE WHEN n % 40 = 0 THEN '{}'::jsonb ELSE jsonb_build_object('studyRight', jsonb_build_object('sourceId', 'SR' || (n / 40))) END, now()
          FROM generate_series(1, 20000) AS n`);
        const keys = [1, 2, 3, 40, 80].map((n) => ({ entity: n % 40 === 0 ? 'person' : 'attainment', id: `S${n}` }));
        const plan = async (sql: string, params: unknown[]) => JSON.stringify((await c.query(`EXPLAIN (FORMAT JSON) ${sql}`, params)).rows[0]);
        const lookUp = () => plan(RECORDS_BY_KEY, [keys.map((k) => k.entity), keys.map(() => 'lu.lv'), keys.map(() => 'lais-lu'), keys.map((k) => k.id)]);
        const byStudyRight = () => plan(`SELECT id FROM records WHERE entity = $1 AND institution = $2 AND data->'studyRight'->>'sourceId' = $3`, ['attainment', 'lu.lv', 'SR7']);
        for (const stats of ['before ANALYZE', 'after ANALYZE']) {
          if (stats === 'after ANALYZE') await c.query('ANALYZE records');
          const p = await lookUp();
          assert.doesNotMatch(p, /records_study_right/, `${stats}: ${p}`);
          assert.match(p, /records_entity_institution_source_system_source_id_key/, `${stats}: ${p}`);
          assert.match(await byStudyRight(), /records_study_right/, `${stats}: the reader's study-right query keeps its index`);
        }
      } finally {
        c.release();
        await store.pool.query(`DROP SCHEMA IF EXISTS "${planned}" CASCADE`);
        await store.close();
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
