import { readFileSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js';
import addFormatsModule from 'ajv-formats';
import { InternalError, type Violation } from '../core/errors.ts';
import { registerKeywords } from './keywords.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv2020) => Ajv2020;

export const SCHEMAS_DIR = fileURLToPath(new URL('../../schemas/', import.meta.url));
export const SCHEMA_BASE_ID = 'https://schemas.studyhub.lv/';

export interface LoadedSchema {
  /** File name without `.schema.json`, e.g. `study-right`. */
  name: string;
  id: string;
  schema: Record<string, unknown> & { examples?: unknown[] };
}

/** Converts ajv errors into violations with a JSON pointer each. */
export function toViolations(errors: ErrorObject[] | null | undefined): Violation[] {
  return (errors ?? []).map((e) => {
    let path = e.instancePath;
    if (e.keyword === 'required') path = `${path}/${String((e.params as { missingProperty: string }).missingProperty)}`;
    if (e.keyword === 'additionalProperties') path = `${path}/${String((e.params as { additionalProperty: string }).additionalProperty)}`;
    let message = e.message ?? e.keyword;
    // An enum names its allowed values (ajv's params), so the fix is in the message.
    if (e.keyword === 'enum') message += `: ${(e.params as { allowedValues: unknown[] }).allowedValues.map((x) => JSON.stringify(x)).join(', ')}`;
    return { path, message, keyword: e.keyword };
  });
}

/**
 * An ajv for JSON Schema 2020-12 with the hub's formats; `useDefaults` fills in `default` values while
 * validating. Schemas are not checked against the meta-schema when added or compiled (compiling the
 * meta-schema and checking cost ~0.15 s of CPU at every start): the schemas it compiles ship with the hub
 * and its adapters, and test/schemas.test.ts checks every one.
 */
export function createAjv(options: { useDefaults?: boolean } = {}): Ajv2020 {
  // code.optimize off: ajv's passes that tidy the generated code cost a third of each schema's compile
  // (config: ~125 → ~85 ms at every start and CLI command) and gave no measurable validation speed
  // (600k person validations: the same median either way).
  const ajv = new Ajv2020({ allErrors: true, strict: true, allowUnionTypes: true, validateSchema: false, code: { optimize: false }, ...(options.useDefaults ? { useDefaults: true } : {}) });
  addFormats(ajv);
  registerKeywords(ajv);
  return ajv;
}

/**
 * All JSON Schemas of schemas/, compiled once. Entity schemas are those whose file does not start
 * with an underscore-free helper name listed in NON_ENTITY.
 */
export class SchemaRegistry {
  readonly ajv: Ajv2020;
  private readonly byName = new Map<string, LoadedSchema>();
  private readonly compiled = new Map<string, ValidateFunction>();

  static NON_ENTITY = new Set(['common', 'change-event', 'config']);

  constructor(dir: string = SCHEMAS_DIR) {
    this.ajv = createAjv();
    for (const file of readdirSync(dir)
      .filter((f) => f.endsWith('.schema.json'))
      .sort()) {
      const schema = JSON.parse(readFileSync(join(dir, file), 'utf8')) as LoadedSchema['schema'];
      const name = file.replace(/\.schema\.json$/, '');
      const id = String(schema.$id);
      this.byName.set(name, { name, id, schema });
      // Not checked against the meta-schema here (createAjv): test/schemas.test.ts checks each file (checkAll).
      this.ajv.addSchema(schema);
    }
  }

  /** Each schema checked against the JSON Schema 2020-12 meta-schema; the problems by schema name (none: all valid). */
  checkAll(): { name: string; violations: Violation[] }[] {
    const out: { name: string; violations: Violation[] }[] = [];
    for (const s of this.byName.values()) {
      if (!this.ajv.validateSchema(s.schema)) out.push({ name: s.name, violations: toViolations(this.ajv.errors) });
    }
    return out;
  }

  names(): string[] {
    return [...this.byName.keys()];
  }

  entities(): string[] {
    return this.names().filter((n) => !SchemaRegistry.NON_ENTITY.has(n));
  }

  has(name: string): boolean {
    return this.byName.has(name);
  }

  get(name: string): LoadedSchema | undefined {
    return this.byName.get(name);
  }

  validator(name: string): ValidateFunction {
    let fn = this.compiled.get(name);
    if (!fn) {
      const s = this.byName.get(name);
      if (!s) throw new InternalError(`no schema named ${name}`);
      fn = this.ajv.getSchema(s.id);
      if (!fn) throw new InternalError(`schema ${s.id} did not compile`);
      this.compiled.set(name, fn);
    }
    return fn;
  }

  /** Validates `value` against the named schema; returns the violations (empty when valid). */
  validate(name: string, value: unknown): Violation[] {
    const fn = this.validator(name);
    return fn(value) ? [] : toViolations(fn.errors);
  }
}
