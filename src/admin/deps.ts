import type { Logger } from 'pino';
import type { SignInLimiter } from '../auth/sign-in-limiter.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Broker } from '../broker/types.ts';
import type { HubConfig, ResolvedRoute } from '../config/types.ts';
import type { Sink } from '../core/adapter.ts';
import type { Gate } from '../core/gate.ts';
import type { EwpNode } from '../ewp/node.ts';
import type { EwpServices } from '../ewp/services.ts';
import type { MappingEngine } from '../mapping/engine.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import type { SourceManager } from '../sources/manager.ts';
import type { Store, StoredMessage } from '../store/types.ts';

/** What a replay did: the message as it is now, and where it ran again (the pipeline, or the routes). */
export interface Replayed {
  message: StoredMessage;
  replayed: string[];
}

/**
 * What the admin console (src/admin/) uses of the rest of the hub, handed in by the composition root
 * (the API app passes on what it was given; the Hub has these parts). Each page takes the few it uses
 * (`Pick<AdminDeps, …>`).
 */
export interface AdminDeps {
  /** Institutions and sources (filters, names), limits of the mapping sandbox. */
  readonly config: HubConfig;
  readonly logger: Logger;
  /** The store's readers of messages, deliveries and records; its SQL access for the console's own queries. */
  readonly store: Pick<Store, 'sql' | 'getMessage' | 'listDeliveries' | 'messageTrail' | 'getRecord'>;
  /** Queue depths on the dashboard. */
  readonly broker: Pick<Broker, 'stats'>;
  /** The canonical entities and their schemas. */
  readonly schemas: SchemaRegistry;
  /** The mapping sets: listed, tried, checked against their golden files. */
  readonly mappings: MappingEngine;
  /** /admin/metrics. */
  readonly metrics: Pick<HubMetrics, 'registry'>;
  /** The cap on heavy admin reads (message lists and searches): src/api/heavy-reads.ts. */
  readonly heavyReads: Gate;
  /** The routes of the config (dead letters, queue depths). */
  readonly routes: readonly ResolvedRoute[];
  /** The EWP node, for nominations and failing partners; undefined without one. */
  readonly ewp: (EwpServices & Pick<EwpNode, 'failingPartners'>) | undefined;
  /** The console's sign-in: failed attempts limited per address and user, admin tokens checked. */
  readonly signIns: Pick<SignInLimiter, 'check' | 'failed' | 'succeeded'>;
  readonly tokens: Pick<TokenService, 'authenticate'>;
  /** Sources read by adapters in this process (undefined in an API-only one): their health. */
  readonly sources: SourceManager | undefined;
  /** A configured sink by id: its health, when it runs in this process. */
  sink(id: string): Sink | undefined;
  /** Updates the gauges read from store and broker, before /admin/metrics answers. */
  refreshGauges(): Promise<void>;
  /** Replays a rejected message through the pipeline, or a dead or withheld one to its routes. */
  replay(id: string): Promise<Replayed>;
}
