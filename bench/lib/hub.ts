import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import pino from 'pino';
import { adapters } from '../../adapters/index.ts';
import type { Broker } from '../../src/broker/types.ts';
import { readEnv } from '../../src/config/env.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { HubConfig } from '../../src/config/types.ts';
import type { AdapterRegistry } from '../../src/core/adapter.ts';
import { Hub, type HubRole } from '../../src/hub.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { SchemaRegistry } from '../../src/schemas/registry.ts';
import type { Store } from '../../src/store/types.ts';
import { DeliveryCounter, noopSinkType } from './noop-sink.ts';

export type Backend = 'embedded' | 'real';

export const ADMIN_TOKEN = 'bench-admin-token-0123456789';

/** Compiled once per process, like the CLI does. */
export const schemas = new SchemaRegistry();

export interface RealEnv {
  databaseUrl: string;
  amqpUrl: string;
}

/** PostgreSQL and RabbitMQ from the environment, when both are named. */
export function realEnv(): RealEnv | undefined {
  const { DATABASE_URL, AMQP_URL } = process.env;
  return DATABASE_URL && AMQP_URL ? { databaseUrl: DATABASE_URL, amqpUrl: AMQP_URL } : undefined;
}

export const LAIS_INSTITUTIONS = [
  { id: 'lu.lv', name: 'Latvijas Universitāte' },
  { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
  { id: 'rsu.lv', name: 'Rīgas Stradiņa universitāte' },
  { id: 'va.lv', name: 'Vidzemes Augstskola' },
];

/** Each institution sends in LAIS format; every change goes to one no-op sink. */
export function benchConfig(opts: { concurrency?: number; institutions?: number } = {}): HubConfig {
  const inst = LAIS_INSTITUTIONS.slice(0, opts.institutions ?? LAIS_INSTITUTIONS.length);
  return {
    institutions: inst,
    sources: inst.map((i) => ({ id: laisSource(i.id), institution: i.id, system: 'lais', mappingSet: 'lais' })),
    sinks: [{ id: 'noop', type: 'bench-noop', options: {} }],
    routes: [
      {
        id: 'all',
        sink: 'noop',
        match: {},
        legalBasis: 'public-task',
        purpose: 'benchmark',
        concurrency: opts.concurrency ?? 16,
        retry: { maxAttempts: 3, initialDelayMs: 50 },
      },
    ],
  };
}

export const laisSource = (institution: string) => `${institution.split('.')[0]}-lais`;

export function registry(counter: DeliveryCounter): AdapterRegistry {
  return { sinks: [...adapters.sinks, noopSinkType(counter)], sources: adapters.sources };
}

export interface BenchHub {
  hub: Hub;
  counter: DeliveryCounter;
  dir: string;
  /** The PostgreSQL schema and AMQP prefix of a real hub (for worker processes that join it). */
  isolation?: { schema: string; prefix: string };
  stop(): Promise<void>;
}

const rand = () => Math.random().toString(36).slice(2, 10);

/** Deletes what a real hub created: its queues and exchange under the prefix, and its schema. */
export async function cleanupReal(real: RealEnv, schema: string, prefix: string, queues: string[]): Promise<void> {
  const amqp = await import('amqplib');
  const conn = await amqp.connect(real.amqpUrl);
  const ch = await conn.createChannel();
  for (const q of queues) for (const suffix of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${prefix}.${q}${suffix}`);
  await ch.deleteExchange(`${prefix}.hub.events`);
  await conn.close();
  const pg = await import('pg');
  const c = new pg.default.Client({ connectionString: real.databaseUrl });
  await c.connect();
  await c.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
  await c.end();
}

/**
 * A hub built like test/helpers/hub.ts makeHub builds one, with the no-op sink registered:
 * embedded (SQLite + embedded broker in a temp dir) or real (PostgreSQL in a fresh schema, RabbitMQ
 * under a fresh prefix; both removed by stop()).
 */
export async function benchHub(opts: {
  backend: Backend;
  config?: HubConfig;
  role?: HubRole;
  counter?: DeliveryCounter;
  /** Join an existing real hub's schema and prefix (they are then not removed by stop()). */
  join?: { schema: string; prefix: string };
  poolSize?: number;
  /** An existing data dir (kept by stop()); default a fresh temp dir, removed by stop(). */
  dir?: string;
}): Promise<BenchHub> {
  const dir = opts.dir ?? mkdtempSync(join(tmpdir(), 'hub-bench-'));
  const counter = opts.counter ?? new DeliveryCounter();
  const adapterRegistry = registry(counter);
  const env = readEnv({ HUB_DATA_DIR: dir, HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent' });
  const mappings = new MappingEngine();
  const config = validateConfig(opts.config ?? benchConfig(), { schemas, adapters: adapterRegistry, mappingsDir: mappings.dir });
  let store: Store | undefined;
  let broker: Broker | undefined;
  let isolation: { schema: string; prefix: string } | undefined;
  let cleanup = async (): Promise<void> => undefined;
  if (opts.backend === 'real') {
    const real = realEnv();
    if (!real) throw new Error('the real backend needs DATABASE_URL and AMQP_URL');
    const { PostgresStore } = await import('../../src/store/postgres/store.ts');
    const { AmqpBroker } = await import('../../src/broker/amqp/broker.ts');
    isolation = opts.join ?? { schema: `bench_${rand()}`, prefix: `bench${rand()}` };
    const { schema, prefix } = isolation;
    store = new PostgresStore(real.databaseUrl, { schema, ...(opts.poolSize ? { poolSize: opts.poolSize } : {}) });
    broker = new AmqpBroker(real.amqpUrl, { prefix });
    const queues = config.routes.map((r) => `route.${r.id}`);
    if (!opts.join) cleanup = () => cleanupReal(real, schema, prefix, queues);
  }
  const hub = await Hub.create({
    env,
    config,
    adapters: adapterRegistry,
    logger: pino({ level: 'silent' }),
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
    counter,
    dir,
    ...(isolation ? { isolation } : {}),
    stop: async () => {
      await hub.stop();
      await cleanup();
      if (!opts.dir) rmSync(dir, { recursive: true, force: true });
    },
  };
}
