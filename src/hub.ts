import { join } from 'node:path';
import type { Logger } from 'pino';
import { SignInLimiter } from './auth/sign-in-limiter.ts';
import { TokenService } from './auth/tokens.ts';
import { createBroker } from './broker/index.ts';
import { routeQueue, type Broker } from './broker/types.ts';
import type { EnvSettings } from './config/env.ts';
import type { HubConfig, ResolvedRoute } from './config/types.ts';
import type { AdapterContext, AdapterRegistry, OutboundContext, Sink } from './core/adapter.ts';
import { TargetPolicy, type Resolver } from './core/net/target-policy.ts';
import { ConfigError, isHubError, NotFoundError } from './core/errors.ts';
import { Readiness } from './core/readiness.ts';
import { Consumers } from './feeds/consumers.ts';
import { compileText, MappingEngine } from './mapping/engine.ts';
import { Gate } from './core/gate.ts';
import { HubMetrics } from './observability/metrics.ts';
import { Pipeline } from './pipeline/pipeline.ts';
import { OutboxRelay } from './pipeline/relay.ts';
import { Privacy } from './privacy/service.ts';
import { Router } from './routing/router.ts';
import { SchemaRegistry } from './schemas/registry.ts';
import { SourceManager } from './sources/manager.ts';
import { createStore } from './store/index.ts';
import type { Store, StoredMessage } from './store/types.ts';
import type { JsonObject } from './core/types.ts';
import { Webhooks } from './webhooks/service.ts';
import { EwpNode } from './ewp/node.ts';
import { Catalogue } from './catalogue/service.ts';
import { Credentials } from './credentials/service.ts';
import { startEmrexIncoming } from './emrex/client/index.ts';
import { learnerSessionsPersonalData } from './emrex/learner/personal-data.ts';
import type { ContactPointDirectory } from './emrex/client/directory.ts';
import type { EmrexClient } from './emrex/client/service.ts';

export type HubRole = 'all' | 'api' | 'worker';

export interface HubOptions {
  env: EnvSettings;
  config: HubConfig;
  adapters: AdapterRegistry;
  logger: Logger;
  schemas?: SchemaRegistry;
  mappings?: MappingEngine;
  /** api: HTTP only; worker: relay + consumers; all: both (embedded mode). */
  role?: HubRole;
  store?: Store;
  broker?: Broker;
  /** Collect process metrics (CPU, memory) too. */
  processMetrics?: boolean;
  /** How outbound targets' names are resolved (src/core/net); tests inject one, the system resolver otherwise. */
  resolve?: Resolver;
  /** How often a source's runner reads pause and sync requests written by another process (2 s). */
  sourceControlIntervalMs?: number;
}

/** What an adapter is handed, built from the hub's logger, data dir, secrets, mapping limits and target policy. */
function adapterContextOf(base: { logger: Logger; env: EnvSettings; mappings: MappingEngine; targets: TargetPolicy }, scope: string, origin: OutboundContext['origin'] = 'config'): AdapterContext {
  return {
    logger: base.logger.child({ component: scope }),
    dataDir: base.env.dataDir,
    secret: (name) => base.env.env[name],
    mappingsDir: base.mappings.dir,
    // A sink's mapping runs on live data too: under the same guard as the sources' mappings.
    compileMapping: (text, name) => compileText(text, name, base.mappings.limits),
    outbound: { origin, policy: base.targets },
  };
}

/** Everything Hub.create builds before the Hub exists: the Hub's constructor only keeps them. */
interface HubParts {
  readonly role: HubRole;
  readonly schemas: SchemaRegistry;
  readonly mappings: MappingEngine;
  readonly heavyReads: Gate;
  readonly metrics: HubMetrics;
  readonly routes: readonly ResolvedRoute[];
  readonly consumers: Consumers;
  readonly targets: TargetPolicy;
  readonly store: Store;
  readonly broker: Broker;
  readonly sinks: Map<string, Sink>;
  readonly tokens: TokenService;
  readonly privacy: Privacy;
  readonly router: Router;
  readonly relay: OutboxRelay;
  readonly pipeline: Pipeline;
  readonly webhooks: Webhooks;
  readonly ewp: EwpNode | undefined;
  readonly contactPoints: ContactPointDirectory;
  readonly emrexClient: EmrexClient | undefined;
  readonly catalogue: Catalogue;
  readonly credentials: Credentials;
  readonly sources: SourceManager | undefined;
}

