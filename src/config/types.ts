/** Typed view of schemas/config.schema.json (after defaults are filled in). */
import type { ChangeOp, JsonObject } from '../core/types.ts';

export interface RetryPolicy {
  maxAttempts: number;
  initialDelayMs: number;
  multiplier: number;
  maxDelayMs: number;
}

export type LegalBasis = 'legal-obligation' | 'public-task' | 'contract' | 'consent' | 'legitimate-interest' | 'none';

export interface InstitutionConfig {
  id: string;
  name: string;
  erasmusCode?: string;
}

export interface SourceConfig {
  id: string;
  institution: string;
  system?: string;
  mappingSet: string;
  adapter?: { type: string; options?: JsonObject };
}

export interface SinkConfig {
  id: string;
  type: string;
  options?: JsonObject;
}

export interface RouteConfig {
  id: string;
  sink: string;
  match: { entities?: string[]; ops?: ChangeOp[]; institutions?: string[] };
  legalBasis: LegalBasis;
  purpose: string;
  /** Deliveries in flight at once, the broker's prefetch (default 4): the claims and outcomes of a route are written in batches of up to this many. */
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
  /** Who receives the data, as consents name it; default: the sink id (src/privacy/). */
  recipient?: string;
  /** Consent routes: how long a withheld delivery waits for a consent (ISO 8601 duration or ms; default P14D). */
  holdWindow?: string | number;
  /** Minimisation: the top-level record fields the recipient gets; id, sourceId, institution and version always. */
  fields?: string[];
}

/** Personal-data settings (src/privacy/, docs/privacy.md). */
export interface PrivacyConfig {
  /** Raw payloads of messages are reduced to metadata after this many days, per entity; received EMREX documents after emrexDocumentsDays. */
  retention?: { rawPayloadDays?: number; entities?: Record<string, number>; emrexDocumentsDays?: number };
  /** Environment variable that holds the pseudonymisation secret of the disclosure log. */
  pseudonymSecretEnv?: string;
  /** Period of the privacy job (hold-window expiry, releases, retention), in ms. */
  jobIntervalMs?: number;
}

/** A consumer of feeds and webhook subscriptions: which entities, institutions and fields it sees. */
export interface ConsumerConfig {
  id: string;
  description?: string;
  entities: string[];
  institutions?: string[];
  /** Per entity, the record fields kept (projection); id, version, institution, sourceId always. */
  fields?: Record<string, string[]>;
  /** Identifier schemes kept in every identifiers[]; default: all but lv-personas-kods and foreign-id. */
  identifierSchemes?: string[];
  legalBasis: LegalBasis;
  purpose: string;
  /** Who receives the data, as consent records name it; default: the consumer id (docs/privacy.md). */
  recipient?: string;
  /** Whether its webhook subscriptions may start at the beginning of the change sequence (default false). */
  allowFullReplay?: boolean;
}

/** Webhook subscriptions and the targets they may reach (docs/security.md). */
export interface WebhooksConfig {
  /** Non-public ranges, addresses and host names webhook targets may reach (default none). */
  allowTargets?: string[];
  /** Active subscriptions per consumer (default 10). */
  maxSubscriptionsPerConsumer?: number;
  /** How many changes back a consumer without allowFullReplay may start a subscription (default 100,000). */
  replayWindow?: number;
}

/** schemas/config.schema.json#/properties/limits; validateConfig fills in the defaults. */
export interface LimitsConfig {
  bodyBytes?: number;
  recordsPerRequest?: number;
  maxDepth?: number;
  /** One evaluation of a mapping on live data (ms, default 1000). */
  mappingTimeoutMs?: number;
  /** Evaluation depth of a mapping (default 500). */
  mappingMaxDepth?: number;
  /** A mapping tried out in the admin console: time (ms, default 2000) and heap (MB, default 64). */
  tryTimeoutMs?: number;
  tryMemoryMb?: number;
  /** The time one ingest chunk's SQLite transaction may take (ms, default 10). */
  ingestChunkMs?: number;
  /** Heavy admin reads at once (default 8) and waiting (default 16). */
  adminReads?: number;
  adminReadQueue?: number;
}

