/**
 * What `hub --help` and `hub env` say about the environment. Kept apart from the commands so that
 * `--help` loads nothing but commander (the hub itself is imported only when a command runs).
 */
export interface EnvVar {
  name: string;
  default: string;
  meaning: string;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'PORT', default: '8080', meaning: 'where the API listens (hub worker: its /healthz, /readyz, /metrics)' },
  { name: 'HOST', default: '0.0.0.0', meaning: 'address to bind' },
  { name: 'HUB_DATA_DIR', default: './data', meaning: 'SQLite store, embedded broker, file sinks, keys; relative sink paths resolve under it' },
  { name: 'HUB_CONFIG', default: 'unset (demo config)', meaning: 'config file (same as --config)' },
  { name: 'HUB_ADMIN_TOKEN', default: 'generated once', meaning: 'admin bearer token (16+ characters)' },
  { name: 'DATABASE_URL', default: 'unset (SQLite)', meaning: 'PostgreSQL store, e.g. postgres://hub@db:5432/hub' },
  { name: 'HUB_DB_SCHEMA', default: 'public', meaning: 'PostgreSQL schema (several hubs in one database)' },
  { name: 'AMQP_URL', default: 'unset (embedded)', meaning: 'RabbitMQ broker, e.g. amqp://hub:secret@mq:5672' },
  { name: 'HUB_AMQP_PREFIX', default: 'unset', meaning: 'prefix of exchange and queue names (several hubs on one broker)' },
  { name: 'LOG_LEVEL', default: 'info', meaning: 'fatal, error, warn, info, debug, trace or silent' },
  { name: 'HUB_LOG_FORMAT', default: 'pretty on a terminal, else json', meaning: 'json or pretty' },
  { name: 'HUB_SHUTDOWN_GRACE_MS', default: '10000', meaning: 'on SIGTERM/SIGINT, how long requests in flight may take to finish' },
  { name: 'HUB_PSEUDONYM_SECRET', default: 'generated into the data dir', meaning: 'key of the disclosure log pseudonyms (32+ characters, the same in every process)' },
  { name: 'HUB_NODERED', default: 'demo: on; else off', meaning: 'on: the Node-RED editor at /flows' },
  { name: 'HUB_NODERED_SECRET', default: 'required with the editor and a config file', meaning: 'key of the flows\u2019 encrypted credentials' },
  { name: 'HUB_NODERED_FLOW_FILE', default: '<data dir>/flows/flows.json', meaning: 'the flow file' },
  { name: 'HUB_EWP', default: 'demo: on', meaning: 'off: the demo without its EWP node, local registry and scripted exchange' },
];

/** The variables as an aligned table (for `hub --help` and `hub env`). */
export function envTable(values?: Readonly<Record<string, string | undefined>>): string {
  const w = Math.max(...ENV_VARS.map((v) => v.name.length));
  return ENV_VARS.map((v) => {
    const now = values ? values[v.name] : undefined;
    const shown = now === undefined ? '' : `  [set: ${/TOKEN|SECRET|URL/.test(v.name) ? mask(v.name, now) : now}]`;
    return `  ${v.name.padEnd(w)}  ${v.meaning} (default: ${v.default})${shown}`;
  }).join('\n');
}

/** A secret shown as set, never its value; a URL keeps its scheme, host and path but not its password. */
export function mask(name: string, value: string): string {
  if (/URL$/.test(name)) {
    try {
      const u = new URL(value);
      if (u.password) u.password = '****';
      return u.toString();
    } catch {
      return '****';
    }
  }
  return '****';
}

/** "Example:" lines for a command's help. */
export function examples(...lines: string[]): string {
  return `\nExample${lines.length > 1 ? 's' : ''}:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`;
}
