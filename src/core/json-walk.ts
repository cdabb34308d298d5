import { InternalError, NestingTooDeepError } from './errors.ts';

/**
 * Walks of untrusted JSON values without recursion: a value nested 20,000 levels deep (120 KB of
 * `{"a":`) must not exhaust the call stack. The depth limit (`limits.maxDepth`) is checked where
 * input enters (request bodies, each ingested record); the other walks of the hub then stay
 * recursive only over values that passed it, or are iterative like these.
 */

/** Default of `limits.maxDepth`: objects and arrays nested in one another, at most. */
export const DEFAULT_MAX_DEPTH = 64;

/** JSON pointers in error messages are shortened beyond this many characters. */
const POINTER_SHOWN = 300;

const escToken = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

const isContainer = (v: unknown): v is object => v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON !== 'function';

/** A JSON pointer for messages: shortened (with `…`) when very long. */
export function shownPointer(tokens: readonly string[]): string {
  const p = tokens.map((t) => `/${escToken(t.length > 40 ? `${t.slice(0, 40)}…` : t)}`).join('');
  return p.length > POINTER_SHOWN ? `${p.slice(0, POINTER_SHOWN)}…` : p;
}

interface Node {
  v: unknown;
  depth: number;
  key: string;
  parent: Node | undefined;
}

/**
 * The first value nested deeper than `maxDepth` objects and arrays (a scalar at the top is depth 0,
 * `{}` depth 1), as the JSON pointer of the container that goes one level too far; undefined when
 * the value is within the limit. A cycle (possible in values built in code, never in parsed JSON)
 * is reported as too deep.
 */
export function tooDeep(value: unknown, maxDepth: number): { pointer: string; depth: number } | undefined {
  const stack: Node[] = [{ v: value, depth: 0, key: '', parent: undefined }];
  while (stack.length) {
    const n = stack.pop()!;
    if (!isContainer(n.v)) continue;
    const depth = n.depth + 1;
    if (depth > maxDepth) {
      const tokens: string[] = [];
      for (let x: Node | undefined = n; x && x.parent; x = x.parent) tokens.push(x.key);
      return { pointer: shownPointer(tokens.reverse()), depth };
    }
    if (Array.isArray(n.v)) {
      for (let i = n.v.length - 1; i >= 0; i--) stack.push({ v: n.v[i], depth, key: String(i), parent: n });
    } else {
      const keys = Object.keys(n.v);
      for (let i = keys.length - 1; i >= 0; i--) stack.push({ v: (n.v as Record<string, unknown>)[keys[i]!], depth, key: keys[i]!, parent: n });
    }
  }
  return undefined;
}

/**
 * Throws a NestingTooDeepError (400, the pointer and the limit) when the value is nested deeper than
 * `maxDepth`; `wrapper` levels more are allowed above it (an ingest body's array of records).
 */
export function assertDepth(value: unknown, maxDepth: number, what = 'the JSON', wrapper = 0): void {
  const hit = tooDeep(value, maxDepth + wrapper);
  if (!hit) return;
  const message = `nested deeper than limits.maxDepth (${maxDepth} levels of objects and arrays)`;
  throw new NestingTooDeepError(`${what} is ${message} at ${hit.pointer || '/'}`, {
    violations: [{ path: hit.pointer, message, keyword: 'maxDepth' }],
    extra: { maxDepth },
  });
}

type Task = string | { v: unknown } | { exit: object };

/**
 * JSON text of a value without recursion. `sorted`: the hub's stable form (keys sorted, no toJSON,
 * undefined properties left out, other non-JSON values as null), whose text is hashed (idempotency
 * keys, the disclosure log's chain) and must not change. Otherwise JSON.stringify's rules.
 * A cycle is a TypeError, as for JSON.stringify.
 */
export function serialize(value: unknown, sorted: boolean): string {
  const out: string[] = [];
  const open = new Set<object>();
  const tasks: Task[] = [{ v: value }];
  // Scalars are written at once (no task of their own): the common case, and the fast one.
  const leaf = (x: unknown): string | undefined => (x === null || (typeof x !== 'object' && typeof x !== 'function') ? (JSON.stringify(x) ?? 'null') : undefined);
  while (tasks.length) {
    const t = tasks.pop()!;
    if (typeof t === 'string') {
      out.push(t);
      continue;
    }
    if ('exit' in t) {
      open.delete(t.exit);
      continue;
    }
    let v = t.v;
    if (!sorted && v !== null && typeof v === 'object' && typeof (v as { toJSON?: unknown }).toJSON === 'function') v = (v as { toJSON(): unknown }).toJSON();
    if (v === null || typeof v !== 'object') {
      out.push(JSON.stringify(v) ?? 'null');
      continue;
    }
    if (open.has(v)) throw new InternalError('Converting circular structure to JSON');
    open.add(v);
    tasks.push({ exit: v });
    if (Array.isArray(v)) {
      tasks.push(']');
      for (let i = v.length - 1; i >= 0; i--) {
        // The stable form keeps what Array.prototype.map + join made of holes: nothing.
        if (i in v || !sorted) tasks.push(leaf(v[i]) ?? { v: v[i] });
        if (i > 0) tasks.push(',');
      }
      tasks.push('[');
      continue;
    }
    const o = v as Record<string, unknown>;
    const omit = (x: unknown) => x === undefined || (!sorted && (typeof x === 'function' || typeof x === 'symbol'));
    const keys = Object.keys(o).filter((k) => !omit(o[k]));
    if (sorted) keys.sort();
    tasks.push('}');
    for (let i = keys.length - 1; i >= 0; i--) {
      const x = o[keys[i]!];
      tasks.push(leaf(x) ?? { v: x });
      tasks.push(`${i > 0 ? ',' : ''}${JSON.stringify(keys[i])}:`);
    }
    tasks.push('{');
  }
  return out.join('');
}

/** JSON.stringify, falling back to the iterative serializer for values too deep for the call stack. */
export function jsonText(value: unknown): string {
  try {
    return JSON.stringify(value) ?? 'null';
  } catch (e) {
    if (e instanceof RangeError) return serialize(value, false);
    throw e;
  }
}

/**
 * A copy of a JSON value (no cycles) without recursion. `edit` sees every value, with its key in the
 * parent (undefined at the top), before it is copied: what it returns is copied in its place, and
 * copied into when it is an object or array.
 */
export function copyJson(value: unknown, edit: (v: unknown, key: string | undefined) => unknown): unknown {
  const stack: [object, Record<string, unknown> | unknown[]][] = [];
  const place = (v: unknown): unknown => {
    if (v === null || typeof v !== 'object') return v;
    const copy = Array.isArray(v) ? [] : {};
    stack.push([v, copy]);
    return copy;
  };
  const out = place(edit(value, undefined));
  while (stack.length) {
    const [src, dst] = stack.pop()!;
    if (Array.isArray(src)) for (let i = 0; i < src.length; i++) (dst as unknown[])[i] = place(edit(src[i], String(i)));
    else for (const [k, x] of Object.entries(src)) (dst as Record<string, unknown>)[k] = place(edit(x, k));
  }
  return out;
}
