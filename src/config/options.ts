import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { ConfigError, type Violation } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { createAjv, toViolations } from '../schemas/registry.ts';

/**
 * The options of a sink or source adapter: checked against the adapter's own options schema, with
 * the schema's `default`s filled in. This is the only place defaults are applied, so an adapter's
 * create() gets complete options and states no default of its own.
 */

let ajv: Ajv2020 | undefined;
const compiled = new WeakMap<object, ValidateFunction>();

function validator(schema: JsonObject): ValidateFunction {
  let fn = compiled.get(schema);
  if (!fn) {
    ajv ??= createAjv({ useDefaults: true });
    fn = ajv.compile(schema);
    compiled.set(schema, fn);
  }
  return fn;
}

/** Checks options in place, filling in the schema's defaults; one violation per problem, under `prefix`. */
export function checkAdapterOptions(schema: JsonObject, options: JsonObject, prefix: string): Violation[] {
  const fn = validator(schema);
  if (fn(options)) return [];
  return toViolations(fn.errors).map((x) => ({ ...x, path: prefix + x.path }));
}

/** What adapterOptions needs of an adapter type: its options schema and the options its create() takes. */
export interface OptionsOwner<O extends object> {
  readonly type: string;
  readonly optionsSchema: JsonObject;
  create(options: O, ...rest: never[]): unknown;
}

/**
 * The options an adapter's create() receives, for code that builds an adapter outside the hub's
 * config (tests, tools): a checked copy with the defaults filled in; a ConfigError when they do not fit.
 */
export function adapterOptions<O extends object>(type: OptionsOwner<O>, raw: JsonObject): O {
  const options = structuredClone(raw);
  const v = checkAdapterOptions(type.optionsSchema, options, '');
  if (v.length) throw new ConfigError(`options of adapter type ${type.type} do not match its options schema`, { violations: v });
  return options as O;
}
