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
}

/**
 * The hub's parts wired together: store, broker, pipeline, outbox relay, router and sinks.
 * The composition root: the CLI builds one, tests build their own.
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
  store!: Store;
  broker!: Broker;
  pipeline!: Pipeline;
  relay!: OutboxRelay;
  router!: Router;
  tokens!: TokenService;
  webhooks!: Webhooks;
  /** Personal data: consent gate, disclosure log, subject access, erasure, retention (src/privacy/). */
  privacy!: Privacy;
  /** Erasmus Without Paper node of the HEIs in the config's ewp section (src/ewp/); undefined without one. */
  ewp: EwpNode | undefined;
  /** The public catalogue of programmes and courses (src/catalogue/): a read model of the change log. */
  catalogue!: Catalogue;
  /** Digital credentials (src/credentials/): issued by `edc` routes, stored, revocable, with their status lists. */
  credentials!: Credentials;
  /** EMREX contact points of the EWP registry and an EMREG list (src/emrex/client/directory.ts). */
  contactPoints!: ContactPointDirectory;
  /** The hub as an EMREX client of the institutions of emrex.client (src/emrex/client/); undefined without it. */
  emrexClient: EmrexClient | undefined;
  /** Sources read by adapters (roles all and worker; undefined in an API-only process). */
  sources: SourceManager | undefined;
  /** What /readyz reports: store, broker, sources, EWP node, and parts that start later (the editor). */
  readonly readiness = new Readiness();
  /** Failed sign-ins per client address and user, for every sign-in form of this process. */
  readonly signIns = new SignInLimiter();
  private sinks = new Map<string, Sink>();
  private started = false;
  private metricsTimer: NodeJS.Timeout | undefined;

  constructor(private readonly opts: HubOptions) {
    this.config = opts.config;
    this.env = opts.env;
    this.logger = opts.logger;
    this.role = opts.role ?? 'all';
    this.schemas = opts.schemas ?? new SchemaRegistry();
    this.mappings = opts.mappings ?? new MappingEngine();
    const limits = opts.config.limits ?? {};
    this.heavyReads = new Gate('heavy admin reads', { concurrent: limits.adminReads ?? 8, queue: limits.adminReadQueue ?? 16, retryAfterSeconds: 2 });
    this.mappings.setLimits({ ...(limits.mappingTimeoutMs ? { timeoutMs: limits.mappingTimeoutMs } : {}), ...(limits.mappingMaxDepth ? { maxDepth: limits.mappingMaxDepth } : {}) });
    this.metrics = new HubMetrics(opts.processMetrics ?? false);
    this.routes = opts.config.routes as ResolvedRoute[];
    this.consumers = new Consumers(opts.config, this.schemas.entities());
    this.targets = new TargetPolicy(opts.config.webhooks?.allowTargets ?? [], opts.resolve);
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
   * What an adapter is handed. `origin` says where its targets come from: the config (an admin wrote
   * them) or the API (webhook subscriptions), which decides what its outbound HTTP may reach.
   */
  adapterContext(scope: string, origin: OutboundContext['origin'] = 'config'): AdapterContext {
    return {
      logger: this.logger.child({ component: scope }),
      dataDir: this.env.dataDir,
      secret: (name) => this.env.env[name],
      mappingsDir: this.mappings.dir,
      // A sink's mapping runs on live data too: under the same guard as the sources' mappings.
      compileMapping: (text, name) => compileText(text, name, this.mappings.limits),
      outbound: { origin, policy: this.targets },
    };
  }

  /** Opens store and broker, migrates, declares queues; starts relay and consumers for workers. */
  async start(): Promise<void> {
    this.store = this.opts.store ?? (await createStore(this.env));
    this.broker = this.opts.broker ?? (await createBroker(this.env, this.logger.child({ component: 'broker' })));
    await this.store.migrate();
    await this.broker.connect();
    this.tokens = new TokenService(this.store);
    for (const s of this.config.sinks) {
      const type = this.opts.adapters.sinks.find((t) => t.type === s.type);
      if (!type) throw new ConfigError(`unknown sink type ${s.type}`);
      this.sinks.set(s.id, type.create(s.options ?? {}, this.adapterContext(`sink:${s.id}`)));
    }
    this.privacy = await Privacy.create({
      store: this.store,
      broker: this.broker,
      config: this.config,
      env: this.env,
      logger: this.logger.child({ component: 'privacy' }),
      entities: this.schemas.entities(),
    });
    this.router = new Router(this.routes, this.sinks, this.store, this.broker, this.metrics, this.logger, this.privacy);
    this.relay = new OutboxRelay(this.store, this.broker, this.routes, this.metrics, this.logger);
    this.pipeline = new Pipeline({
      config: this.config,
      store: this.store,
      schemas: this.schemas,
      mappings: this.mappings,
      metrics: this.metrics,
      logger: this.logger,
      onCommitted: () => {
        this.relay.wake();
        this.webhooks.wake();
        this.catalogue?.wake();
      },
      onConsent: (record) => this.privacy.consentCommitted(record),
    });
    this.webhooks = new Webhooks({
      sql: this.store.sql,
      schemas: this.schemas,
      consumers: this.consumers,
      sinkType: this.opts.adapters.sinks.find((t) => t.type === 'webhook'),
      context: this.adapterContext('webhooks', 'api'),
      metrics: this.metrics,
      logger: this.logger.child({ component: 'webhooks' }),
      ...(this.config.webhooks?.maxSubscriptionsPerConsumer ? { maxSubscriptionsPerConsumer: this.config.webhooks.maxSubscriptionsPerConsumer } : {}),
      ...(this.config.webhooks?.replayWindow !== undefined ? { replayWindow: this.config.webhooks.replayWindow } : {}),
      fullReplay: new Set((this.config.consumers ?? []).filter((c) => c.allowFullReplay).map((c) => c.id)),
      privacy: this.privacy,
    });
    await this.webhooks.migrate();
    this.ewp = await EwpNode.start({
      config: this.config,
      dataDir: this.env.dataDir,
      logger: this.logger,
      sql: this.store.sql,
      ajv: this.schemas.ajv,
      metrics: this.metrics.registry,
      privacy: this.privacy,
      ingest: (sourceId, entity, records) => this.pipeline.ingest(sourceId, entity, records, 'application/json'),
      remove: (sourceId, entity, sourceIds) => this.pipeline.remove(sourceId, entity, sourceIds),
      sink: (id) => this.sink(id),
      workers: this.role !== 'api',
    });
    ({ directory: this.contactPoints, client: this.emrexClient } = await startEmrexIncoming({
      config: this.config,
      dataDir: this.env.dataDir,
      sql: this.store.sql,
      registry: this.ewp?.registry,
      ingest: (sourceId, entity, records) => this.pipeline.ingest(sourceId, entity, records, 'application/json'),
      personalData: this.privacy.holders,
      logger: this.logger,
    }));
    // The learner sessions of the contact point and the learner's page hold person ids: erasure and subject access know them.
    this.privacy.holders.register(await learnerSessionsPersonalData(this.store.sql));
    this.catalogue = await Catalogue.start({
      sql: this.store.sql,
      logger: this.logger.child({ component: 'catalogue' }),
      follow: this.role !== 'api',
      ...(this.config.catalogue?.cacheEntries !== undefined ? { cacheEntries: this.config.catalogue.cacheEntries } : {}),
    });
    this.credentials = await Credentials.start({
      sql: this.store.sql,
      config: this.config,
      dataDir: this.env.dataDir,
      logger: this.logger.child({ component: 'credentials' }),
      defaultPublicUrl: `http://localhost:${this.env.port}`,
      ingest: (sourceId, entity, records) => this.pipeline.ingest(sourceId, entity, records, 'application/json'),
      sink: (id) => this.sink(id),
      workers: this.role !== 'api',
    });
    await this.router.declare();
    if (this.role !== 'api') {
      this.relay.start();
      await this.router.start();
      this.webhooks.start();
      this.privacy.start();
    }
    this.started = true;
    if (this.role !== 'api') {
      this.sources = new SourceManager({
        config: this.config,
        types: this.opts.adapters.sources,
        pipeline: this.pipeline,
        sql: this.store.sql,
        registry: this.metrics.registry,
        logger: this.logger,
        context: (scope) => this.adapterContext(scope),
        maps: (set, entity) => this.mappings.has(set, entity),
      });
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
    const counts = await this.store.countMessagesByStatus();
    this.metrics.messagesByStatus.reset();
    for (const [status, n] of Object.entries(counts)) this.metrics.messagesByStatus.set({ status }, n);
    this.metrics.outboxLag.set((await this.store.pendingOutbox(10_000)).length);
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
    this.sources = undefined;
    if (this.started) {
      await this.router.stop();
      await this.privacy.stop();
      await this.relay.stop();
      await this.webhooks.stop();
      await this.ewp?.stop();
      await this.catalogue.stop();
      await this.credentials.stop();
    }
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
