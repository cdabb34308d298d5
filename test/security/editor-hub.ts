import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import Database from 'better-sqlite3';
import { ADMIN_TOKEN, baseConfig, type Backend } from '../helpers/hub.ts';
import { freePort, runHub, type HubProcess } from '../helpers/process.ts';

/**
 * A real hub process (`hub start`) with the Node-RED editor, on the embedded store and broker or on
 * PostgreSQL + RabbitMQ (a fresh schema and prefix, removed by cleanup). Node-RED is a per-process
 * singleton, so every editor under test is a process of its own; the data dir (and schema) survive a
 * restart, as in production.
 */
export interface EditorHub {
  dir: string;
  dataDir: string;
  base: string;
  process: HubProcess | undefined;
  /** Starts (or restarts) the process; resolves once its output has `waitFor` (default: the editor is up; null: at once). */
  start(env?: Record<string, string>, waitFor?: string | RegExp | null): Promise<HubProcess>;
  stop(): Promise<void>;
  /** Runs SQL on the hub's store from outside the process (an operator's change). */
  sql(statement: string, params: unknown[]): Promise<void>;
  cleanup(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);
export const NODERED_SECRET = 'editor-test-credential-secret-0123';

export async function editorHub(backend: Backend, env: Record<string, string> = {}): Promise<EditorHub> {
  const dir = mkdtempSync(join(tmpdir(), 'hub-sec-editor-'));
  const dataDir = join(dir, 'data');
  const config = baseConfig();
  writeFileSync(join(dir, 'hub.json'), JSON.stringify(config));
  const schema = `s_${rand()}`;
  const prefix = `s${rand()}`;
  const port = await freePort();
  const backendEnv =
    backend === 'real' ? { DATABASE_URL: process.env.DATABASE_URL!, AMQP_URL: process.env.AMQP_URL!, HUB_DB_SCHEMA: schema, HUB_AMQP_PREFIX: prefix } : { DATABASE_URL: '', AMQP_URL: '' };
  const h: EditorHub = {
    dir,
    dataDir,
    base: `http://127.0.0.1:${port}`,
    process: undefined,
    start: async (more = {}, waitFor = 'Node-RED editor at') => {
      const p = runHub(['start'], {
        HUB_CONFIG: join(dir, 'hub.json'),
        HUB_DATA_DIR: dataDir,
        PORT: String(port),
        HOST: '127.0.0.1',
        HUB_ADMIN_TOKEN: ADMIN_TOKEN,
        HUB_NODERED: 'on',
        HUB_NODERED_SECRET: NODERED_SECRET,
        ...backendEnv,
        ...env,
        ...more,
      });
      h.process = p;
      if (waitFor !== null) await p.waitFor(waitFor, 150_000);
      return p;
    },
    stop: async () => {
      await h.process?.kill('SIGTERM');
      h.process = undefined;
    },
    sql: async (statement, params) => {
      if (backend === 'real') {
        const pg = await import('pg');
        const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        try {
          await c.query(`SET search_path TO ${schema}`);
          let n = 0;
          await c.query(
            statement.replace(/\?/g, () => `$${++n}`),
            params,
          );
        } finally {
          await c.end();
        }
      } else {
        const db = new Database(join(dataDir, 'hub.sqlite'));
        try {
          db.pragma('busy_timeout = 10000');
          db.prepare(statement).run(...params);
        } finally {
          db.close();
        }
      }
    },
    cleanup: async () => {
      await h.process?.kill('SIGKILL');
      if (backend === 'real') {
        const amqp = await import('amqplib');
        const conn = await amqp.connect(process.env.AMQP_URL!);
        const ch = await conn.createChannel();
        for (const r of config.routes) for (const s of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.route.${r.id}${s}`);
        await ch.deleteExchange(`${prefix}.hub.events`);
        await conn.close();
        const pg = await import('pg');
        const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
        await c.connect();
        await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        await c.end();
      }
      rmSync(dir, { recursive: true, force: true });
    },
  };
  return h;
}
