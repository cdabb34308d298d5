import { isAbsolute, resolve } from 'node:path';
import type { AdapterContext, Sink, SinkType } from '../../src/core/adapter.ts';
import { ConfigError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import { ViisClient } from './client.ts';
import { RequestMapper } from './mapping.ts';
import { ViisSink } from './sink.ts';

export { ViisSink } from './sink.ts';
export { ViisSimulator } from './simulator.ts';

const DEFAULT_RETRY_CODES = ['VIIS-201', 'VIIS-301', 'VIIS-302'];

const codeMap = { type: 'object', additionalProperties: { type: 'string', minLength: 1, maxLength: 100 } };

export const viisOptionsSchema: JsonObject = {
  type: 'object',
  additionalProperties: false,
  required: ['endpoint'],
  properties: {
    endpoint: { type: 'string', pattern: '^https?://', description: 'SOAP endpoint of the register (in production, the VISS / API Pārvaldnieks address).' },
    wsdl: { type: 'string', minLength: 1, description: 'WSDL file to use instead of the bundled model (adapters/viis/viis.wsdl); relative to the working directory.' },
    mappingSet: { type: 'string', pattern: '^[a-z0-9][a-z0-9_-]{0,62}$', default: 'viis', description: 'Folder under mappings/ with person, study-right and award .jsonata (canonical → register record).' },
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
      description: 'Register rejection codes retried with backoff instead of dead-lettered: those that mean a referenced record has not arrived yet (default VIIS-201, VIIS-301, VIIS-302). [] dead-letters every rejection at once.',
    },
    usernameEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable with the HTTP Basic user name (with passwordEnv).' },
    passwordEnv: { type: 'string', pattern: '^[A-Z_][A-Z0-9_]*$', description: 'Environment variable with the HTTP Basic password.' },
  },
  dependentRequired: { usernameEnv: ['passwordEnv'], passwordEnv: ['usernameEnv'] },
};

function stringMap(v: unknown): Record<string, string> {
  return v && typeof v === 'object' ? (v as Record<string, string>) : {};
}

export const viisSink: SinkType = {
  type: 'viis',
  description: 'Delivers persons, study rights and awards to the VIIS student and graduate register over SOAP (modelled WSDL); business rejections are dead-lettered with the register code and reason.',
  optionsSchema: viisOptionsSchema,
  create(options: JsonObject, ctx: AdapterContext): Sink {
    let basicAuth: { username: string; password: string } | undefined;
    if (typeof options.usernameEnv === 'string' && typeof options.passwordEnv === 'string') {
      const username = ctx.secret(options.usernameEnv);
      const password = ctx.secret(options.passwordEnv);
      if (!username || !password) {
        throw new ConfigError(`viis sink: environment variables ${options.usernameEnv} and ${options.passwordEnv} must be set`, {
          violations: [{ path: '/options/usernameEnv', message: 'credentials are not set in the environment' }],
        });
      }
      basicAuth = { username, password };
    }
    const wsdl = typeof options.wsdl === 'string' ? (isAbsolute(options.wsdl) ? options.wsdl : resolve(options.wsdl)) : undefined;
    const client = new ViisClient({
      endpoint: String(options.endpoint),
      timeoutMs: typeof options.timeoutMs === 'number' ? options.timeoutMs : 30_000,
      ...(wsdl ? { wsdlPath: wsdl } : {}),
      ...(basicAuth ? { basicAuth } : {}),
    });
    const programmeCodes: Record<string, Record<string, string>> = {};
    for (const [inst, table] of Object.entries(stringMap(options.programmeCodes))) programmeCodes[inst] = stringMap(table);
    return new ViisSink(client, new RequestMapper(typeof options.mappingSet === 'string' ? options.mappingSet : 'viis'), {
      system: typeof options.system === 'string' ? options.system : 'study-hub',
      institutionCodes: stringMap(options.institutionCodes),
      programmeCodes,
      retryCodes: Array.isArray(options.retryCodes) ? options.retryCodes.map(String) : DEFAULT_RETRY_CODES,
    });
  },
};
