import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonata from 'jsonata';
import { MappingError, MappingLimitError, MappingRejectError } from '../core/errors.ts';
import { MappingExpression } from './compile/expression.ts';
import { translateMapping } from './compile/index.ts';
import { MAPPING_FUNCTIONS } from './functions.ts';
import { plainData } from './plain.ts';

export const MAPPINGS_DIR = fileURLToPath(new URL('../../mappings/', import.meta.url));

type Expression = MappingExpression;

export interface SetInfo {
  direction: 'inbound' | 'outbound';
  testedBy?: string;
}

export interface MappingBindings {
  /** SCHAC code of the source's institution, as $institution in the expression. */
  institution: string;
  /** Source id, as $source. */
  source: string;
}

/**
 * The guard of every mapping evaluation (config `limits.mappingTimeoutMs`, `limits.mappingMaxDepth`):
 * JSONata checks both at every step of an evaluation and stops it with D1012 (time) or D1011 (depth),
 * which evaluate() reports as HUB_ERR_MAPPING_LIMIT. The deepest evaluation of the shipped mapping
 * sets' golden tests is 41 steps.
 */
export interface MappingLimits {
  timeoutMs: number;
  maxDepth: number;
}
export const DEFAULT_MAPPING_LIMITS: Readonly<MappingLimits> = Object.freeze({ timeoutMs: 1000, maxDepth: 500 });

/**
 * Runs mappings/<set>/<entity>.jsonata. Each file is compiled once and cached until reload().
 * An expression rejects a record with $error("…") or through a native function of functions.ts
 * (bound for every expression); a result that is not an object (or an array of objects) is rejected too.
 */
export class MappingEngine {
  private readonly cache = new Map<string, Expression>();
  private guard: MappingLimits;

  constructor(
    readonly dir: string = MAPPINGS_DIR,
    limits: Partial<MappingLimits> = {},
  ) {
    this.guard = { ...DEFAULT_MAPPING_LIMITS, ...limits };
  }

  get limits(): Readonly<MappingLimits> {
    return this.guard;
  }

  /** Sets the guard of later evaluations (the hub's config limits); compiled expressions are compiled again. */
  setLimits(limits: Partial<MappingLimits>): void {
    this.guard = { ...this.guard, ...limits };
    this.cache.clear();
  }

  sets(): string[] {
    if (!existsSync(this.dir)) return [];
    return readdirSync(this.dir, { withFileTypes: true })
      .filter((d) => d.isDirectory())
      .map((d) => d.name)
      .sort();
  }

  entities(set: string): string[] {
    const d = join(this.dir, set);
    if (!existsSync(d)) return [];
    return readdirSync(d)
      .filter((f) => f.endsWith('.jsonata'))
      .map((f) => f.replace(/\.jsonata$/, ''))
      .sort();
  }

  /**
   * What a set is for, from mappings/<set>/set.json: `inbound` (a source's native format →
   * canonical, golden-tested; the default) or `outbound` (canonical → a sink's format, tested by
   * the sink's own tests, named in `testedBy`).
   */
  setInfo(set: string): SetInfo {
    const f = join(this.dir, set, 'set.json');
    if (!existsSync(f)) return { direction: 'inbound' };
    const info = JSON.parse(readFileSync(f, 'utf8')) as Partial<SetInfo>;
    return { direction: info.direction === 'outbound' ? 'outbound' : 'inbound', ...(info.testedBy ? { testedBy: info.testedBy } : {}) };
  }

  has(set: string, entity: string): boolean {
    return /^[a-z0-9-]+$/.test(set) && /^[a-z0-9-]+$/.test(entity) && existsSync(this.file(set, entity));
  }

  file(set: string, entity: string): string {
    return join(this.dir, set, `${entity}.jsonata`);
  }

  /** Forgets compiled expressions (after a mapping file was fixed). */
  reload(set?: string): void {
    if (!set) this.cache.clear();
    else for (const k of [...this.cache.keys()]) if (k.startsWith(`${set}/`)) this.cache.delete(k);
  }

  compile(set: string, entity: string): Expression {
    const key = `${set}/${entity}`;
    let expr = this.cache.get(key);
    if (!expr) {
      if (!this.has(set, entity)) throw new MappingError(`no mapping ${key}.jsonata`);
      expr = compileText(readFileSync(this.file(set, entity), 'utf8'), key, this.guard);
      this.cache.set(key, expr);
    }
    return expr;
  }

  /** Maps one native record; returns the canonical record(s). */
  async map(set: string, entity: string, input: unknown, bindings: MappingBindings): Promise<Record<string, unknown>[]> {
    return evaluate(this.compile(set, entity), input, bindings, `${set}/${entity}`);
  }
}

