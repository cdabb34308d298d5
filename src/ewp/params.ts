import { EwpRequestError } from '../core/errors.ts';

/** An EWP identifier (common-types.xsd AsciiPrintableIdentifier): 1 to 64 printable ASCII characters. */
const EWP_IDENTIFIER = /^[\x21-\x7e]{1,64}$/;

export function isEwpIdentifier(v: string): boolean {
  return EWP_IDENTIFIER.test(v);
}

const XS_DATETIME = /^-?\d{4,}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?(Z|[+-]\d{2}:\d{2})?$/;

/**
 * Request parameters of an EWP endpoint: the query string of a GET, or the form body of a
 * POST (application/x-www-form-urlencoded; anything else is a 415). Repeatable parameters come
 * as `x=1&x=2`; a single-valued parameter given twice is a 400.
 */
export class Params {
  constructor(private readonly map: Map<string, string[]>) {}

  static parse(method: string, target: string, body: Buffer, contentType: string | undefined): Params {
    const map = new Map<string, string[]>();
    const add = (qs: string) => {
      for (const [k, v] of new URLSearchParams(qs)) map.set(k, [...(map.get(k) ?? []), v]);
    };
    const q = target.indexOf('?');
    if (q >= 0) add(target.slice(q + 1));
    if (method === 'POST' && body.length > 0) {
      const type = (contentType ?? '').split(';')[0]!.trim().toLowerCase();
      if (type !== 'application/x-www-form-urlencoded') throw new EwpRequestError(`parameters must be sent as application/x-www-form-urlencoded, not '${type || 'no content type'}'`, { status: 415 });
      add(body.toString('utf8'));
    }
    return new Params(map);
  }

  list(name: string): string[] {
    return this.map.get(name) ?? [];
  }

  one(name: string): string | undefined {
    const v = this.list(name);
    if (v.length > 1) throw new EwpRequestError(`parameter ${name} must not be repeated`);
    return v[0];
  }

  required(name: string): string {
    const v = this.one(name);
    if (v === undefined || v === '') throw new EwpRequestError(`parameter ${name} is required`);
    return v;
  }

  /** A required repeatable id list, at most `max` values. */
  ids(name: string, max: number): string[] {
    const v = this.list(name);
    if (v.length === 0) throw new EwpRequestError(`parameter ${name} is required`);
    if (v.length > max) throw new EwpRequestError(`at most ${max} ${name} values per request (got ${v.length})`);
    return [...new Set(v)];
  }

  /** A required EWP identifier (an IIA or mobility id a partner notifies): 400 when it is not one. */
  identifier(name: string): string {
    const v = this.required(name);
    checkIdentifier(name, v);
    return v;
  }

  /** A required repeatable list of EWP identifiers, at most `max` values. */
  identifiers(name: string, max: number): string[] {
    const v = this.ids(name, max);
    for (const id of v) checkIdentifier(name, id);
    return v;
  }

  /** `modified_since` as xs:dateTime (a plain date or another format is a 400). */
  modifiedSince(): number | undefined {
    const v = this.one('modified_since');
    if (v === undefined) return undefined;
    const t = Date.parse(v);
    if (!XS_DATETIME.test(v) || !Number.isFinite(t)) throw new EwpRequestError(`modified_since must be an xs:dateTime, e.g. 2024-05-01T12:00:00+03:00; got '${v}'`);
    return t;
  }

  /** Academic year ids (YYYY/YYYY+1, or YYYY/YYYY for the southern hemisphere). */
  academicYears(name: string): string[] {
    const v = this.list(name);
    for (const y of v) {
      const m = /^(\d{4})\/(\d{4})$/.exec(y);
      if (!m || (Number(m[2]) !== Number(m[1]) + 1 && m[2] !== m[1])) throw new EwpRequestError(`${name} must look like 2024/2025; got '${y}'`);
    }
    return v;
  }
}

/** The message says how long the value was, never the value (a partner's 100 KB id stays out of answers and logs). */
function checkIdentifier(name: string, v: string): void {
  if (!isEwpIdentifier(v)) throw new EwpRequestError(`parameter ${name} must be an EWP identifier: 1 to 64 printable ASCII characters without spaces (got ${v.length} characters)`);
}
