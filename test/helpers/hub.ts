import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { adapters } from '../../adapters/index.ts';
import type { AdapterRegistry } from '../../src/core/adapter.ts';
import { createApp } from '../../src/api/app.ts';
import { AmqpBroker } from '../../src/broker/amqp/broker.ts';
import type { Broker } from '../../src/broker/types.ts';
import { readEnv } from '../../src/config/env.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { HubConfig } from '../../src/config/types.ts';
import { Hub, type HubRole } from '../../src/hub.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { SchemaRegistry } from '../../src/schemas/registry.ts';
// Imported here, not with import(): under mocha a dynamic import loads a second copy of the modules
// (its errors would not be instances of the HubError the hub checks for).
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { Store } from '../../src/store/types.ts';

export const schemas = new SchemaRegistry();
export const ADMIN_TOKEN = 'test-admin-token-0123456789';

export function baseConfig(extra: Partial<HubConfig> = {}): HubConfig {
  return {
    institutions: [
      { id: 'lu.lv', name: 'Latvijas Universitāte' },
      { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
    ],
    sources: [
      { id: 'rtu-push', institution: 'rtu.lv', mappingSet: 'canonical' },
      { id: 'lu-lais', institution: 'lu.lv', system: 'lais', mappingSet: 'lais' },
    ],
    sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
    routes: [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } }],
    ...extra,
  };
}

export type Backend = 'embedded' | 'real';

/** Which backends a test file should run against: always embedded; real ones when the env names them. */
export function backends(): Backend[] {
  return process.env.DATABASE_URL && process.env.AMQP_URL ? ['embedded', 'real'] : ['embedded'];
}

export interface TestHub {
  hub: Hub;
  app: Express;
  dir: string;
  config: HubConfig;
  stop(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

/** A hub on a temp data dir. 'real' uses PostgreSQL (fresh schema) and RabbitMQ (fresh prefix). */
export async function makeHub(
  opts: { config?: HubConfig; backend?: Backend; env?: Record<string, string>; role?: HubRole; dir?: string; mappings?: MappingEngine; logger?: Logger; adapters?: AdapterRegistry } = {},
): Promise<TestHub> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hub-test-'));
  const env = readEnv({ HUB_DATA_DIR: dir, HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', ...opts.env });
  const mappings = opts.mappings ?? new MappingEngine();
  const registry = opts.adapters ?? adapters;
  const config = validateConfig(opts.config ?? baseConfig(), { schemas, adapters: registry, mappingsDir: mappings.dir });
  let store: Store | undefined;
  let broker: Broker | undefined;
  let cleanup = async () => undefined as unknown;
  if (opts.backend === 'real') {
    const schema = `t_${rand()}`;
    const prefix = `t${rand()}`;
    store = new PostgresStore(process.env.DATABASE_URL!, { schema });
    broker = new AmqpBroker(process.env.AMQP_URL!, { prefix });
    const queues = config.routes.map((r) => `route.${r.id}`);
    cleanup = async () => {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(process.env.AMQP_URL!);
      const ch = await conn.createChannel();
      for (const q of queues) for (const suffix of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.${q}${suffix}`);
      await ch.deleteExchange(`${prefix}.hub.events`);
      await conn.close();
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
      await c.end();
    };
  }
  const hub = new Hub({
    env,
    config,
    adapters: registry,
    logger: opts.logger ?? pino({ level: 'silent' }),
    schemas,
    mappings,
    role: opts.role ?? 'all',
    ...(store ? { store } : {}),
    ...(broker ? { broker } : {}),
  });
  await hub.start();
  await hub.tokens.ensureAdmin(ADMIN_TOKEN);
  return {
    hub,
    app: createApp(hub),
    dir,
    config,
    stop: async () => {
      await hub.stop();
      await cleanup();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}

/** Polls until fn returns a truthy value, or fails after timeoutMs. */
export async function eventually<T>(fn: () => Promise<T | undefined | false>, timeoutMs = 10_000, what = 'condition'): Promise<T> {
  const until = Date.now() + timeoutMs;
  let last: unknown;
  while (Date.now() < until) {
    try {
      const v = await fn();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await new Promise((r) => setTimeout(r, 25));
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${(last as Error).message}` : ''}`);
}

export const auth = { authorization: `Bearer ${ADMIN_TOKEN}` };

export function canonicalPerson(n: number, extra: Record<string, unknown> = {}) {
  const id = `RTU${String(n).padStart(6, '0')}`;
  return {
    institution: 'rtu.lv',
    sourceId: id,
    identifiers: [{ scheme: 'student-number', value: id }],
    givenNames: 'Līga',
    familyName: 'Ozoliņa',
    ...extra,
  };
}
