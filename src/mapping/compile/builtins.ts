/**
 * JSONata's built-in functions for compiled mappings. The synchronous ones are JSONata's own
 * implementations and signatures (taken from the library once, see loadBuiltins()); `$contains`,
 * `$replace` and `$split`, asynchronous in JSONata because a matcher may be, and `$sort` with a
 * comparator are ported here synchronously. Higher-order and clock functions ($map, $filter,
 * $reduce, $now, $eval, ...) are not here: a mapping calling them is left to the interpreter.
 */
import jsonata from 'jsonata';
import { append, createSequence, isArrayOfNumbers, isArrayOfStrings, isFunction, JsonataRuntimeError, type Seq } from './sequence.ts';

interface Signature {
  validate(args: unknown[], context: unknown): unknown[];
}
interface JsonataFunction {
  _jsonata_function: true;
  implementation: (this: unknown, ...args: unknown[]) => unknown;
  signature?: Signature;
}

/** Built-ins taken as they are: JSONata implements them synchronously. */
const SYNC = [
  'string',
  'trim',
  'substring',
  'substringBefore',
  'substringAfter',
  'lowercase',
  'uppercase',
  'length',
  'pad',
  'count',
  'exists',
  'not',
  'boolean',
  'lookup',
  'type',
  'formatNumber',
  'number',
  'join',
  'keys',
  'append',
  'abs',
  'floor',
  'ceil',
  'round',
  'sum',
  'max',
  'min',
  'distinct',
  'reverse',
  'error',
] as const;
/** Ported below (JSONata's are asynchronous). */
const PORTED = ['contains', 'replace', 'split', 'sort'] as const;

/** Every built-in a compiled mapping may call. */
export const BUILTIN_NAMES: ReadonlySet<string> = new Set<string>([...SYNC, ...PORTED]);
/** Every built-in of JSONata (a name the interpreter would find), supported here or not. */
let jsonataNames: ReadonlySet<string> | undefined;

let table: Map<string, JsonataFunction> | undefined;
let loading: Promise<void> | undefined;

/** Takes JSONata's function objects (implementation and signature) once; compiled mappings run after it. */
export function loadBuiltins(): Promise<void> {
  loading ??= (async () => {
    const names = [...SYNC, ...PORTED];
    const obj = (await jsonata(`{ ${names.map((n) => `"${n}": $${n}`).join(', ')} }`).evaluate({})) as Record<string, JsonataFunction>;
    table = new Map(names.map((n) => [n, obj[n]!]));
  })();
  return loading;
}

export const builtinsLoaded = (): boolean => table !== undefined;

/** The names JSONata binds in its static environment (to tell a built-in from a free variable). */
export function isJsonataBuiltin(name: string): boolean {
  jsonataNames ??= new Set(JSONATA_BUILTINS);
  return jsonataNames.has(name);
}

const FOCUS = { options: {}, createSequence, input: undefined as unknown, environment: undefined };

/** A thrown error that tells the compiled function's caller to ask the interpreter (not an outcome). */
export class NeedsInterpreter {
  constructor(readonly why: string) {}
}

/** `$error(message)`: the rejection JSONata throws (D3137, the message as given). */
export class ErrorCall {
  readonly code = 'D3137';
  constructor(readonly message: string) {}
}

const BLANK = /[ \t\n\r]/;
const SURROGATE = /[\uD800-\uDFFF]/;

/** fn.substring on a string whose code points are its code units (Array and String slice alike). */
function substringOfUnits(str: string, start: number, length: number | undefined): string {
  const strLength = str.length;
  let from = start;
  if (strLength + from < 0) from = 0;
  if (length !== undefined) {
    if (length <= 0) return '';
    const end = from >= 0 ? from + length : strLength + from + length;
    return str.slice(from, end);
  }
  return str.slice(from);
}

const isStr = (v: unknown) => v === undefined || typeof v === 'string';

/** Arguments that JSONata's signature would pass through unchanged, so validation can be skipped. */
function plain(name: string, a: unknown[]): boolean {
  switch (name) {
    case 'string':
      return a.length === 1;
    case 'trim':
    case 'lowercase':
    case 'uppercase':
    case 'length':
      return a.length === 1 && isStr(a[0]);
    case 'exists':
    case 'type':
    case 'not':
    case 'boolean':
      return a.length === 1;
    case 'count':
      return a.length === 1 && (a[0] === undefined || Array.isArray(a[0]));
    case 'lookup':
      return a.length === 2 && typeof a[1] === 'string';
    case 'substring':
      return (a.length === 2 || a.length === 3) && isStr(a[0]) && typeof a[1] === 'number' && (a.length === 2 || typeof a[2] === 'number');
    case 'contains':
      return a.length === 2 && isStr(a[0]) && (typeof a[1] === 'string' || typeof a[1] === 'function');
    case 'replace':
      return a.length === 3 && isStr(a[0]) && (typeof a[1] === 'string' || typeof a[1] === 'function') && typeof a[2] === 'string';
    case 'split':
      return a.length === 2 && isStr(a[0]) && (typeof a[1] === 'string' || typeof a[1] === 'function');
    case 'formatNumber':
      return a.length === 2 && (a[0] === undefined || typeof a[0] === 'number') && typeof a[1] === 'string';
    case 'error':
      return a.length === 1 && isStr(a[0]);
    default:
      return false;
  }
}

