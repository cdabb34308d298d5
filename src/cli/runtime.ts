import { createRequire } from 'node:module';
import type { Logger } from 'pino';
import type pino from 'pino';
import { adapters } from '../../adapters/index.ts';
import { demoConfig } from '../config/demo.ts';
import { readEnv, type EnvSettings } from '../config/env.ts';
import { formatConfigError, loadConfigFile, validateConfig } from '../config/load.ts';
import type { HubConfig } from '../config/types.ts';
import { ConfigError, isHubError } from '../core/errors.ts';
import { MappingEngine } from '../mapping/engine.ts';
import { createLogger } from '../observability/logger.ts';
import { SchemaRegistry } from '../schemas/registry.ts';
import './feature-checks.ts';

export interface Runtime {
  env: EnvSettings;
  logger: Logger;
  /** pretty: a person reads the output (a terminal); json: one pino JSON object a line on stdout. */
  logFormat: 'json' | 'pretty';
  schemas: SchemaRegistry;
  mappings: MappingEngine;
}

/** HUB_LOG_FORMAT when set, else pretty on a terminal and JSON otherwise. */
export function logFormatOf(env: EnvSettings, isTTY = Boolean(process.stdout.isTTY)): 'json' | 'pretty' {
  return env.logFormat ?? (isTTY ? 'pretty' : 'json');
}

/** pino-pretty, loaded only when a terminal needs it (synchronous, so a line is out before an exit). */
function prettyStream(): pino.DestinationStream {
  const pretty = createRequire(import.meta.url)('pino-pretty') as (o: object) => pino.DestinationStream;
  return pretty({ colorize: Boolean(process.stdout.isTTY), sync: true, translateTime: 'SYS:HH:MM:ss', ignore: 'pid,hostname,service' });
}

export function runtime(envOverrides: Record<string, string> = {}): Runtime {
  const env = readEnv({ ...process.env, ...envOverrides });
  const logFormat = logFormatOf(env);
  return { env, logFormat, logger: createLogger(env.logLevel, logFormat === 'pretty' ? prettyStream() : undefined), schemas: new SchemaRegistry(), mappings: new MappingEngine() };
}

/**
 * The logger of what a process announces (listening on…, the demo's banner, stopping): at info level even
 * when LOG_LEVEL is warn or error, as these lines say where the process is; nothing when LOG_LEVEL=silent.
 */
export function announcer(rt: Runtime): Logger {
  return rt.logger.level === 'silent' || rt.logger.isLevelEnabled('info') ? rt.logger : rt.logger.child({}, { level: 'info' });
}

export function loadConfig(rt: Runtime, file: string | undefined, fallback?: unknown): HubConfig {
  const opts = { schemas: rt.schemas, adapters, mappingsDir: rt.mappings.dir };
  if (file) return loadConfigFile(file, opts);
  if (fallback !== undefined) return validateConfig(fallback, opts);
  throw new ConfigError('no configuration: pass --config <file> or set HUB_CONFIG (or run `hub demo`; `hub config init` writes a starter hub.json)');
}

/** The config of --config or HUB_CONFIG, else the demo's (what `hub demo` runs; its simulators are not needed here). */
export function configOrDemo(rt: Runtime, file: string | undefined): { config: HubConfig; against: string } {
  const f = file ?? rt.env.configFile;
  const config = loadConfig(rt, f, demoConfig('http://127.0.0.1:1/webhook', { laisUrl: 'http://127.0.0.1:1', isisUrl: 'http://127.0.0.1:1/isis' }));
  return { config, against: f ?? 'the demo configuration' };
}

/** One line for a failure an operator can fix; a stack trace only for what the hub did not foresee. */
export function failureLine(e: unknown, port?: number): { line: string; expected: boolean } {
  const err = e as NodeJS.ErrnoException & { port?: number; address?: string };
  if (err?.code === 'EADDRINUSE') {
    const p = err.port ?? port;
    return { line: `port ${p} is in use (another hub or program listens there): stop it, or set PORT to a free port, e.g. PORT=${(p ?? 8080) + 1}`, expected: true };
  }
  if (err?.code === 'EACCES' && err.syscall === 'listen') return { line: `no permission to listen on port ${err.port ?? port}: set PORT to a port above 1023`, expected: true };
  if (err?.code === 'EADDRNOTAVAIL') return { line: `cannot listen on ${err.address ?? 'HOST'}: the machine has no such address; set HOST (default 0.0.0.0)`, expected: true };
  if (e instanceof ConfigError) return { line: formatConfigError(e), expected: true };
  if (isHubError(e)) return { line: `${e.code}: ${e.message}`, expected: true };
  return { line: (e as Error)?.stack ?? String(e), expected: false };
}

/**
 * Prints a failure the way an operator needs it, and exits non-zero. A server process (rt given) logs it
 * through its logger (JSON when not on a terminal); a command prints one line to stderr.
 */
export function fail(e: unknown, rt?: Runtime): never {
  const { line, expected } = failureLine(e, rt?.env.port);
  if (rt && rt.logFormat === 'json') rt.logger.fatal(expected ? { code: (e as { code?: string }).code } : { err: e }, line);
  else console.error(`hub: ${line}`);
  process.exit(1);
}
