import { registerConfigCheck } from '../config/checks.ts';
import type { ConsumerConfig, HubConfig, LegalBasis, RouteConfig } from '../config/types.ts';
import type { Violation } from '../core/errors.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { DEFAULT_HOLD_WINDOW_MS, parseDuration } from './duration.ts';
import { holdsPersonalData } from './personal.ts';

/** Purposes of consent records (schemas/consent.schema.json): a consent route's purpose must be one. */
export const PURPOSE_CODE = /^[a-z][a-z0-9]*([-.:][a-z0-9]+)*$/;
export const DEFAULT_RETENTION_DAYS = 365;
export const DEFAULT_PSEUDONYM_SECRET_ENV = 'HUB_PSEUDONYM_SECRET';
export const DEFAULT_JOB_INTERVAL_MS = 600_000;

/** What the privacy service needs of a route, defaults filled in. */
export interface RoutePolicy {
  id: string;
  legalBasis: LegalBasis;
  purpose: string;
  recipient: string;
  holdWindowMs: number;
  fields: readonly string[] | undefined;
}

export function routePolicy(r: RouteConfig): RoutePolicy {
  return {
    id: r.id,
    legalBasis: r.legalBasis,
    purpose: r.purpose,
    recipient: r.recipient ?? r.sink,
    holdWindowMs: parseDuration(r.holdWindow) ?? DEFAULT_HOLD_WINDOW_MS,
    fields: r.fields,
  };
}

/**
 * What the privacy service needs of a feed consumer or a webhook subscription: who receives, on which
 * basis and why, and under which name its disclosures are logged (the log entry's `route`).
 */
export interface DisclosurePolicy {
  /** The log entry's `route`: feed:<consumer>, webhook:<subscription id>, feed:*:<token id> (full view). */
  channel: string;
  recipient: string;
  /** null: administrative access through the full view (admin or read:<entity> tokens). */
  legalBasis: LegalBasis | null;
  purpose: string | null;
  /** The fields the recipient gets of a record of the entity (projection); null: the whole record. */
  fieldsOf(entity: string): readonly string[] | null;
}

/** The policy of a configured consumer, on a channel (its feed, or one of its webhook subscriptions). */
export function consumerPolicy(c: Pick<ConsumerConfig, 'id' | 'recipient' | 'legalBasis' | 'purpose' | 'fields'>, channel: string): DisclosurePolicy {
  return { channel, recipient: c.recipient ?? c.id, legalBasis: c.legalBasis, purpose: c.purpose, fieldsOf: (entity) => c.fields?.[entity] ?? null };
}

/** The full view (every field, every institution) read by a token without a consumer: logged as administrative access. */
export function fullViewPolicy(channel: string, recipient: string): DisclosurePolicy {
  return { channel, recipient, legalBasis: null, purpose: null, fieldsOf: () => null };
}

/**
 * Checks the privacy options against the rest of the configuration (after the schema): hold windows,
 * consent purposes, projected fields that no matched entity has, retention of unknown entities.
 */
export function checkPrivacyConfig(cfg: Pick<HubConfig, 'routes' | 'privacy' | 'consumers'>, schemas: SchemaRegistry): Violation[] {
  const v: Violation[] = [];
  const entities = schemas.entities();
  cfg.routes.forEach((r, i) => {
    if (r.holdWindow !== undefined && parseDuration(r.holdWindow) === undefined) {
      v.push({ path: `/routes/${i}/holdWindow`, message: `'${r.holdWindow}' is not a duration: ISO 8601 with W, D, H, M, S (e.g. P14D, PT12H) or milliseconds` });
    }
    if (r.legalBasis === 'consent' && !PURPOSE_CODE.test(r.purpose)) {
      v.push({ path: `/routes/${i}/purpose`, message: 'a consent route is matched with consent records by purpose: use a purpose code such as employer-verification' });
    }
    const matched = (r.match.entities ?? entities).filter((e) => entities.includes(e));
    const personal = matched.filter(holdsPersonalData);
    if (r.legalBasis === 'none' && personal.length) {
      v.push({ path: `/routes/${i}/legalBasis`, message: `'none' is for routes without personal data, but the route carries ${personal.join(', ')}` });
    }
    (r.fields ?? []).forEach((f, j) => {
      const known = matched.some((e) => Object.hasOwn((schemas.get(e)?.schema.properties as object | undefined) ?? {}, f));
      if (!known) v.push({ path: `/routes/${i}/fields/${j}`, message: `no entity the route matches has a field '${f}'` });
    });
  });
  (cfg.consumers ?? []).forEach((c, i) => {
    if (c.legalBasis === 'consent' && !PURPOSE_CODE.test(c.purpose)) {
      v.push({ path: `/consumers/${i}/purpose`, message: 'a consent consumer is matched with consent records by purpose: use a purpose code such as employer-verification' });
    }
    const personal = c.entities.filter(holdsPersonalData);
    if (c.legalBasis === 'none' && personal.length) {
      v.push({ path: `/consumers/${i}/legalBasis`, message: `'none' is for consumers without personal data, but the consumer receives ${personal.join(', ')}` });
    }
  });
  for (const e of Object.keys(cfg.privacy?.retention?.entities ?? {})) {
    if (!entities.includes(e)) v.push({ path: `/privacy/retention/entities/${e}`, message: `unknown entity '${e}'` });
  }
  return v;
}

registerConfigCheck({ name: 'privacy', check: checkPrivacyConfig });
