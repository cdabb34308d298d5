import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import jsonata from 'jsonata';
import { MappingError, MappingRejectError } from '../core/errors.ts';
import { MAPPING_FUNCTIONS } from './functions.ts';

export const MAPPINGS_DIR = fileURLToPath(new URL('../../mappings/', import.meta.url));

type Expression = ReturnType<typeof jsonata>;

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
 * Runs mappings/<set>/<entity>.jsonata. Each file is compiled once and cached until reload().
 * An expression rejects a record with $error("…") or through a native function of functions.ts
 * (bound for every expression); a result that is not an object (or an array of objects) is rejected too.
 */
export class MappingEngine {
  private readonly cache = new Map<string, Expression>();

  constructor(readonly dir: string = MAPPINGS_DIR) {}

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
      expr = compileText(readFileSync(this.file(set, entity), 'utf8'), key);
      this.cache.set(key, expr);
    }
    return expr;
  }

  /** Maps one native record; returns the canonical record(s). */
  async map(set: string, entity: string, input: unknown, bindings: MappingBindings): Promise<Record<string, unknown>[]> {
    return evaluate(this.compile(set, entity), input, bindings, `${set}/${entity}`);
  }
}

export function compileText(text: string, name: string): Expression {
  try {
    return jsonata(text);
  } catch (e) {
    const err = e as { message?: string; position?: number };
    throw new MappingError(`mapping ${name} does not compile: ${err.message ?? String(e)}${err.position === undefined ? '' : ` (at character ${err.position})`}`);
  }
}

/**
 * Evaluates a compiled mapping on one record with $institution, $source and the native functions
 * (functions.ts) bound; a rejection ($error or a native's) becomes a MappingError with its plain message.
 */
export async function evaluate(expr: Expression, input: unknown, bindings: MappingBindings, name: string): Promise<Record<string, unknown>[]> {
  let out: unknown;
  try {
    out = await expr.evaluate(input, { ...MAPPING_FUNCTIONS, institution: bindings.institution, source: bindings.source });
  } catch (e) {
    const err = e as { message?: string; code?: string };
    const code = e instanceof MappingRejectError ? e.jsonataCode : err.code;
    const detail = code === 'D3137' ? String(err.message) : `${err.message ?? String(e)}${code ? ` [${code}]` : ''}`;
    throw new MappingError(`mapping ${name} rejected the record: ${detail}`, { extra: { jsonataCode: code } });
  }
  const list = Array.isArray(out) ? out : [out];
  if (list.length === 0 || list.some((x) => x === null || typeof x !== 'object' || Array.isArray(x))) {
    throw new MappingError(`mapping ${name} did not produce an object (got ${out === undefined ? 'nothing' : JSON.stringify(out).slice(0, 80)})`);
  }
  // JSONata returns its own array/sequence objects; a JSON round trip gives plain data.
  return JSON.parse(JSON.stringify(list)) as Record<string, unknown>[];
}