/**
 * The built-in `name` called as JSONata's apply() does: the arguments checked against its signature
 * (`context` fills an argument marked `-`), then the implementation. A signature violation is JSONata's
 * error (T0410...), reported by the interpreter. One caller per call site (the lookups done once).
 */
export function builtinCaller(name: string): (args: unknown[], context: unknown, comparator?: (a: unknown, b: unknown) => unknown) => unknown {
  let f: JsonataFunction | undefined;
  return (args, context, comparator) => {
    f ??= table?.get(name);
    if (!f) throw new NeedsInterpreter(`built-in $${name} not loaded`);
    const a = plain(name, args) ? args : f.signature ? f.signature.validate(args, context) : args;
    switch (name) {
      case 'contains':
        return contains(a[0], a[1]);
      case 'replace':
        return replace(a[0], a[1], a[2], a[3]);
      case 'split':
        return split(a[0], a[1], a[2]);
      case 'sort':
        return sort(a[0], comparator);
      case 'error':
        throw new ErrorCall((a[0] as string | undefined) || '$error() function evaluated');
      case 'substring':
        // JSONata slices the string's code points; without surrogates they are its code units
        if (typeof a[0] === 'string' && !SURROGATE.test(a[0])) return substringOfUnits(a[0], a[1] as number, a[2] as number | undefined);
        return f.implementation.apply(FOCUS, a);
      case 'trim':
        // JSONata's $trim, which allocates even for a string without blanks: the same for such a string
        if (typeof a[0] === 'string' && !BLANK.test(a[0])) return a[0];
        return f.implementation.apply(FOCUS, a);
      default: {
        FOCUS.input = context;
        const r = f.implementation.apply(FOCUS, a);
        if (r instanceof Promise) throw new NeedsInterpreter(`built-in $${name} is asynchronous`);
        return r;
      }
    }
  };
}

interface Match {
  match: string;
  start: number;
  end: number;
  groups: string[];
  next(): Match | undefined;
}
export type Matcher = ((str: string, fromIndex?: number) => Match | undefined) & { matches?: (str: string) => boolean };

/** evaluateRegex(): the matcher JSONata makes of a regex literal. */
export function regexMatcher(source: RegExp): Matcher {
  const re = new RegExp(source);
  const closure: Matcher = (str, fromIndex) => {
    re.lastIndex = fromIndex || 0;
    const m = re.exec(str);
    if (m === null) return undefined;
    const result: Match = {
      match: m[0],
      start: m.index,
      end: m.index + m[0].length,
      groups: m.slice(1) as string[],
      next() {
        if (re.lastIndex >= str.length) return undefined;
        const next = closure(str, re.lastIndex);
        if (next && next.match === '') throw new JsonataRuntimeError('D1004', source.source);
        return next;
      },
    };
    return result;
  };
  // Whether the string has a match at all ($contains): the same exec, without building the match.
  closure.matches = (str) => {
    re.lastIndex = 0;
    return re.exec(str) !== null;
  };
  return closure;
}

function matcherOf(token: unknown, str: string): Match | undefined {
  if (typeof token !== 'function') throw new NeedsInterpreter('a matcher that is not a regex');
  const r = (token as Matcher)(str) as unknown;
  if (r instanceof Promise) throw new NeedsInterpreter('an asynchronous matcher');
  return r as Match | undefined;
}

function contains(str: unknown, token: unknown): boolean | undefined {
  if (str === undefined || token === undefined) return undefined;
  if (typeof token === 'string') return (str as string).indexOf(token) !== -1;
  const m = (token as Matcher).matches;
  if (m) return m(str as string);
  return matcherOf(token, str as string) !== undefined;
}

function substitute(replacement: string, m: Match): string {
  let out = '';
  let position = 0;
  let index = replacement.indexOf('$', position);
  while (index !== -1 && position < replacement.length) {
    out += replacement.substring(position, index);
    position = index + 1;
    const dollarVal = replacement.charAt(position);
    if (dollarVal === '$') {
      out += '$';
      position++;
    } else if (dollarVal === '0') {
      out += m.match;
      position++;
    } else {
      const maxDigits = m.groups.length === 0 ? 1 : Math.floor(Math.log(m.groups.length) * Math.LOG10E) + 1;
      index = parseInt(replacement.substring(position, position + maxDigits), 10);
      if (maxDigits > 1 && index > m.groups.length) index = parseInt(replacement.substring(position, position + maxDigits - 1), 10);
      if (!isNaN(index)) {
        if (m.groups.length > 0) {
          const sub = m.groups[index - 1];
          if (sub !== undefined) out += sub;
        }
        position += index.toString().length;
      } else {
        out += '$';
      }
    }
    index = replacement.indexOf('$', position);
  }
  return out + replacement.substring(position);
}

