import pino, { type Logger } from 'pino';
import { PERSONAL_CODE_IN_TEXT } from '../core/personal-code.ts';
import { requestMixin } from './request-context.ts';

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

/** Replaces personal codes inside free text. */
export function scrub(text: string): string {
  return text.replace(PERSONAL_CODE_IN_TEXT, '[personal-code]');
}

/**
 * The hub's structured logger: pino, with personal data redacted by field name and personal
 * codes scrubbed from every message text.
 */
export function createLogger(level: string, destination?: pino.DestinationStream): Logger {
  return pino(
    {
      level,
      base: { service: 'study-data-hub' },
      mixin: requestMixin,
      redact: { paths: REDACT_PATHS, censor: '[redacted]' },
      hooks: {
        logMethod(args, method) {
          const scrubbed = args.map((a) => (typeof a === 'string' ? scrub(a) : a)) as Parameters<typeof method>;
          method.apply(this, scrubbed);
        },
      },
      formatters: {
        log(obj) {
          for (const [k, v] of Object.entries(obj)) {
            if (typeof v === 'string') obj[k] = scrub(v);
            else if (v instanceof Error) obj[k] = { type: v.name, message: scrub(v.message), code: (v as { code?: string }).code };
          }
          return obj;
        },
      },
    },
    destination,
  );
}
