import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterRegistry } from '../core/adapter.ts';
import { ConfigError, type Violation } from '../core/errors.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { configChecks, type ConfigCheck } from './checks.ts';
import { checkAdapterOptions } from './options.ts';
import type { HubConfig, RetryPolicy } from './types.ts';

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 8, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 600_000 });
export const DEFAULT_LIMITS = Object.freeze({ bodyBytes: 5 * 1024 * 1024, recordsPerRequest: 5000 });

function deepFreeze<T>(o: T): T {
  if (o && typeof o === 'object' && !Object.isFrozen(o)) {
    Object.freeze(o);
    for (const v of Object.values(o as object)) deepFreeze(v);
  }
  return o;
}

function duplicates(ids: string[]): string[] {
  const seen = new Set<string>();
  const dup = new Set<string>();
  for (const id of ids) (seen.has(id) ? dup : seen).add(id);
  return [...dup];
}

export interface LoadOptions {
  schemas: SchemaRegistry;
  adapters: AdapterRegistry;
  mappingsDir: string;
  /** The features' checks (default: those registered, src/config/checks.ts). */
  checks?: readonly ConfigCheck[];
}

/**
 * Validates a configuration object: the config schema first, then the references between its parts,
 * each sink's and adapter's own options schema and the features' checks. Every violation is reported
 * with its path; the result has defaults filled in and is deep-frozen.
 */
export function validateConfig(raw: unknown, opts: LoadOptions): HubConfig {
  const violations = opts.schemas.validate('config', raw);
  if (violations.length) throw new ConfigError('configuration does not match schemas/config.schema.json', { violations });
  const cfg = structuredClone(raw) as HubConfig;
  const v: Violation[] = [];
  const institutions = new Set(cfg.institutions.map((i) => i.id));
  const sinks = new Set(cfg.sinks.map((s) => s.id));
  for (const [list, name] of [
    [cfg.institutions, 'institutions'],
    [cfg.sources, 'sources'],
    [cfg.sinks, 'sinks'],
    [cfg.routes, 'routes'],
  ] as const) {
    for (const d of duplicates(list.map((x) => x.id))) v.push({ path: `/${name}`, message: `id '${d}' is used more than once` });
  }
  cfg.sources.forEach((s, i) => {
    if (!institutions.has(s.institution)) v.push({ path: `/sources/${i}/institution`, message: `unknown institution '${s.institution}'` });
    if (!existsSync(join(opts.mappingsDir, s.mappingSet))) v.push({ path: `/sources/${i}/mappingSet`, message: `no mapping set '${s.mappingSet}' under mappings/` });
    else if (existsSync(join(opts.mappingsDir, s.mappingSet, 'set.json')) && /"outbound"/.test(readFileSync(join(opts.mappingsDir, s.mappingSet, 'set.json'), 'utf8'))) {
      v.push({ path: `/sources/${i}/mappingSet`, message: `mapping set '${s.mappingSet}' maps canonical records to a sink's format; a source needs an inbound set` });
    }
    if (s.adapter) {
      const t = opts.adapters.sources.find((a) => a.type === s.adapter?.type);
      if (!t) v.push({ path: `/sources/${i}/adapter/type`, message: `unknown source adapter '${s.adapter.type}' (known: ${opts.adapters.sources.map((a) => a.type).join(', ') || 'none'})` });
      else v.push(...checkAdapterOptions(t.optionsSchema, (s.adapter.options ??= {}), `/sources/${i}/adapter/options`));
    }
    s.system ??= s.id;
  });
  cfg.sinks.forEach((s, i) => {
    const t = opts.adapters.sinks.find((a) => a.type === s.type);
    if (!t) v.push({ path: `/sinks/${i}/type`, message: `unknown sink type '${s.type}' (known: ${opts.adapters.sinks.map((a) => a.type).join(', ')})` });
    else v.push(...checkAdapterOptions(t.optionsSchema, (s.options ??= {}), `/sinks/${i}/options`));
  });
  cfg.routes.forEach((r, i) => {
    if (!sinks.has(r.sink)) v.push({ path: `/routes/${i}/sink`, message: `unknown sink '${r.sink}'` });
    (r.match.institutions ?? []).forEach((inst, j) => {
      if (!institutions.has(inst)) v.push({ path: `/routes/${i}/match/institutions/${j}`, message: `unknown institution '${inst}'` });
    });
    (r.match.entities ?? []).forEach((e, j) => {
      if (!opts.schemas.entities().includes(e)) v.push({ path: `/routes/${i}/match/entities/${j}`, message: `unknown entity '${e}'` });
    });
    r.retry = { ...DEFAULT_RETRY, ...r.retry };
    r.concurrency ??= 4;
  });
  for (const c of opts.checks ?? configChecks()) v.push(...c.check(cfg, opts.schemas));
  if (v.length) throw new ConfigError('configuration is inconsistent', { violations: v });
  cfg.limits = { ...DEFAULT_LIMITS, ...cfg.limits };
  return deepFreeze(cfg);
}

export function loadConfigFile(path: string, opts: LoadOptions): HubConfig {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new ConfigError(`cannot read config file ${path}`, { cause: e });
  }
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch (e) {
    throw new ConfigError(`config file ${path} is not valid JSON: ${(e as Error).message}`);
  }
  return validateConfig(raw, opts);
}

export function formatConfigError(e: ConfigError): string {
  return [e.message, ...e.violations.map((x) => `  ${x.path || '/'}: ${x.message}`)].join('\n');
}
