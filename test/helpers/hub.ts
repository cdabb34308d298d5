import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import pino, { type Logger } from 'pino';
import { adapters } from '../../adapters/index.ts';
import type { AdapterRegistry } from '../../src/core/adapter.ts';
import { createApp } from '../../src/api/app.ts';
import { AmqpBroker, type AmqpBrokerOptions } from '../../src/broker/amqp/broker.ts';
import type { Broker } from '../../src/broker/types.ts';
import { readEnv } from '../../src/config/env.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { HubConfig } from '../../src/config/types.ts';
import { Hub, type HubRole } from '../../src/hub.ts';
import type { Resolver } from '../../src/core/net/target-policy.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { SchemaRegistry } from '../../src/schemas/registry.ts';
// Imported here, not with import(): under mocha a dynamic import loads a second copy of the modules
// (its errors would not be instances of the HubError the hub checks for).
import { PostgresStore } from '../../src/store/postgres/store.ts';
import type { Store } from '../../src/store/types.ts';
import { isCI, missingInCI } from './ci.ts';

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

/**
 * Which backends a test file runs against: always embedded; the real ones (PostgreSQL + RabbitMQ)
 * when DATABASE_URL and AMQP_URL name them. Under CI both must be set: a missing one throws
 * instead of silently dropping the real-backend runs.
 */
export function backends(): Backend[] {
  const missing = ['DATABASE_URL', 'AMQP_URL'].filter((v) => !process.env[v]);
  if (missing.length === 0) return ['embedded', 'real'];
  if (isCI()) throw missingInCI(`the real-backend runs need ${missing.join(' and ')}`);
  if (!announced) console.log(`      real backends skipped: ${missing.join(' and ')} not set (embedded only)`);
  announced = true;
  return ['embedded'];
}
let announced = false;

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
  opts: {
    config?: HubConfig;
    backend?: Backend;
    env?: Record<string, string>;
    role?: HubRole;
    dir?: string;
    mappings?: MappingEngine;
    logger?: Logger;
    adapters?: AdapterRegistry;
    /** 'real' only: where the hub's broker connects (a TcpProxy in front of AMQP_URL), and its options. */
    amqp?: { url: string; options?: Omit<AmqpBrokerOptions, 'prefix'> };
    /** How outbound target names resolve (tests answer with any address, and nothing is looked up). */
    resolve?: Resolver;
  } = {},
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
    broker = new AmqpBroker(opts.amqp?.url ?? process.env.AMQP_URL!, { ...opts.amqp?.options, prefix });
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
  const hub = await Hub.create({
    env,
    config,
    adapters: registry,
    logger: opts.logger ?? pino({ level: 'silent' }),
    schemas,
    mappings,
    role: opts.role ?? 'all',
    ...(store ? { store } : {}),
    ...(broker ? { broker } : {}),
    ...(opts.resolve ? { resolve: opts.resolve } : {}),
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

export { eventually } from './eventually.ts';

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

/** Deletes the RabbitMQ queues of flow subscriptions (makeHub's cleanup knows only the config's routes). */
export async function deleteFlowQueues(t: TestHub, names: string[]): Promise<void> {
  if (t.hub.broker.kind !== 'amqp' || !process.env.AMQP_URL) return;
  const prefix = (t.hub.broker as unknown as { prefix: string }).prefix;
  const amqp = await import('amqplib');
  const conn = await amqp.connect(process.env.AMQP_URL);
  const ch = await conn.createChannel();
  for (const n of names) for (const suffix of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.route.flow.${n}${suffix}`);
  await conn.close();
}