/**
 * The hub's parts wired together: store, broker, pipeline, outbox relay, router and sinks.
 * The composition root: the CLI builds one, tests build their own, with `await Hub.create(opts)` (every
 * part built, store migrated, queues declared) and then `await hub.start()` (the background work).
 * Nothing else in src/ sees the Hub: the API, the console, Node-RED, sources and EWP take the few
 * parts they use as narrow interfaces (src/api/deps.ts, src/admin/deps.ts, src/nodered/deps.ts, src/ewp/deps.ts…),
 * which the Hub satisfies.
 */
export class Hub {
  readonly config: HubConfig;
  readonly env: EnvSettings;
  readonly logger: Logger;
  readonly schemas: SchemaRegistry;
  readonly mappings: MappingEngine;
  /** The cap on heavy admin reads (message lists and searches of the API and the console): src/api/heavy-reads.ts. */
  readonly heavyReads: Gate;
  readonly metrics: HubMetrics;
  readonly routes: readonly ResolvedRoute[];
  readonly role: HubRole;
  /** Feed and webhook consumers of the config (entities, institutions, fields). */
  readonly consumers: Consumers;
  /** Where outbound HTTP to targets of API input (and beyond a config sink's own host) may go. */
  readonly targets: TargetPolicy;
  readonly store: Store;
  readonly broker: Broker;
  readonly pipeline: Pipeline;
  readonly relay: OutboxRelay;
  readonly router: Router;
  readonly tokens: TokenService;
  readonly webhooks: Webhooks;
  /** Personal data: consent gate, disclosure log, subject access, erasure, retention (src/privacy/). */
  readonly privacy: Privacy;
  /** Erasmus Without Paper node of the HEIs in the config's ewp section (src/ewp/); undefined without one. */
  readonly ewp: EwpNode | undefined;
  /** The public catalogue of programmes and courses (src/catalogue/): a read model of the change log. */
  readonly catalogue: Catalogue;
  /** Digital credentials (src/credentials/): issued by `edc` routes, stored, revocable, with their status lists. */
  readonly credentials: Credentials;
  /** EMREX contact points of the EWP registry and an EMREG list (src/emrex/client/directory.ts). */
  readonly contactPoints: ContactPointDirectory;
  /** The hub as an EMREX client of the institutions of emrex.client (src/emrex/client/); undefined without it. */
  readonly emrexClient: EmrexClient | undefined;
  /** Sources read by adapters (roles all and worker; undefined in an API-only process). */
  readonly sources: SourceManager | undefined;
  /** What /readyz reports: store, broker, sources, EWP node, and parts that start later (the editor). */
  readonly readiness = new Readiness();
  /** Failed sign-ins per client address and user, for every sign-in form of this process. */
  readonly signIns = new SignInLimiter();
  private readonly sinks: Map<string, Sink>;
  private started = false;
  private metricsTimer: NodeJS.Timeout | undefined;
  /** When the message count by status may run again (refreshMessageCounts), and the one running. */
  private countsDue = 0;
  private counting: Promise<void> | undefined;

  private constructor(opts: HubOptions, parts: HubParts) {
    this.config = opts.config;
    this.env = opts.env;
    this.logger = opts.logger;
    this.role = parts.role;
    this.schemas = parts.schemas;
    this.mappings = parts.mappings;
    this.heavyReads = parts.heavyReads;
    this.metrics = parts.metrics;
    this.routes = parts.routes;
    this.consumers = parts.consumers;
    this.targets = parts.targets;
    this.store = parts.store;
    this.broker = parts.broker;
    this.sinks = parts.sinks;
    this.tokens = parts.tokens;
    this.privacy = parts.privacy;
    this.router = parts.router;
    this.relay = parts.relay;
    this.pipeline = parts.pipeline;
    this.webhooks = parts.webhooks;
    this.ewp = parts.ewp;
    this.contactPoints = parts.contactPoints;
    this.emrexClient = parts.emrexClient;
    this.catalogue = parts.catalogue;
    this.credentials = parts.credentials;
    this.sources = parts.sources;
    const reachable = (ping: () => Promise<void>) => () =>
      this.started
        ? ping().then(
            () => undefined,
            // An outage the operator must act on (a data file removed) says so; anything else is 'unreachable'.
            (e: unknown) => (isHubError(e) && typeof e.extra.readiness === 'string' ? e.extra.readiness : 'unreachable'),
          )
        : 'not started';
    this.readiness.set(
      'store',
      reachable(() => this.store.ping()),
    );
    this.readiness.set(
      'broker',
      reachable(() => this.broker.ping()),
    );
    if (this.role !== 'api' && opts.config.sources.some((s) => s.adapter)) this.readiness.set('sources', () => (this.started && this.sources ? undefined : 'not started'));
    if (opts.config.ewp) this.readiness.set('ewp', () => (this.started && this.ewp ? undefined : 'not started'));
  }

