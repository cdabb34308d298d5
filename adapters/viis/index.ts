import { isAbsolute, resolve } from 'node:path';
import type { AdapterContext, Sink, SinkType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { ViisClient } from './client.ts';
import { RequestMapper } from './mapping.ts';
import { ViisSink } from './sink.ts';

export { ViisSink } from './sink.ts';

const DEFAULT_RETRY_CODES = ['VIIS-201', 'VIIS-301', 'VIIS-302', 'VIIS-501'];

const codeMap = { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: 100 } };

export const viisOptionsSchema: JsonObject = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', pattern: '^https?://', description: 'SOAP endpoint of the register (in production, the VISS / API Pārvaldnieks address).' },
    wsdl: { type: 'string', minLength: 1, description: 'WSDL file to use instead of the bundled model (adapters/viis/viis.wsdl); relative to the working directory.' },
    mappingSet: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      default: 'viis',
      description: 'Folder under mappings/ with person, study-right, award and credential .jsonata (canonical → register record).',
    },
    system: { type: 'string', minLength: 1, maxLength: 100, default: 'study-hub', description: 'Name of the submitting system, sent with every submission.' },
    timeoutMs: { type: 'integer', minimum: 100, maximum: 300000, default: 30000, description: 'A submission without an answer after this long is a transport failure (retried).' },
    institutionCodes: { ...codeMap, description: "SCHAC code → the institution's code in the register (default: the SCHAC code)." },
    programmeCodes: {
      type: 'object',
      additionalProperties: codeMap,
      description: "Per institution (SCHAC code): local programme id → register programme code, for study rights whose programme reference carries no 'lik' identifier.",
    },
    retryCodes: {
      type: 'array',
      items: { type: 'string', pattern: '^VIIS-[0-9]{3}$' },
      uniqueItems: true,
      default: DEFAULT_RETRY_CODES,
      description:
        'Register rejection codes retried with backoff instead of dead-lettered: those that mean a referenced record has not arrived yet (default VIIS-201, VIIS-301, VIIS-302, VIIS-501). [] dead-letters every rejection at once.',
    },
    usernameEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable with the HTTP Basic user name (with passwordEnv).' },
    passwordEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable with the HTTP Basic password.' },
  },
  dependentRequired: { usernameEnv: ['passwordEnv'], passwordEnv: ['usernameEnv'] },
};

/** The options of viisOptionsSchema, defaults filled in. */
export type ViisOptions = {
  endpoint: string;
  wsdl?: string;
  mappingSet: string;
  system: string;
  timeoutMs: number;
  institutionCodes?: Record<string, string>;
  programmeCodes?: Record<string, Record<string, string>>;
  retryCodes: string[];
  usernameEnv?: string;
  passwordEnv?: string;
};

export const viisSink: SinkType<ViisOptions> = {
  type: 'viis',
  description:
    'Delivers persons, study rights, awards and digital diplomas (degree credential notices) to the VIIS student and graduate register over SOAP (modelled WSDL); business rejections are dead-lettered with the register code and reason.',
  optionsSchema: viisOptionsSchema,
  create(o: ViisOptions, ctx: AdapterContext): Sink {
    let basicAuth: { username: string; password: string } | undefined;
    if (o.usernameEnv && o.passwordEnv) {
      const username = ctx.secret(o.usernameEnv);
      const password = ctx.secret(o.passwordEnv);
      if (!username || !password) {
        throw new ConfigError(`viis sink: environment variables ${o.usernameEnv} and ${o.passwordEnv} must be set`, {
          violations: [{ path: '/options/usernameEnv', message: 'credentials are not set in the environment' }],
        });
      }
      basicAuth = { username, password };
    }
    const wsdl = o.wsdl ? (isAbsolute(o.wsdl) ? o.wsdl : resolve(o.wsdl)) : undefined;
    const client = new ViisClient({
      endpoint: o.endpoint,
      timeoutMs: o.timeoutMs,
      ...(wsdl ? { wsdlPath: wsdl } : {}),
      ...(basicAuth ? { basicAuth } : {}),
    });
    return new ViisSink(client, new RequestMapper(ctx, o.mappingSet), {
      system: o.system,
      institutionCodes: o.institutionCodes ?? {},
      programmeCodes: o.programmeCodes ?? {},
      retryCodes: o.retryCodes,
    });
  },
};