/**
 * Compiles a mapping with the guard of `limits` (time and depth of each evaluation): parsed by JSONata,
 * then translated to a JavaScript function (src/mapping/compile/) where the translation covers it;
 * `interpreted` keeps it on JSONata's interpreter (for comparison: the differential test, the bench).
 */
export function compileText(text: string, name: string, limits: Readonly<MappingLimits> = DEFAULT_MAPPING_LIMITS, interpreted = false): Expression {
  let expr: ReturnType<typeof jsonata>;
  try {
    expr = jsonata(text, { timeout: limits.timeoutMs, stack: limits.maxDepth });
  } catch (e) {
    throw compileFailure(e, name);
  }
  return new MappingExpression(expr, interpreted ? { fallback: 'interpreted on request' } : translateMapping(expr, limits.maxDepth), limits.timeoutMs);
}

/** The error of a mapping that does not compile (JSONata's message and position). */
export function compileFailure(e: unknown, name: string): MappingError {
  const err = e as { message?: string; position?: number };
  return new MappingError(`mapping ${name} does not compile: ${err.message ?? String(e)}${err.position === undefined ? '' : ` (at character ${err.position})`}`);
}

/** What an evaluation threw, as plain data (it crosses to the main thread from the tester's worker). */
export interface EvaluationFailure {
  message?: string;
  /** JSONata's code (D3137 for `$error()` and the native functions' rejections). */
  code?: string;
  /** The limit a JSONata guardrail stopped at (D1011: depth, D1012: milliseconds). */
  value?: unknown;
}

export function failureOf(e: unknown): EvaluationFailure {
  const err = e as { message?: string; code?: string; value?: unknown };
  const code = e instanceof MappingRejectError ? e.jsonataCode : err.code;
  return { message: err.message ?? String(e), ...(code ? { code } : {}), ...(err.value === undefined ? {} : { value: err.value }) };
}

/** The coded error of a failed evaluation: a limit (HUB_ERR_MAPPING_LIMIT) or a rejection (HUB_ERR_MAPPING). */
export function evaluationError(f: EvaluationFailure, name: string): MappingError | MappingLimitError {
  if (f.code === 'D1012') {
    return new MappingLimitError(`mapping ${name} ran longer than ${String(f.value)} ms and was stopped`, { extra: { limit: 'time', value: f.value, jsonataCode: f.code } });
  }
  if (f.code === 'D1011') {
    return new MappingLimitError(`mapping ${name} went deeper than ${String(f.value)} evaluation steps (a recursion that does not end?) and was stopped`, {
      extra: { limit: 'depth', value: f.value, jsonataCode: f.code },
    });
  }
  const detail = f.code === 'D3137' ? String(f.message) : `${f.message}${f.code ? ` [${f.code}]` : ''}`;
  return new MappingError(`mapping ${name} rejected the record: ${detail}`, { extra: { jsonataCode: f.code } });
}

/** The records of an evaluation's result; a result that is not an object (or objects) is a MappingError. */
export function recordsOf(out: unknown, name: string): Record<string, unknown>[] {
  const list = Array.isArray(out) ? out : [out];
  if (list.length === 0 || list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
    throw new MappingError(`mapping ${name} did not produce an object (got ${out === undefined ? 'nothing' : JSON.stringify(out).slice(0, 80)})`);
  }
  // JSONata returns its own array/sequence objects; plain data as a JSON round trip gives it.
  return plainData(list) as Record<string, unknown>[];
}

/**
 * Evaluates a compiled mapping on one record with $institution, $source and the native functions
 * (functions.ts) bound; a rejection ($error or a native's) becomes a MappingError with its plain message,
 * a stop by the guard (compileText's limits) a MappingLimitError.
 */
export async function evaluate(expr: Expression, input: unknown, bindings: MappingBindings, name: string): Promise<Record<string, unknown>[]> {
  let out: unknown;
  try {
    out = await expr.evaluate(input, mappingBindings(bindings));
  } catch (e) {
    throw evaluationError(failureOf(e), name);
  }
  return recordsOf(out, name);
}

const BINDINGS_CACHE = new Map<string, Readonly<Record<string, unknown>>>();

/** The bindings of an evaluation: $institution, $source and the native functions (one frozen object per pair). */
export function mappingBindings(bindings: MappingBindings): Record<string, unknown> {
  const key = `${bindings.institution}\n${bindings.source}`;
  let b = BINDINGS_CACHE.get(key);
  if (!b) {
    b = Object.freeze({ ...MAPPING_FUNCTIONS, institution: bindings.institution, source: bindings.source });
    if (BINDINGS_CACHE.size > 1000) BINDINGS_CACHE.clear();
    BINDINGS_CACHE.set(key, b);
  }
  return b as Record<string, unknown>;
}
