import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { HubConfig } from '../../src/config/types.ts';
import { need, suiteNeeds } from '../helpers/ci.ts';
import { baseConfig } from '../helpers/hub.ts';

/** Fault tests need the real engines: skipped without them (saying so), failing under CI (test/helpers/ci.ts). */
export function realBackends(suite: Mocha.Suite): boolean {
  return suiteNeeds(`"${suite.title}"`, [!process.env.DATABASE_URL && 'DATABASE_URL', !process.env.AMQP_URL && 'AMQP_URL']);
}

/** Skips a fault test that lacks what it needs, saying why; under CI a missing need fails it. */
export const needs = need;

const rand = () => Math.random().toString(36).slice(2, 10);

/** A receiver that counts deliveries by their Idempotency-Key header; it can be told to fail. */
export async function countingReceiver() {
  const counts = new Map<string, number>();
  /** failWith: answer every request with this status; hold: keep answers back until release(). */
  const state = { failWith: 0, hold: false, requests: 0 };
  /** Keys of the requests held back, in arrival order (a key may come more than once). */
  const held: { key: string; answer: () => void }[] = [];
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      state.requests++;
      if (state.failWith) return void res.writeHead(state.failWith).end();
      const key = String(req.headers['idempotency-key']);
      const answer = () => {
        counts.set(key, (counts.get(key) ?? 0) + 1);
        if (!res.destroyed) res.writeHead(204).end();
      };
      if (state.hold) held.push({ key, answer });
      else answer();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const url = `http://127.0.0.1:${(server.address() as { port: number }).port}/hook`;
  return {
    counts,
    state,
    url,
    held,
    /** Answers (and counts) every held request, stops holding, and returns the keys it answered. */
    release: (): string[] => {
      state.hold = false;
      const answered = held.splice(0);
      for (const h of answered) h.answer();
      return answered.map((h) => h.key);
    },
    duplicates: () => [...counts.values()].filter((n) => n > 1).length,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}

/** A config file, a data dir, an isolated PostgreSQL schema and AMQP prefix, and their cleanup. */
export function isolatedDeployment(hookUrl: string, extra: Partial<HubConfig> = {}) {
  const dir = mkdtempSync(join(tmpdir(), 'hub-fault-'));
  const schema = `f_${rand()}`;
  const prefix = `f${rand()}`;
  const config = baseConfig({
    sinks: [{ id: 'hook', type: 'webhook', options: { url: hookUrl, secretEnv: 'HOOK_SECRET', timeoutMs: 3000 } }],
    routes: [
      { id: 'to-hook', sink: 'hook', match: {}, legalBasis: 'public-task', purpose: 'fault test', concurrency: 16, retry: { maxAttempts: 50, initialDelayMs: 200, multiplier: 1.5, maxDelayMs: 2000 } },
    ],
    ...extra,
  });
  const configFile = join(dir, 'hub.json');
  writeFileSync(configFile, JSON.stringify(config));
  const env = {
    HUB_CONFIG: configFile,
    HUB_DATA_DIR: join(dir, 'data'),
    HUB_ADMIN_TOKEN: 'fault-test-admin-token-0123',
    HOOK_SECRET: 'k',
    HUB_DB_SCHEMA: schema,
    HUB_AMQP_PREFIX: prefix,
    HOST: '127.0.0.1',
  };
  /** Removes the queues (from `amqpUrl`, default AMQP_URL; none for a broker that is gone), the schema and the files. */
  const cleanup = async (opts: { amqpUrl?: string | null } = {}) => {
    const amqpUrl = opts.amqpUrl === null ? undefined : (opts.amqpUrl ?? process.env.AMQP_URL);
    if (amqpUrl) {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(amqpUrl);
      const ch = await conn.createChannel();
      for (const r of config.routes) for (const s of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.route.${r.id}${s}`);
      await ch.deleteExchange(`${prefix}.hub.events`);
      await conn.close();
    }
    if (process.env.DATABASE_URL) {
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    }
    rmSync(dir, { recursive: true, force: true });
  };
  return { dir, config, configFile, env, schema, prefix, cleanup };
}

export function people(from: number, n: number, prefix = 'F') {
  return Array.from({ length: n }, (_, i) => {
    const id = `${prefix}${String(from + i).padStart(7, '0')}`;
    return { institution: 'rtu.lv', sourceId: id, identifiers: [{ scheme: 'student-number', value: id }], givenNames: 'Jānis', familyName: 'Bērziņš' };
  });
}