function replace(str: unknown, pattern: unknown, replacement: unknown, limit: unknown): unknown {
  if (str === undefined) return undefined;
  const s = str as string;
  if (pattern === '') throw new JsonataRuntimeError('D3010', pattern);
  if ((limit as number) < 0) throw new JsonataRuntimeError('D3011', limit);
  if (typeof replacement !== 'string') throw new NeedsInterpreter('$replace with a function');
  const lim = limit as number | undefined;
  let result = '';
  let position = 0;
  if (lim === undefined || lim > 0) {
    let count = 0;
    if (typeof pattern === 'string') {
      let index = s.indexOf(pattern, position);
      while (index !== -1 && (lim === undefined || count < lim)) {
        result += s.substring(position, index) + replacement;
        position = index + pattern.length;
        count++;
        index = s.indexOf(pattern, position);
      }
      result += s.substring(position);
    } else {
      let m = matcherOf(pattern, s);
      if (m !== undefined) {
        while (m !== undefined && (lim === undefined || count < lim)) {
          result += s.substring(position, m.start) + substitute(replacement, m);
          position = m.start + m.match.length;
          count++;
          m = m.next();
        }
        result += s.substring(position);
      } else {
        result = s;
      }
    }
  } else {
    result = s;
  }
  return result;
}

function split(str: unknown, separator: unknown, limit: unknown): unknown {
  if (str === undefined) return undefined;
  const s = str as string;
  const lim = limit as number | undefined;
  if ((limit as number) < 0) throw new JsonataRuntimeError('D3020', limit);
  let result: string[] = [];
  if (lim === undefined || lim > 0) {
    if (typeof separator === 'string') {
      result = s.split(separator, lim);
    } else {
      let count = 0;
      let m = matcherOf(separator, s);
      if (m !== undefined) {
        let start = 0;
        while (m !== undefined && (lim === undefined || count < lim)) {
          result.push(s.substring(start, m.start));
          start = m.end;
          m = m.next();
          count++;
        }
        if (lim === undefined || count < lim) result.push(s.substring(start));
      } else {
        result.push(s);
      }
    }
  }
  return result;
}

/** fn.sort: JSONata's merge sort (stable; the comparator returning truthy puts the right item first). */
function sort(arr: unknown, comparator?: (a: unknown, b: unknown) => unknown): unknown {
  if (arr === undefined) return undefined;
  const list = arr as Seq;
  if (list.length <= 1) return list;
  let comp = comparator;
  if (comp === undefined) {
    if (!isArrayOfNumbers(list) && !isArrayOfStrings(list)) throw new JsonataRuntimeError('D3070');
    comp = (a, b) => (a as number) > (b as number);
  }
  const c = comp;
  const merge = (l: unknown[], r: unknown[]): unknown[] => {
    const out: unknown[] = [];
    let i = 0;
    let j = 0;
    while (i < l.length || j < r.length) {
      if (i >= l.length) out.push(r[j++]);
      else if (j >= r.length) out.push(l[i++]);
      else if (c(l[i], r[j])) out.push(r[j++]);
      else out.push(l[i++]);
    }
    return out;
  };
  const msort = (a: unknown[]): unknown[] => {
    if (a.length <= 1) return a;
    const middle = Math.floor(a.length / 2);
    return merge(msort(a.slice(0, middle)), msort(a.slice(middle)));
  };
  return msort(list);
}

export { append, isFunction };

/** The names of JSONata 2.x's built-in functions (its static environment). */
const JSONATA_BUILTINS = [
  'sum',
  'count',
  'max',
  'min',
  'average',
  'string',
  'substring',
  'substringBefore',
  'substringAfter',
  'lowercase',
  'uppercase',
  'length',
  'trim',
  'pad',
  'match',
  'contains',
  'replace',
  'split',
  'join',
  'formatNumber',
  'formatBase',
  'formatInteger',
  'parseInteger',
  'number',
  'floor',
  'ceil',
  'round',
  'abs',
  'sqrt',
  'power',
  'random',
  'boolean',
  'not',
  'map',
  'zip',
  'filter',
  'single',
  'reduce',
  'sift',
  'keys',
  'lookup',
  'append',
  'exists',
  'spread',
  'merge',
  'reverse',
  'each',
  'error',
  'assert',
  'type',
  'sort',
  'shuffle',
  'distinct',
  'base64encode',
  'base64decode',
  'encodeUrlComponent',
  'encodeUrl',
  'decodeUrlComponent',
  'decodeUrl',
  'eval',
  'toMillis',
  'fromMillis',
  'clone',
  'now',
  'millis',
];
