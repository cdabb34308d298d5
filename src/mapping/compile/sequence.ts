/**
 * JSONata's value model, ported for compiled mappings (compile/translate.ts): sequences (arrays
 * flagged `sequence`), the unwrapping of a node's result, field lookup, append, effective boolean
 * value and deep equality. Each function follows jsonata 2.x (jsonata.js) line by line; the
 * differential test (test/mapping-compile.test.ts) holds both to the same results.
 */

export type Seq = unknown[] & { sequence?: boolean; keepSingleton?: boolean; cons?: boolean; outerWrapper?: boolean; tupleStream?: boolean };

export function createSequence(...items: unknown[]): Seq {
  const s: Seq = [];
  s.sequence = true;
  if (items.length === 1) s.push(items[0]);
  return s;
}

export function isSequence(v: unknown): v is Seq {
  return Array.isArray(v) && (v as Seq).sequence === true;
}

/** A JSONata runtime error (a `code`, no message yet): the interpreter is asked for its exact wording. */
export class JsonataRuntimeError {
  constructor(
    readonly code: string,
    readonly value?: unknown,
  ) {}
}

/** JSONata's isNumeric: a number that is not NaN; an infinite number is error D1001. */
export function isNumeric(n: unknown): n is number {
  if (typeof n !== 'number' || Number.isNaN(n)) return false;
  if (!Number.isFinite(n)) throw new JsonataRuntimeError('D1001', n);
  return true;
}

export function isArrayOfNumbers(v: unknown): boolean {
  return Array.isArray(v) && v.filter((x) => !isNumeric(x)).length === 0;
}

export function isArrayOfStrings(v: unknown): boolean {
  return Array.isArray(v) && v.filter((x) => typeof x !== 'string').length === 0;
}

/** A compiled lambda (a function value of the mapping). */
export interface Lambda {
  readonly _jsonata_lambda: true;
  call(args: unknown[]): unknown;
}

export function isFunction(v: unknown): boolean {
  if (typeof v === 'function') return true;
  if (v === null || typeof v !== 'object') return false;
  const o = v as { _jsonata_function?: unknown; _jsonata_lambda?: unknown };
  return o._jsonata_function === true || o._jsonata_lambda === true;
}

/** What evaluate() does with every node's result: a sequence of none is nothing, of one its item (unless kept). */
export function finish(result: unknown, keepArray: boolean): unknown {
  if (result && isSequence(result) && !result.tupleStream) {
    if (keepArray) result.keepSingleton = true;
    if (result.length === 0) return undefined;
    if (result.length === 1) return result.keepSingleton ? result : result[0];
  }
  return result;
}

/** fn.lookup: the field of an object, or of every object of an array (flattened). */
export function lookup(input: unknown, key: string): unknown {
  if (Array.isArray(input)) {
    const result = createSequence();
    for (const item of input) {
      const res = lookup(item, key);
      if (res !== undefined) {
        if (Array.isArray(res)) for (const v of res) result.push(v);
        else result.push(res);
      }
    }
    return result;
  }
  if (input !== null && typeof input === 'object' && Object.prototype.hasOwnProperty.call(input, key) && !isFunction(input)) {
    return (input as Record<string, unknown>)[key];
  }
  return undefined;
}

/** fn.append: both arguments as one sequence; undefined is dropped. */
export function append(arg1: unknown, arg2: unknown): unknown {
  if (arg1 === undefined) return arg2;
  if (arg2 === undefined) return arg1;
  const a1 = Array.isArray(arg1) ? arg1 : createSequence(arg1);
  const a2 = Array.isArray(arg2) ? arg2 : [arg2];
  return a1.concat(a2);
}

/** fn.boolean: the effective boolean value (undefined for undefined). */
export function toBoolean(arg: unknown): boolean | undefined {
  if (arg === undefined) return undefined;
  let result: boolean | undefined = false;
  if (Array.isArray(arg)) {
    if (arg.length === 1) result = toBoolean(arg[0]);
    else if (arg.length > 1) result = arg.filter((v) => toBoolean(v)).length > 0;
  } else if (typeof arg === 'string') {
    result = arg.length > 0;
  } else if (isNumeric(arg)) {
    result = arg !== 0;
  } else if (arg !== null && typeof arg === 'object' && !isFunction(arg)) {
    result = Object.keys(arg).length > 0;
  } else if (typeof arg === 'boolean' && arg === true) {
    result = true;
  }
  return result;
}

export function isDeepEqual(lhs: unknown, rhs: unknown): boolean {
  if (lhs === rhs) return true;
  if (typeof lhs === 'object' && typeof rhs === 'object' && lhs !== null && rhs !== null) {
    if (Array.isArray(lhs) && Array.isArray(rhs)) {
      if (lhs.length !== rhs.length) return false;
      for (let i = 0; i < lhs.length; i++) if (!isDeepEqual(lhs[i], rhs[i])) return false;
      return true;
    }
    const lkeys = Object.getOwnPropertyNames(lhs).sort();
    const rkeys = Object.getOwnPropertyNames(rhs).sort();
    if (lkeys.length !== rkeys.length) return false;
    for (let i = 0; i < lkeys.length; i++) if (lkeys[i] !== rkeys[i]) return false;
    for (const k of lkeys) if (!isDeepEqual((lhs as Record<string, unknown>)[k], (rhs as Record<string, unknown>)[k])) return false;
    return true;
  }
  return false;
}

/** fn.string without prettify: a value as JSONata's `$string` and `&` write it. */
export function toJsonataString(arg: unknown): string | undefined {
  if (arg === undefined) return undefined;
  if (typeof arg === 'string') return arg;
  if (isFunction(arg)) return '';
  if (typeof arg === 'number' && !Number.isFinite(arg)) throw new JsonataRuntimeError('D3001', arg);
  const v = Array.isArray(arg) && (arg as Seq).outerWrapper ? arg[0] : arg;
  return JSON.stringify(v, (_key, val: unknown) => {
    if (val !== undefined && val !== null && isNumeric(val)) return !Number.isInteger(val) ? Number(val.toPrecision(15)) : val;
    return val && isFunction(val) ? '' : val;
  });
}