  /**
   * Builds the hub complete: opens store and broker, migrates, builds every part and declares the
   * queues. The EWP node, the catalogue and credentials start their own followers as they are built
   * (workers only); the relay, the router's consumers, webhooks, privacy jobs and sources wait for start().
   */
  static async create(opts: HubOptions): Promise<Hub> {
    const { config, env, logger } = opts;
    const role = opts.role ?? 'all';
    const schemas = opts.schemas ?? new SchemaRegistry();
    const mappings = opts.mappings ?? new MappingEngine();
    const limits = config.limits ?? {};
    const heavyReads = new Gate('heavy admin reads', { concurrent: limits.adminReads ?? 8, queue: limits.adminReadQueue ?? 16, retryAfterSeconds: 2 });
    mappings.setLimits({ ...(limits.mappingTimeoutMs ? { timeoutMs: limits.mappingTimeoutMs } : {}), ...(limits.mappingMaxDepth ? { maxDepth: limits.mappingMaxDepth } : {}) });
    const metrics = new HubMetrics(opts.processMetrics ?? false);
    const routes = config.routes as ResolvedRoute[];
    const consumers = new Consumers(config, schemas.entities());
    const targets = new TargetPolicy(config.webhooks?.allowTargets ?? [], opts.resolve);
    const adapterContext = (scope: string, origin?: OutboundContext['origin']) => adapterContextOf({ logger, env, mappings, targets }, scope, origin);

    const store = opts.store ?? (await createStore(env));
    // What create has opened or started, closed again (last first) when a later step fails.
    const undo: Array<() => Promise<void>> = opts.store ? [] : [() => store.close()];
    try {
      const broker = opts.broker ?? (await createBroker(env, logger.child({ component: 'broker' })));
      if (!opts.broker) undo.push(() => broker.close());
      return await Hub.build(opts, { role, schemas, mappings, heavyReads, metrics, routes, consumers, targets, adapterContext, store, broker, undo });
    } catch (e) {
      for (const close of undo.reverse()) await close().catch(() => undefined);
      throw e;
    }
  }