export interface HubConfig {
  institutions: InstitutionConfig[];
  sources: SourceConfig[];
  sinks: SinkConfig[];
  routes: RouteConfig[];
  consumers?: ConsumerConfig[];
  webhooks?: WebhooksConfig;
  privacy?: PrivacyConfig;
  limits?: LimitsConfig;
  /** Erasmus Without Paper node settings (src/ewp/, docs/ewp.md). */
  ewp?: EwpConfig;
  /** The public catalogue (src/catalogue/, docs/catalogue.md). */
  catalogue?: { requestsPerMinute?: number; contactEmail?: string; maxAgeSeconds?: number; cacheEntries?: number };
  /** Digital credentials (src/credentials/, docs/credentials.md): seal keys and what the verifier trusts. */
  credentials?: { keysDir?: string; trustAnchors?: string[]; publicUrl?: string; sources?: string[] };
  /** EMREX: where the seal key and certificate of ELMO documents are (src/emrex/, docs/emrex.md). */
  emrex?: { keysDir?: string } & EmrexRegistryConfig & EmrexContactPointConfig;
}

/** EMREX in the EWP registry and results coming in (src/emrex/client/, docs/emrex.md "Results coming in"). */
export interface EmrexRegistryConfig {
  /** The hub's public origin (https): the contact point is `<publicUrl>/emrex/`, the client's return route `<publicUrl>/emrex/return/{ref}`. Default: the origin of the first `ewp.heis[].baseUrl`. */
  publicUrl?: string;
  /** Whether each EWP manifest lists the contact point (`emrex-data-access-point`); default true when there is an `ewp` section. */
  advertise?: boolean;
  /** The hub as an EMREX client of its institutions: results of their students from foreign contact points. */
  client?: EmrexClientConfig;
}

export interface EmrexClientConfig {
  /** The institutions that receive results, each with the canonical push-only source the results enter through. */
  institutions: { id: string; source: string }[];
  /** An EMREG-format JSON list of contact points (a file, relative to the data dir, or an https URL): the fallback to the EWP registry. */
  emreg?: string;
  /** How long a session waits for the contact point's answer (minutes, default 60). */
  sessionMinutes?: number;
}

/** The EMREX contact point at /emrex/ and the learner's pages at /learner/ (src/emrex/contact-point/, docs/emrex.md). */
export interface EmrexContactPointConfig {
  /** The EMREX clients allowed to send learners here: a client's returnUrl must start with its prefix. */
  clients?: { name: string; returnUrlPrefix: string }[];
  /** Where learners sign in (OpenID Connect; latvija.lv in production). */
  oidc?: EmrexOidcConfig;
  /** The push-only source (mapping set canonical) through which each transfer is written as the learner's consent. */
  consentSource?: string;
  /** How long a learner's session lasts, in minutes (default 15). */
  sessionMinutes?: number;
  /** Requests a minute one client address may make to /emrex/ and /learner/ (default 60). */
  requestsPerMinute?: number;
}

export interface EmrexOidcConfig {
  /** The OpenID provider's issuer URL (https; http only on a loopback host). */
  issuer: string;
  clientId: string;
  /** The environment variable holding the client secret; none: a public client (PKCE only). */
  clientSecretEnv?: string;
  /** The ID token claim with the learner's personal code (default `personal_code`). */
  personalCodeClaim?: string;
  /** Scopes asked for (default `openid`). */
  scope?: string;
}

/** EWP: the represented HEIs' hosts, keys and registry (schemas/config.schema.json#/properties/ewp). */
export interface EwpConfig {
  adminEmail: string;
  registryUrl?: string;
  keysDir?: string;
  clockSkewSeconds?: number;
  maxIds?: number;
  /** HEI ids allowed to call the statistics endpoints (default: the EWP Stats Portal, stats.erasmuswithoutpaper.eu). */
  statsClients?: string[];
  heis: { id: string; baseUrl: string; source: string; factsheetFile?: string }[];
}

/** A route after validation: defaults present. */
export type ResolvedRoute = RouteConfig & { retry: RetryPolicy; concurrency: number };
