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
  concurrency?: number;
  retry?: Partial<RetryPolicy>;
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
}

export interface HubConfig {
  institutions: InstitutionConfig[];
  sources: SourceConfig[];
  sinks: SinkConfig[];
  routes: RouteConfig[];
  consumers?: ConsumerConfig[];
  limits?: { bodyBytes?: number; recordsPerRequest?: number };
}

/** A route after validation: defaults present. */
export type ResolvedRoute = RouteConfig & { retry: RetryPolicy; concurrency: number };
