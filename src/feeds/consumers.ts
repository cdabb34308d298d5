import { registerConfigCheck } from '../config/checks.ts';
import type { ConsumerConfig, HubConfig } from '../config/types.ts';
import { ConfigError, type Violation } from '../core/errors.ts';
import { copyJson } from '../core/json-walk.ts';
import type { ChangeEvent, JsonObject } from '../core/types.ts';
import { consumerPolicy, type DisclosurePolicy } from '../privacy/config.ts';

/** Identifier schemes that are personal data: only consumers that list them see them. */
export const PERSONAL_SCHEMES: readonly string[] = ['lv-personas-kods', 'foreign-id'];

/** Record fields every consumer sees: the record's identity in the hub and in its source. */
export const ALWAYS_KEPT: readonly string[] = ['id', 'version', 'institution', 'sourceId'];

/** A consumer's view: what it may read and how its records are projected. */
export interface ConsumerView {
  id: string;
  entities: ReadonlySet<string> | undefined;
  institutions: readonly string[] | undefined;
  /** Projects an event for this consumer (the input is left alone). */
  project(e: ChangeEvent): ChangeEvent;
  /** Changes when the consumer's definition changes (part of feed ETags). */
  fingerprint: string;
  /**
   * The consumer's disclosure policy (legal basis, purpose, recipient) on a channel: `feed:<id>` or
   * `webhook:<subscription>`. Undefined for the full view, whose reader is the token (docs/privacy.md).
   */
  policy: ((channel: string) => DisclosurePolicy) | undefined;
}

/** The full view, for admins and read:<entity> tokens: every institution, every field. */
export const FULL_VIEW: ConsumerView = {
  id: '*',
  entities: undefined,
  institutions: undefined,
  project: (e) => e,
  fingerprint: 'full',
  policy: undefined,
};

/** Identifiers of schemes the consumer may not see dropped, at any depth (iteratively). */
function filterIdentifiers(v: unknown, allowed: (scheme: string) => boolean): unknown {
  return copyJson(v, (x, key) =>
    key === 'identifiers' && Array.isArray(x)
      ? x.filter((i: unknown) => !(i && typeof i === 'object' && typeof (i as { scheme?: unknown }).scheme === 'string') || allowed((i as { scheme: string }).scheme))
      : x,
  );
}

/** Projects a canonical record: the listed fields (plus the identity fields), identifiers by scheme. */
export function projectRecord(record: JsonObject, fields: readonly string[] | undefined, schemes: readonly string[] | undefined): JsonObject {
  let r: JsonObject = record;
  if (fields) {
    const keep = new Set([...ALWAYS_KEPT, ...fields]);
    r = Object.fromEntries(Object.entries(record).filter(([k]) => keep.has(k)));
  }
  const allowed = schemes ? (s: string) => schemes.includes(s) : (s: string) => !PERSONAL_SCHEMES.includes(s);
  return filterIdentifiers(r, allowed) as JsonObject;
}

function viewOf(c: ConsumerConfig): ConsumerView {
  return {
    id: c.id,
    entities: new Set(c.entities),
    institutions: c.institutions,
    fingerprint: JSON.stringify([c.entities, c.institutions ?? null, c.fields ?? null, c.identifierSchemes ?? null, c.legalBasis, c.purpose, c.recipient ?? null]),
    policy: (channel) => consumerPolicy(c, channel),
    project(e) {
      const { previousKey, record, ...rest } = e;
      const schemes = c.identifierSchemes;
      return {
        ...rest,
        ...(previousKey ? { previousKey: projectRecord(previousKey, undefined, schemes) } : {}),
        ...(record ? { record: projectRecord(record, c.fields?.[e.entity], schemes) } : {}),
      };
    },
  };
}

/** Checks consumer definitions against the rest of the configuration; one violation per problem. */
export function checkConsumers(cfg: Pick<HubConfig, 'consumers' | 'institutions'>, entities: readonly string[]): Violation[] {
  const v: Violation[] = [];
  const institutions = new Set(cfg.institutions.map((i) => i.id));
  const seen = new Set<string>();
  (cfg.consumers ?? []).forEach((c, i) => {
    if (seen.has(c.id)) v.push({ path: `/consumers/${i}/id`, message: `consumer id '${c.id}' is used more than once` });
    seen.add(c.id);
    c.entities.forEach((e, j) => {
      if (!entities.includes(e)) v.push({ path: `/consumers/${i}/entities/${j}`, message: `unknown entity '${e}'` });
    });
    (c.institutions ?? []).forEach((inst, j) => {
      if (!institutions.has(inst)) v.push({ path: `/consumers/${i}/institutions/${j}`, message: `unknown institution '${inst}'` });
    });
    for (const e of Object.keys(c.fields ?? {})) {
      if (!c.entities.includes(e)) v.push({ path: `/consumers/${i}/fields/${e}`, message: `fields for '${e}', which the consumer does not receive` });
    }
  });
  return v;
}

/** The consumers of the configuration, checked once. */
export class Consumers {
  private readonly views = new Map<string, ConsumerView>();

  constructor(cfg: Pick<HubConfig, 'consumers' | 'institutions'>, entities: readonly string[]) {
    const v = checkConsumers(cfg, entities);
    if (v.length) throw new ConfigError('configuration: consumers are inconsistent', { violations: v });
    for (const c of cfg.consumers ?? []) this.views.set(c.id, viewOf(c));
  }

  get(id: string): ConsumerView | undefined {
    return this.views.get(id);
  }

  ids(): string[] {
    return [...this.views.keys()];
  }
}

registerConfigCheck({ name: 'consumers', check: (cfg, schemas) => checkConsumers(cfg, schemas.entities()) });
