import type { Logger } from 'pino';
import { adapters } from '../../adapters/index.ts';
import { readEnv, type EnvSettings } from '../config/env.ts';
import { formatConfigError, loadConfigFile, validateConfig } from '../config/load.ts';
import type { HubConfig } from '../config/types.ts';
import { ConfigError, isHubError } from '../core/errors.ts';
import { MappingEngine } from '../mapping/engine.ts';
import { createLogger } from '../observability/logger.ts';
import { SchemaRegistry } from '../schemas/registry.ts';

export interface Runtime {
  env: EnvSettings;
  logger: Logger;
  schemas: SchemaRegistry;
  mappings: MappingEngine;
}

export function runtime(envOverrides: Record<string, string> = {}): Runtime {
  const env = readEnv({ ...process.env, ...envOverrides });
  return { env, logger: createLogger(env.logLevel), schemas: new SchemaRegistry(), mappings: new MappingEngine() };
}

export function loadConfig(rt: Runtime, file: string | undefined, fallback?: unknown): HubConfig {
  const opts = { schemas: rt.schemas, adapters, mappingsDir: rt.mappings.dir };
  if (file) return loadConfigFile(file, opts);
  if (fallback !== undefined) return validateConfig(fallback, opts);
  throw new ConfigError('no configuration: pass --config <file> or set HUB_CONFIG (or run `hub demo`)');
}

/** Prints a start-up failure the way an operator needs it, and exits non-zero. */
export function fail(e: unknown): never {
  if (e instanceof ConfigError) console.error(`hub: ${formatConfigError(e)}`);
  else if (isHubError(e)) console.error(`hub: ${e.code}: ${e.message}`);
  else console.error(`hub: ${(e as Error)?.stack ?? String(e)}`);
  process.exit(1);
}