  private static async build(
    opts: HubOptions,
    made: Pick<HubParts, 'role' | 'schemas' | 'mappings' | 'heavyReads' | 'metrics' | 'routes' | 'consumers' | 'targets' | 'store' | 'broker'> & {
      adapterContext: (scope: string, origin?: OutboundContext['origin']) => AdapterContext;
      undo: Array<() => Promise<void>>;
    },
  ): Promise<Hub> {
    const { config, env, logger } = opts;
    const { role, schemas, mappings, heavyReads, metrics, routes, consumers, targets, adapterContext, store, broker, undo } = made;
    await store.migrate();
    await broker.connect();
    const tokens = new TokenService(store);
    const sinks = new Map<string, Sink>();
    for (const s of config.sinks) {
      const type = opts.adapters.sinks.find((t) => t.type === s.type);
      if (!type) throw new ConfigError(`unknown sink type ${s.type}`);
      const made = type.create(s.options ?? {}, adapterContext(`sink:${s.id}`));
      sinks.set(s.id, made);
      undo.push(async () => made.close?.());
    }
    const sink = (id: string) => sinks.get(id);
    const privacy = await Privacy.create({
      store,
      broker,
      config,
      env,
      logger: logger.child({ component: 'privacy' }),
      entities: schemas.entities(),
    });
    const router = new Router(routes, sinks, store, broker, metrics, logger, privacy);
    const relay = new OutboxRelay(store, broker, routes, metrics, logger);
    // A commit wakes what follows the change log: webhooks and the catalogue, once they are built below.
    const followers: { webhooks?: Webhooks; catalogue?: Catalogue } = {};
    const pipeline = new Pipeline({
      config,
      store,
      schemas,
      mappings,
      metrics,
      logger,
      onCommitted: (entity) => {
        relay.wake();
        followers.webhooks?.wake();
        followers.catalogue?.wake(entity);
      },
      onConsent: (record) => privacy.consentCommitted(record),
    });
    const ingest = (sourceId: string, entity: string, records: JsonObject[]) => pipeline.ingest(sourceId, entity, records, 'application/json');
    const webhooks = new Webhooks({
      sql: store.sql,
      schemas,
      consumers,
      sinkType: opts.adapters.sinks.find((t) => t.type === 'webhook'),
      context: adapterContext('webhooks', 'api'),
      metrics,
      logger: logger.child({ component: 'webhooks' }),
      ...(config.webhooks?.maxSubscriptionsPerConsumer ? { maxSubscriptionsPerConsumer: config.webhooks.maxSubscriptionsPerConsumer } : {}),
      ...(config.webhooks?.replayWindow !== undefined ? { replayWindow: config.webhooks.replayWindow } : {}),
      fullReplay: new Set((config.consumers ?? []).filter((c) => c.allowFullReplay).map((c) => c.id)),
      privacy,
    });
    followers.webhooks = webhooks;
    await webhooks.migrate();
    const ewp = await EwpNode.start({
      config,
      dataDir: env.dataDir,
      logger,
      sql: store.sql,
      ajv: schemas.ajv,
      metrics: metrics.registry,
      privacy,
      ingest,
      remove: (sourceId, entity, sourceIds) => pipeline.remove(sourceId, entity, sourceIds),
      sink,
      workers: role !== 'api',
    });
    if (ewp) undo.push(() => ewp.stop());
    const { directory: contactPoints, client: emrexClient } = await startEmrexIncoming({
      config,
      dataDir: env.dataDir,
      sql: store.sql,
      registry: ewp?.registry,
      ingest,
      personalData: privacy.holders,
      logger,
    });
    // The learner sessions of the contact point and the learner's page hold person ids: erasure and subject access know them.
    privacy.holders.register(await learnerSessionsPersonalData(store.sql));
    const catalogue = await Catalogue.start({
      sql: store.sql,
      logger: logger.child({ component: 'catalogue' }),
      follow: role !== 'api',
      ...(config.catalogue?.cacheEntries !== undefined ? { cacheEntries: config.catalogue.cacheEntries } : {}),
    });
    followers.catalogue = catalogue;
    undo.push(() => catalogue.stop());
    const credentials = await Credentials.start({
      sql: store.sql,
      config,
      dataDir: env.dataDir,
      logger: logger.child({ component: 'credentials' }),
      defaultPublicUrl: `http://localhost:${env.port}`,
      ingest,
      sink,
      workers: role !== 'api',
    });
    undo.push(() => credentials.stop());
    await router.declare();
    const sources =
      role !== 'api'
        ? new SourceManager({
            config,
            types: opts.adapters.sources,
            pipeline,
            sql: store.sql,
            registry: metrics.registry,
            logger,
            context: (scope) => adapterContext(scope),
            maps: (set, entity) => mappings.has(set, entity),
            ...(opts.sourceControlIntervalMs ? { controlIntervalMs: opts.sourceControlIntervalMs } : {}),
          })
        : undefined;
    return new Hub(opts, {
      role,
      schemas,
      mappings,
      heavyReads,
      metrics,
      routes,
      consumers,
      targets,
      store,
      broker,
      sinks,
      tokens,
      privacy,
      router,
      relay,
      pipeline,
      webhooks,
      ewp,
      contactPoints,
      emrexClient,
      catalogue,
      credentials,
      sources,
    });
  }

