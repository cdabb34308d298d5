import pino, { type Logger } from 'pino';
import { requestMixin } from './request-context.ts';
import { clip, scrub } from './scrub.ts';

export { scrub } from './scrub.ts';

/** Field names whose values are personal data: redacted wherever they appear in a log object. */
const PERSONAL_FIELDS = ['personalCode', 'personasKods', 'personas_kods', 'givenNames', 'familyName', 'vards', 'uzvards', 'name', 'birthDate', 'email', 'raw', 'record', 'canonical', 'payload'];

export const REDACT_PATHS = [
  ...PERSONAL_FIELDS,
  ...PERSONAL_FIELDS.map((f) => `*.${f}`),
  ...PERSONAL_FIELDS.map((f) => `*.*.${f}`),
  'req.headers.authorization',
  'headers.authorization',
  'identifiers',
  '*.identifiers',
];

/** No log line is longer than this (bytes, newline included): a longer one is cut down to its core fields. */
export const MAX_LOG_LINE_BYTES = 8192;
/** Each string in a log line (the message, every field) is cut to this many characters. */
export const MAX_LOG_STRING = 2000;
/** How deep fields are copied for cutting (pino's own depth limit for log objects). */
const FIELD_DEPTH = 5;
/** How many items of an array or properties of an object are kept (pino's own breadth limit). */
const FIELD_BREADTH = 100;
/** Fields kept first when a line is over the limit. */
const CORE_FIELDS = ['level', 'time', 'service', 'component', 'msg'];

/** A log field with every string in it cut, and errors reduced to type, message and code. */
function cut(v: unknown, depth: number): unknown {
  if (typeof v === 'string') return clip(v, MAX_LOG_STRING);
  if (v instanceof Error) return { type: v.name, message: clip(v.message, MAX_LOG_STRING), code: (v as { code?: string }).code };
  if (v === null || typeof v !== 'object') return v;
  if (typeof (v as { toJSON?: unknown }).toJSON === 'function') return cut((v as { toJSON(): unknown }).toJSON(), depth);
  // Instances of other classes (pino-http's req and res) are left to their serializers; the line cap still holds.
  const proto = Object.getPrototypeOf(v) as unknown;
  if (!Array.isArray(v) && proto !== Object.prototype && proto !== null) return v;
  if (depth >= FIELD_DEPTH) return '[object]';
  if (Array.isArray(v)) return v.slice(0, FIELD_BREADTH).map((x) => cut(x, depth + 1));
  const out: Record<string, unknown> = {};
  for (const [k, x] of Object.entries(v).slice(0, FIELD_BREADTH)) out[k] = cut(x, depth + 1);
  return out;
}

/** JSON string literals of a line (personal codes are replaced inside them only, never in numbers). */
const STRING_LITERAL = /"(?:[^"\\]|\\.)*"/g;

/** A serialized line with the personal codes in its strings replaced (decoded first: escapes stay whole). */
function scrubLine(line: string): string {
  return line.replace(STRING_LITERAL, (lit) => {
    if (!/\d{5}/.test(lit)) return lit;
    const text = JSON.parse(lit) as string;
    const clean = scrub(text);
    return clean === text ? lit : JSON.stringify(clean);
  });
}

/** A serialized line over MAX_LOG_LINE_BYTES, rebuilt from its core fields and as many others as fit. */
export function capLine(line: string): string {
  const bytes = (s: string) => Buffer.byteLength(s) + 1;
  if (bytes(line.trimEnd()) <= MAX_LOG_LINE_BYTES) return line;
  let o: Record<string, unknown>;
  try {
    o = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return `${JSON.stringify({ msg: clip(line, 200), truncated: bytes(line) }).slice(0, MAX_LOG_LINE_BYTES - 1)}\n`;
  }
  const out: Record<string, unknown> = { truncated: bytes(line.trimEnd()) };
  for (const k of CORE_FIELDS) if (k in o) out[k] = typeof o[k] === 'string' ? clip(o[k] as string, 1000) : o[k];
  for (const [k, v] of Object.entries(o)) {
    if (k in out) continue;
    const shown = typeof v === 'string' ? clip(v, 200) : v !== null && typeof v === 'object' ? clip(JSON.stringify(v), 200) : v;
    if (bytes(JSON.stringify({ ...out, [k]: shown })) <= MAX_LOG_LINE_BYTES) out[k] = shown;
  }
  let s = JSON.stringify(out);
  for (let max = 500; bytes(s) > MAX_LOG_LINE_BYTES && max >= 10; max = Math.floor(max / 2)) {
    for (const [k, v] of Object.entries(out)) if (typeof v === 'string') out[k] = clip(v, max);
    s = JSON.stringify(out);
  }
  if (bytes(s) > MAX_LOG_LINE_BYTES) s = JSON.stringify({ level: o.level, time: o.time, msg: 'log line over the length limit', truncated: out.truncated });
  return `${s}\n`;
}

/**
 * The hub's structured logger: pino, with personal data redacted by field name, personal codes
 * replaced in every string of every line (in any spacing), every string cut to MAX_LOG_STRING
 * characters and no line longer than MAX_LOG_LINE_BYTES. Names of a person cannot be recognised
 * here: callers that log a text about a record scrub it first (observability/scrub.ts, scrubForLog).
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'study-data-hub' },
      mixin: requestMixin,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      // Errors are already reduced to { type, message, code } by the log formatter below.
      serializers: { err: (v: unknown) => v },
      hooks: {
        logMethod(args, method) {
          let a: unknown[] = [...args];
          // logger.warn(err) and logger.warn({ err }) take the message from the error: cut it here too.
          if (a[0] instanceof Error) a = [{ err: a[0] }, ...a.slice(1)];
          const first = a[0] as { err?: unknown; msg?: unknown } | undefined;
          if (first && typeof first === 'object' && first.err instanceof Error && typeof a[1] !== 'string' && first.msg === undefined) a = [first, first.err.message, ...a.slice(1)];
          method.apply(this, a.map((x) => (typeof x === 'string' ? clip(scrub(x), MAX_LOG_STRING) : x)) as Parameters<typeof method>);
        },
        streamWrite(line) {
          return capLine(scrubLine(line));
        },
      },
      formatters: {
        log(obj) {
          const out: Record<string, unknown> = {};
          for (const [k, v] of Object.entries(obj)) out[k] = cut(v, 0);
          return out;
        },
      },
    },
    destination,
  );
}
