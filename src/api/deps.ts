import type { Logger } from 'pino';
import type { AdminDeps, Replayed } from '../admin/deps.ts';
import type { TokenService } from '../auth/tokens.ts';
import type { Broker } from '../broker/types.ts';
import type { Catalogue } from '../catalogue/service.ts';
import type { EnvSettings } from '../config/env.ts';
import type { HubConfig } from '../config/types.ts';
import type { Sink } from '../core/adapter.ts';
import type { Gate } from '../core/gate.ts';
import type { Readiness } from '../core/readiness.ts';
import type { Credentials } from '../credentials/service.ts';
import type { ContactPointDirectory } from '../emrex/client/directory.ts';
import type { EmrexClientHost } from '../emrex/client/api.ts';
import type { EwpHost } from '../ewp/router.ts';
import type { Consumers } from '../feeds/consumers.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { Pipeline } from '../pipeline/pipeline.ts';
import type { Privacy } from '../privacy/service.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import type { SourceManager } from '../sources/manager.ts';
import type { Store } from '../store/types.ts';
import type { Webhooks } from '../webhooks/service.ts';
import type { IncomingHost } from './routers/ewp-incoming.ts';

/**
 * What the HTTP API (src/api/) uses of the rest of the hub, handed in by the composition root
 * (src/cli/server.ts passes the Hub, which has these parts). Each router takes the few it uses
 * (`Pick<ApiDeps, …>`).
 */
export interface ApiDeps {
  /** The validated configuration: institutions, limits, the catalogue's and EMREX's settings. */
  readonly config: HubConfig;
  /** HUB_DATA_DIR (seal keys, trust anchors), the process environment (OpenID Connect secrets), HUB_TRUST_PROXY. */
  readonly env: Pick<EnvSettings, 'dataDir' | 'env' | 'trustProxy'>;
  readonly logger: Logger;
  /** The store's readers of messages, records and tokens; its SQL access for the feature modules' own tables and readers. */
  readonly store: Pick<Store, 'kind' | 'sql' | 'getMessage' | 'listMessages' | 'messageTrail' | 'getRecord' | 'listTokens' | 'revokeToken'>;
  /** Named in /readyz. */
  readonly broker: Pick<Broker, 'kind'>;
  /** The canonical entities and their schemas (the OpenAPI document is built from them). */
  readonly schemas: SchemaRegistry;
  /** /metrics. */
  readonly metrics: Pick<HubMetrics, 'registry'>;
  /** /readyz. */
  readonly readiness: Pick<Readiness, 'report'>;
  /** The cap on heavy admin reads (message lists and searches): src/api/heavy-reads.ts. */
  readonly heavyReads: Gate;
  /** Bearer tokens: checked on every request, made by POST /api/v1/tokens. */
  readonly tokens: Pick<TokenService, 'authenticate' | 'create'>;
  /** The ingest API's way in: the source and entity checked, the raw input kept when it is refused. */
  readonly pipeline: Pick<Pipeline, 'ingest' | 'remove' | 'source' | 'checkTarget' | 'rejectRaw'>;
  /** Consent screen and disclosure log of feeds, subject access, erasure, the audit log. */
  readonly privacy: Privacy;
  /** The feed and webhook consumers of the config. */
  readonly consumers: Pick<Consumers, 'get'>;
  /** API webhook subscriptions. */
  readonly webhooks: Pick<Webhooks, 'create' | 'list' | 'get' | 'counts' | 'deliveries' | 'remove'>;
  /** Issued credentials: listed, handed out, revoked, checked for revocation. */
  readonly credentials: Credentials;
  /** The catalogue's read model (OOAPI and the public pages). */
  readonly catalogue: Pick<Catalogue, 'store'>;
  /** EMREX contact points of the EWP registry and an EMREG list: trusted ELMO certificates. */
  readonly contactPoints: ContactPointDirectory;
  /** Sources read by adapters (undefined in an API-only process): their state for GET /api/v1/sources. */
  readonly sources: SourceManager | undefined;
  /** Updates the gauges read from store and broker, before /metrics answers. */
  refreshGauges(): Promise<void>;
  /** Replays a rejected message through the pipeline, or a dead or withheld one to its routes. */
  replay(id: string): Promise<Replayed>;
  /** A configured sink by id (reconciliation asks a register sink what it holds). */
  sink(id: string): Sink | undefined;
}

/**
 * What the whole HTTP app (src/api/app.ts) is built from: the API's parts, the admin console's
 * (src/admin/deps.ts), the EWP node for its routers, the EMREX client for its API.
 */
export type AppDeps = ApiDeps & AdminDeps & EwpHost & IncomingHost & EmrexClientHost;