  /**
   * What an adapter is handed. `origin` says where its targets come from: the config (an admin wrote
   * them) or the API (webhook subscriptions), which decides what its outbound HTTP may reach.
   */
  adapterContext(scope: string, origin: OutboundContext['origin'] = 'config'): AdapterContext {
    return adapterContextOf(this, scope, origin);
  }

  /** Starts the background work of a worker (roles all and worker): relay, route consumers, webhooks, privacy jobs, sources; the gauges' timer in every role. */
  async start(): Promise<void> {
    if (this.role !== 'api') {
      this.relay.start();
      await this.router.start();
      this.webhooks.start();
      this.privacy.start();
    }
    this.started = true;
    if (this.sources) {
      // A source that cannot start (its mapping set does not fit, a missing secret) stops the hub.
      await this.sources.start().catch(async (e: unknown) => {
        await this.stop().catch(() => undefined);
        throw e;
      });
    }
    this.metricsTimer = setInterval(() => void this.refreshGauges().catch(() => undefined), 5000);
    this.metricsTimer.unref();
  }

  /** Updates gauges that are read from the store and broker (called before /metrics answers too). */
  async refreshGauges(): Promise<void> {
    for (const r of this.routes) {
      const s = await this.broker.stats(routeQueue(r.id));
      this.metrics.queueDepth.set({ route: r.id, state: 'ready' }, s.ready);
      this.metrics.queueDepth.set({ route: r.id, state: 'dead' }, s.dead);
    }
    await this.refreshMessageCounts();
    this.metrics.outboxLag.set(await this.store.countUnpublished(10_000));
  }

  /**
   * The count of messages by status walks the whole status index (0.35 s at 3 million messages, off the
   * event loop on SQLite: src/sqlite/background-reader.ts). One count at a time, and a count that took
   * over 50 ms is not run again for 20 times as long: the gauge is then that much older.
   */
  private async refreshMessageCounts(): Promise<void> {
    if (Date.now() < this.countsDue) return;
    this.counting ??= (async () => {
      const started = performance.now();
      try {
        const counts = await this.store.countMessagesByStatus();
        this.metrics.messagesByStatus.reset();
        for (const [status, n] of Object.entries(counts)) this.metrics.messagesByStatus.set({ status }, n);
      } finally {
        const ms = performance.now() - started;
        this.countsDue = ms > 50 ? Date.now() + 20 * ms : 0;
        this.counting = undefined;
      }
    })();
    await this.counting;
  }

  /**
   * Replays a message: a rejected one runs through map → validate → commit again (after a mapping
   * fix); a dead or withheld one is delivered again to the routes where it failed (after a sink fix).
   */
  async replay(id: string): Promise<{ message: StoredMessage; replayed: string[] }> {
    const m = await this.store.getMessage(id);
    if (!m) throw new NotFoundError(`no message ${id}`);
    if (m.status === 'rejected') {
      await this.pipeline.reprocess(m);
      return { message: (await this.store.getMessage(id))!, replayed: ['pipeline'] };
    }
    const reset = await this.store.resetDeliveries(id, ['dead', 'withheld']);
    for (const r of reset) {
      const event = await this.store.getEvent(r.eventId);
      if (event) await this.broker.sendToQueue(routeQueue(r.routeId), event);
    }
    if (reset.length === 0) {
      throw new NotFoundError(`message ${id} is ${m.status}: only rejected messages and messages with dead or withheld deliveries can be replayed`);
    }
    return { message: (await this.store.getMessage(id))!, replayed: reset.map((r) => r.routeId) };
  }

  async stop(): Promise<void> {
    if (this.metricsTimer) clearInterval(this.metricsTimer);
    await this.sources?.stop();
    if (this.started) {
      await this.router.stop();
      await this.privacy.stop();
      await this.relay.stop();
      await this.webhooks.stop();
    }
    // Started by create, whether or not start() ran.
    await this.ewp?.stop();
    await this.catalogue.stop();
    await this.credentials.stop();
    for (const s of this.sinks.values()) await s.close?.();
    await this.broker?.close();
    await this.store?.close();
    this.started = false;
  }

  /** A configured sink by id (reconciliation asks a register sink what it holds). */
  sink(id: string): Sink | undefined {
    return this.sinks.get(id);
  }

  dataPath(...parts: string[]): string {
    return join(this.env.dataDir, ...parts);
  }
}
