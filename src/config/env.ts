import { isIP } from 'node:net';
import { resolve } from 'node:path';
import { ConfigError, type Violation } from '../core/errors.ts';

/** Settings read from the environment, once, at start. No other module reads process.env. */
export interface EnvSettings {
  dataDir: string;
  port: number;
  host: string;
  configFile: string | undefined;
  adminToken: string | undefined;
  databaseUrl: string | undefined;
  amqpUrl: string | undefined;
  /** PostgreSQL schema to use (HUB_DB_SCHEMA), for several hubs in one database. */
  dbSchema: string | undefined;
  /** Prefix of exchange and queue names (HUB_AMQP_PREFIX), for several hubs on one broker. */
  amqpPrefix: string | undefined;
  logLevel: string;
  /** HUB_LOG_FORMAT: json or pretty; unset: pretty on a terminal, else json (src/cli/runtime.ts). */
  logFormat: 'json' | 'pretty' | undefined;
  /** HUB_SHUTDOWN_GRACE_MS: on SIGTERM, how long requests in flight may take before connections are cut. */
  shutdownGraceMs: number;
  /**
   * Which proxies in front of the hub to believe about the client (X-Forwarded-For, -Proto, -Host):
   * express's `trust proxy` (HUB_TRUST_PROXY: `false` by default, `true`, a hop count, or addresses/CIDRs).
   */
  trustProxy: TrustProxy;
  /** Named secrets sinks and adapters may ask for (HUB_SECRET_* and any variable a config names). */
  env: Readonly<Record<string, string | undefined>>;
}

/** express's `trust proxy` values the hub accepts. */
export type TrustProxy = boolean | number | readonly string[];

const PROXY_NAMES = ['loopback', 'linklocal', 'uniquelocal'];

/** HUB_TRUST_PROXY: `false`/`true`, a hop count, or a comma-separated list of addresses, CIDRs and express's names. */
export function parseTrustProxy(v: string | undefined): TrustProxy | Violation {
  const raw = (v ?? '').trim();
  if (raw === '' || raw === 'false') return false;
  if (raw === 'true') return true;
  if (/^\d+$/.test(raw)) return Number(raw);
  const list = raw.split(',').map((x) => x.trim());
  const bad = list.filter((x) => !PROXY_NAMES.includes(x) && !isAddressOrCidr(x));
  if (bad.length) return { path: '/env/HUB_TRUST_PROXY', message: `must be false, true, a hop count, or addresses/CIDRs (${PROXY_NAMES.join(', ')}); not '${bad.join("', '")}'` };
  return Object.freeze(list);
}

function isAddressOrCidr(x: string): boolean {
  const [addr = '', bits, ...rest] = x.split('/');
  const kind = isIP(addr);
  if (!kind || rest.length) return false;
  if (bits === undefined) return true;
  return /^\d{1,3}$/.test(bits) && Number(bits) <= (kind === 4 ? 32 : 128);
}

const LOG_LEVELS = ['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent'];

export function readEnv(env: NodeJS.ProcessEnv = process.env): EnvSettings {
  const violations: Violation[] = [];
  const port = Number(env.PORT ?? '8080');
  if (!Number.isInteger(port) || port < 0 || port > 65535) violations.push({ path: '/env/PORT', message: `must be a port number, got '${env.PORT}'` });
  const logLevel = env.LOG_LEVEL ?? 'info';
  if (!LOG_LEVELS.includes(logLevel)) violations.push({ path: '/env/LOG_LEVEL', message: `must be one of ${LOG_LEVELS.join(', ')}` });
  const logFormat = env.HUB_LOG_FORMAT || undefined;
  if (logFormat !== undefined && logFormat !== 'json' && logFormat !== 'pretty') violations.push({ path: '/env/HUB_LOG_FORMAT', message: `must be json or pretty, got '${logFormat}'` });
  const shutdownGraceMs = Number(env.HUB_SHUTDOWN_GRACE_MS || '10000');
  if (!Number.isInteger(shutdownGraceMs) || shutdownGraceMs < 0 || shutdownGraceMs > 3_600_000) {
    violations.push({ path: '/env/HUB_SHUTDOWN_GRACE_MS', message: `must be milliseconds from 0 to 3600000, got '${env.HUB_SHUTDOWN_GRACE_MS}'` });
  }
  for (const [name, scheme] of [
    ['DATABASE_URL', /^postgres(ql)?:\/\//],
    ['AMQP_URL', /^amqps?:\/\//],
  ] as const) {
    const v = env[name];
    if (v !== undefined && v !== '' && !scheme.test(v)) violations.push({ path: `/env/${name}`, message: `has an unsupported scheme` });
  }
  if (env.HUB_ADMIN_TOKEN !== undefined && env.HUB_ADMIN_TOKEN.length > 0 && env.HUB_ADMIN_TOKEN.length < 16) {
    violations.push({ path: '/env/HUB_ADMIN_TOKEN', message: 'must be at least 16 characters' });
  }
  const trustProxy = parseTrustProxy(env.HUB_TRUST_PROXY);
  if (typeof trustProxy === 'object' && 'path' in trustProxy) violations.push(trustProxy);
  if (violations.length) throw new ConfigError('invalid environment', { violations });
  return Object.freeze({
    dataDir: resolve(env.HUB_DATA_DIR ?? 'data'),
    port,
    host: env.HOST ?? '0.0.0.0',
    configFile: env.HUB_CONFIG || undefined,
    adminToken: env.HUB_ADMIN_TOKEN || undefined,
    databaseUrl: env.DATABASE_URL || undefined,
    amqpUrl: env.AMQP_URL || undefined,
    dbSchema: env.HUB_DB_SCHEMA || undefined,
    amqpPrefix: env.HUB_AMQP_PREFIX || undefined,
    logLevel,
    logFormat: logFormat as 'json' | 'pretty' | undefined,
    shutdownGraceMs,
    trustProxy: trustProxy as TrustProxy,
    env: Object.freeze({ ...env }),
  });
}
