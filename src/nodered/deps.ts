import type { Logger } from 'pino';
import type { SignInLimiter } from '../auth/sign-in-limiter.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Broker } from '../broker/types.ts';
import type { EnvSettings } from '../config/env.ts';
import type { HubConfig } from '../config/types.ts';
import type { Readiness } from '../core/readiness.ts';
import type { MappingEngine } from '../mapping/engine.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { Privacy } from '../privacy/service.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import type { Store } from '../store/types.ts';

/**
 * What the hub's Node-RED nodes reach through the bridge (src/nodered/bridge.ts), handed in by the
 * composition root (the Hub has these parts).
 */
export interface BridgeDeps {
  /** Institutions, sources and routes (the editor's pick lists, `hub flows check`), limits. */
  readonly config: HubConfig;
  readonly logger: Logger;
  /** Records by id (`hub record`); deliveries and attempts of flow subscriptions; dead letters watched by SQL. */
  readonly store: Store;
  /** Flow subscriptions consume the routes' queues. */
  readonly broker: Broker;
  readonly metrics: HubMetrics;
  /** Entities, and records checked against their schemas (`hub validate`). */
  readonly schemas: SchemaRegistry;
  /** `hub map`: the mapping sets. */
  readonly mappings: MappingEngine;
  /** The consent gate of flow subscriptions; persons resolved by reference (`hub record`). */
  readonly privacy: Privacy;
  /** `hub ingest`: records written through a source. */
  readonly pipeline: Pick<Pipeline, 'ingest'>;
}

/** What the embedded editor (src/nodered/embed.ts) uses besides the bridge: data dir and secrets, tokens and sign-in, readiness. */
export interface NodeRedDeps extends BridgeDeps {
  /** HUB_DATA_DIR (flows, credentials) and the process environment (the credential secret). */
  readonly env: Pick<EnvSettings, 'dataDir' | 'env'>;
  /** The editor's sign-in takes admin tokens; http in nodes take hub tokens. */
  readonly tokens: TokenService;
  /** /readyz says 'editor: starting' until Node-RED has started. */
  readonly readiness: Pick<Readiness, 'state'>;
  /** Failed sign-ins per client address and user, shared with the admin console. */
  readonly signIns: SignInLimiter;
}
