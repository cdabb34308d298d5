import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseJsonc, printParseErrorCode, type ParseError } from 'jsonc-parser';
import type { AdapterRegistry } from '../core/adapter.ts';
import { ConfigError, type Violation } from '../core/errors.ts';
import { DEFAULT_MAX_DEPTH } from '../core/json-walk.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { configChecks, type ConfigCheck } from './checks.ts';
import { checkAdapterOptions } from './options.ts';
import type { HubConfig, RetryPolicy } from './types.ts';

export const DEFAULT_RETRY: RetryPolicy = Object.freeze({ maxAttempts: 8, initialDelayMs: 1000, multiplier: 2, maxDelayMs: 600_000 });
export const DEFAULT_LIMITS = Object.freeze({
  bodyBytes: 5 * 1024 * 1024,
  recordsPerRequest: 5000,
  maxDepth: DEFAULT_MAX_DEPTH,
  // The mapping guard (src/mapping/engine.ts) and the mapping tester's sandbox (src/mapping/sandbox.ts).
  mappingTimeoutMs: 1000,
  mappingMaxDepth: 500,
  tryTimeoutMs: 2000,
  tryMemoryMb: 64,
  // An ingest chunk's SQLite transaction (src/pipeline/chunk-budget.ts).
  ingestChunkMs: 10,
  // Heavy admin reads (src/api/heavy-reads.ts).
  adminReads: 8,
  adminReadQueue: 16,
});

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
 * Validates a configuration object in one pass: the config schema, the references between its parts and
 * each sink's and adapter's own options schema, all together, so that every violation is reported at
 * once with its path (an item too malformed for a reference check has its schema errors reported). The
 * result has defaults filled in and is deep-frozen.
 */
export function validateConfig(raw: unknown, opts: LoadOptions): HubConfig {
  const schemaViolations = opts.schemas.validate('config', raw);
  const malformed = schemaViolations.length > 0;
  const cfg = structuredClone(raw) as HubConfig;
  const v: Violation[] = [...schemaViolations];
  // Each check on an item that does not even have the schema's shape is skipped (its shape is reported).
  const each = <T>(list: unknown, fn: (x: T, i: number) => void) =>
    (Array.isArray(list) ? list : []).forEach((x: unknown, i) => {
      if (!x || typeof x !== 'object') return;
      try {
        fn(x as T, i);
      } catch (e) {
        if (!malformed) throw e;
      }
    });
  const guarded = (fn: () => Violation[]) => {
    try {
      return fn();
    } catch (e) {
      if (!malformed) throw e;
      return [];
    }
  };
  if (!cfg || typeof cfg !== 'object' || Array.isArray(cfg)) throw new ConfigError('configuration does not match schemas/config.schema.json', { violations: v });
  const ids = (list: unknown) =>
    (Array.isArray(list) ? list : []).map((x: unknown) => (x && typeof x === 'object' ? (x as { id?: unknown }).id : undefined)).filter((id): id is string => typeof id === 'string');
  const institutions = new Set(ids(cfg.institutions));
  const sinks = new Set(ids(cfg.sinks));
  for (const name of ['institutions', 'sources', 'sinks', 'routes'] as const) {
    for (const d of duplicates(ids(cfg[name]))) v.push({ path: `/${name}`, message: `id '${d}' is used more than once` });
  }
  each<HubConfig['sources'][number]>(cfg.sources, (s, i) => {
    if (typeof s.institution === 'string' && !institutions.has(s.institution)) v.push({ path: `/sources/${i}/institution`, message: `unknown institution '${s.institution}'` });
    if (typeof s.mappingSet === 'string' && !existsSync(join(opts.mappingsDir, s.mappingSet)))
      v.push({ path: `/sources/${i}/mappingSet`, message: `no mapping set '${s.mappingSet}' under mappings/` });
    else if (
      typeof s.mappingSet === 'string' &&
      existsSync(join(opts.mappingsDir, s.mappingSet, 'set.json')) &&
      /"outbound"/.test(readFileSync(join(opts.mappingsDir, s.mappingSet, 'set.json'), 'utf8'))
    ) {
      v.push({ path: `/sources/${i}/mappingSet`, message: `mapping set '${s.mappingSet}' maps canonical records to a sink's format; a source needs an inbound set` });
    }
    if (s.adapter && typeof s.adapter === 'object') {
      const t = opts.adapters.sources.find((a) => a.type === s.adapter?.type);
      if (!t) v.push({ path: `/sources/${i}/adapter/type`, message: `unknown source adapter '${s.adapter.type}' (known: ${opts.adapters.sources.map((a) => a.type).join(', ') || 'none'})` });
      else v.push(...checkAdapterOptions(t.optionsSchema, (s.adapter.options ??= {}), `/sources/${i}/adapter/options`));
    }
    s.system ??= s.id;
  });
  each<HubConfig['sinks'][number]>(cfg.sinks, (s, i) => {
    const t = opts.adapters.sinks.find((a) => a.type === s.type);
    if (!t) v.push({ path: `/sinks/${i}/type`, message: `unknown sink type '${s.type}' (known: ${opts.adapters.sinks.map((a) => a.type).join(', ')})` });
    else v.push(...checkAdapterOptions(t.optionsSchema, (s.options ??= {}), `/sinks/${i}/options`));
  });
  each<HubConfig['routes'][number]>(cfg.routes, (r, i) => {
    if (typeof r.sink === 'string' && !sinks.has(r.sink)) v.push({ path: `/routes/${i}/sink`, message: `unknown sink '${r.sink}' (known: ${[...sinks].join(', ') || 'none'})` });
    (r.match?.institutions ?? []).forEach((inst, j) => {
      if (!institutions.has(inst)) v.push({ path: `/routes/${i}/match/institutions/${j}`, message: `unknown institution '${inst}'` });
    });
    (r.match?.entities ?? []).forEach((e, j) => {
      if (!opts.schemas.entities().includes(e)) v.push({ path: `/routes/${i}/match/entities/${j}`, message: `unknown entity '${e}'` });
    });
    r.retry = { ...DEFAULT_RETRY, ...r.retry };
    r.concurrency ??= 4;
  });
  for (const c of opts.checks ?? configChecks()) v.push(...guarded(() => c.check(cfg, opts.schemas)));
  if (v.length) {
    throw new ConfigError(malformed ? 'configuration does not match schemas/config.schema.json' : 'configuration is inconsistent', { violations: v });
  }
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
  return validateConfig(parseConfigText(text, path), opts);
}

/**
 * A config file is JSON with comments (JSONC: `//` and `/* *\/` comments and trailing commas allowed, as
 * in tsconfig.json), so that `hub config init` can explain each part in place. Syntax errors are
 * reported with their line and column, all of them.
 */
export function parseConfigText(text: string, path: string): unknown {
  const errors: ParseError[] = [];
  const raw: unknown = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: false });
  if (errors.length) {
    const at = (offset: number) => {
      const before = text.slice(0, offset).split('\n');
      return `line ${before.length}, column ${before[before.length - 1]!.length + 1}`;
    };
    throw new ConfigError(`config file ${path} is not valid JSON`, { violations: errors.map((e) => ({ path: '', message: `${at(e.offset)}: ${printParseErrorCode(e.error)}`, keyword: 'syntax' })) });
  }
  return raw;
}

export function formatConfigError(e: ConfigError): string {
  return [e.message, ...e.violations.map((x) => (x.keyword === 'syntax' ? `  ${x.message}` : `  ${x.path || '/'}: ${x.message}`))].join('\n');
}
