/**
 * A mapping's result as plain JSON data: what `JSON.parse(JSON.stringify(v))` gives, built directly
 * for the values a mapping produces (objects, arrays, strings, finite numbers, booleans, null), which
 * costs a fraction of the round trip. Anything else (a Date, a class instance, a value with toJSON) is
 * left to the round trip itself, so the result is the same in every case.
 */

const NOT_PLAIN = Symbol('not plain');

/** JSON.parse(JSON.stringify(v)) for v !== undefined. */
export function plainData(v: unknown): unknown {
  const r = walk(v);
  return r === NOT_PLAIN ? (JSON.parse(JSON.stringify(v)) as unknown) : r;
}

function isPlainObject(o: object): boolean {
  const proto = Object.getPrototypeOf(o) as unknown;
  return proto === null || proto === Object.prototype;
}

function walk(v: unknown): unknown {
  switch (typeof v) {
    case 'string':
    case 'boolean':
      return v;
    case 'number':
      return Number.isFinite(v) ? (v === 0 ? 0 : v) : null;
    case 'object': {
      if (v === null) return null;
      if (Array.isArray(v)) {
        if (Object.getPrototypeOf(v) !== Array.prototype) return NOT_PLAIN;
        const out: unknown[] = new Array<unknown>(v.length);
        for (let i = 0; i < v.length; i++) {
          const x = v[i] as unknown;
          if (x === undefined || typeof x === 'function' || typeof x === 'symbol') out[i] = null;
          else {
            const w = walk(x);
            if (w === NOT_PLAIN) return NOT_PLAIN;
            out[i] = w;
          }
        }
        return out;
      }
      if (!isPlainObject(v) || 'toJSON' in v) return NOT_PLAIN;
      const out: Record<string, unknown> = {};
      for (const k of Object.keys(v)) {
        const x = (v as Record<string, unknown>)[k];
        if (x === undefined || typeof x === 'function' || typeof x === 'symbol') continue;
        const w = walk(x);
        if (w === NOT_PLAIN) return NOT_PLAIN;
        // a key "__proto__" is an own key in JSON.parse's result too
        if (k === '__proto__') Object.defineProperty(out, k, { value: w, enumerable: true, writable: true, configurable: true });
        else out[k] = w;
      }
      return out;
    }
    default:
      return NOT_PLAIN;
  }
}
