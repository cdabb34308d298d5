import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { Express } from 'express';
import pino from 'pino';
import { adapters } from '../../adapters/index.ts';
import { createApp } from '../../src/api/app.ts';
import type { Broker } from '../../src/broker/types.ts';
import { readEnv } from '../../src/config/env.ts';
import { validateConfig } from '../../src/config/load.ts';
import type { HubConfig, SourceConfig } from '../../src/config/types.ts';
import type { AdapterRegistry } from '../../src/core/adapter.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { Hub, type HubRole } from '../../src/hub.ts';
import { MappingEngine } from '../../src/mapping/engine.ts';
import type { SourceRunner } from '../../src/sources/runner.ts';
import type { Store } from '../../src/store/types.ts';
import { ADMIN_TOKEN, eventually, schemas, type Backend } from '../helpers/hub.ts';

const rand = () => Math.random().toString(36).slice(2, 10);
const mappings = new MappingEngine();

/**
 * The storage behind hubs that are stopped and opened again (restart tests): a data dir, and for the
 * real backend a PostgreSQL schema and a RabbitMQ prefix of their own; drop() removes them.
 */
export class Backing {
  readonly dir = mkdtempSync(join(tmpdir(), 'hub-src-'));
  private readonly schema = `t_${rand()}`;
  private readonly prefix = `t${rand()}`;
  private queues = new Set<string>();

  constructor(readonly backend: Backend) {}

  async open(config: HubConfig, opts: { role?: HubRole; env?: Record<string, string>; registry?: AdapterRegistry; sourceControlIntervalMs?: number } = {}): Promise<OpenHub> {
    const registry = opts.registry ?? adapters;
    const cfg = validateConfig(config, { schemas, adapters: registry, mappingsDir: mappings.dir });
    let store: Store | undefined;
    let broker: Broker | undefined;
    if (this.backend === 'real') {
      const { PostgresStore } = await import('../../src/store/postgres/store.ts');
      const { AmqpBroker } = await import('../../src/broker/amqp/broker.ts');
      store = new PostgresStore(process.env.DATABASE_URL!, { schema: this.schema });
      broker = new AmqpBroker(process.env.AMQP_URL!, { prefix: this.prefix });
      for (const r of cfg.routes) this.queues.add(`route.${r.id}`);
    }
    const env = readEnv({ HUB_DATA_DIR: this.dir, HUB_ADMIN_TOKEN: ADMIN_TOKEN, LOG_LEVEL: 'silent', ...opts.env });
    const hub = await Hub.create({
      env,
      config: cfg,
      adapters: registry,
      logger: pino({ level: 'silent' }),
      schemas,
      mappings,
      role: opts.role ?? 'all',
      ...(store ? { store } : {}),
      ...(broker ? { broker } : {}),
      ...(opts.sourceControlIntervalMs ? { sourceControlIntervalMs: opts.sourceControlIntervalMs } : {}),
    });
    await hub.start();
    await hub.tokens.ensureAdmin(ADMIN_TOKEN);
    return { hub, app: createApp(hub), stop: () => hub.stop() };
  }

  async drop(): Promise<void> {
    if (this.backend === 'real') {
      const amqp = await import('amqplib');
      const conn = await amqp.connect(process.env.AMQP_URL!);
      const ch = await conn.createChannel();
      for (const q of this.queues) for (const suffix of ['', '.retry', '.dead', '.bindings']) await ch.deleteQueue(`${this.prefix}.${q}${suffix}`);
      await ch.deleteExchange(`${this.prefix}.hub.events`);
      await conn.close();
      const pg = await import('pg');
      const c = new pg.default.Client({ connectionString: process.env.DATABASE_URL });
      await c.connect();
      await c.query(`DROP SCHEMA IF EXISTS ${this.schema} CASCADE`);
      await c.end();
    }
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export interface OpenHub {
  hub: Hub;
  app: Express;
  stop(): Promise<void>;
}

/** A config with the usual test institutions, one adapter source and an archive route. */
export function sourceConfig(sources: SourceConfig[], opts: { routes?: boolean } = {}): HubConfig {
  return {
    institutions: [
      { id: 'lu.lv', name: 'Latvijas Universitāte' },
      { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
      { id: 'rsu.lv', name: 'Rīgas Stradiņa universitāte' },
    ],
    sources,
    sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
    routes: opts.routes === false ? [] : [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } }],
  };
}

export function laisSourceConfig(baseUrl: string, options: JsonObject = {}): SourceConfig {
  return {
    id: 'lu-lais',
    institution: 'lu.lv',
    system: 'lais',
    mappingSet: 'lais',
    adapter: { type: 'lais', options: { baseUrl, pollIntervalMs: 3_600_000, retry: { initialDelayMs: 20, maxDelayMs: 200 }, ...options } },
  };
}

export function runner(hub: Hub, id: string): SourceRunner {
  const r = hub.sources?.runner(id);
  if (!r) throw new Error(`no runner for ${id}`);
  return r;
}

/** Waits until the source has finished a successful pass after `after` passes of this process. */
export async function passDone(hub: Hub, id: string, after = 0, timeoutMs = 30_000): Promise<void> {
  const r = runner(hub, id);
  await eventually(async () => r.passes > after && r.lastPass?.result === 'ok', timeoutMs, `a successful pass of ${id} (passes ${r.passes}, last ${r.lastPass?.result})`);
}

/** Triggers a pass and waits for it to succeed. */
export async function syncNow(hub: Hub, id: string, timeoutMs = 30_000): Promise<void> {
  const before = runner(hub, id).passes;
  await hub.sources!.trigger(id, false);
  await passDone(hub, id, before, timeoutMs);
}

export async function countRecords(hub: Hub, source: string): Promise<Record<string, number>> {
  const rows = await hub.store.sql.query<{ entity: string; n: unknown }>('SELECT entity, COUNT(*) AS n FROM records WHERE source_system = ? GROUP BY entity', [source]);
  return Object.fromEntries(rows.map((r) => [r.entity, Number(r.n)]));
}

export async function countMessages(hub: Hub, sourceId: string, status?: string): Promise<number> {
  const rows = await hub.store.sql.query<{ n: unknown }>(`SELECT COUNT(*) AS n FROM messages WHERE source_id = ?${status ? ' AND status = ?' : ''}`, status ? [sourceId, status] : [sourceId]);
  return Number(rows[0]?.n ?? 0);
}

export async function countChanges(hub: Hub, source: string): Promise<number> {
  const rows = await hub.store.sql.query<{ n: unknown }>('SELECT COUNT(*) AS n FROM changes c JOIN records r ON r.id = c.record_id WHERE r.source_system = ?', [source]);
  return Number(rows[0]?.n ?? 0);
}

/** The canonical record of a source's record, by entity and source id. */
export async function recordOf(hub: Hub, entity: string, sourceSystem: string, sourceId: string): Promise<{ version: number; data: JsonObject } | undefined> {
  const [row] = await hub.store.sql.query<{ id: string }>('SELECT id FROM records WHERE entity = ? AND source_system = ? AND source_id = ?', [entity, sourceSystem, sourceId]);
  if (!row) return undefined;
  const r = await hub.store.getRecord(entity, row.id);
  return r ? { version: r.version, data: r.data } : undefined;
}
