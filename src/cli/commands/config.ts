import { existsSync, writeFileSync } from 'node:fs';
import { isAbsolute, join, resolve } from 'node:path';
import type { HubConfig } from '../../config/types.ts';
import { ConfigError } from '../../core/errors.ts';
import { mask } from '../help.ts';
import { fail, loadConfig, runtime } from '../runtime.ts';
import { starterConfigText } from '../starter-config.ts';

/** `hub config init [--out hub.json] [--force]`: writes the commented starter config. */
export function configInitCommand(opts: { out: string; force?: boolean }): void {
  try {
    const out = resolve(opts.out);
    if (existsSync(out) && !opts.force) throw new ConfigError(`${opts.out} exists: pass --force to overwrite it, or --out another file`);
    writeFileSync(out, starterConfigText(), { flag: opts.force ? 'w' : 'wx' });
    console.log(`wrote ${opts.out} (the demo's configuration, with comments)
next:
  npx hub config check ${opts.out}
  export HUB_ADMIN_TOKEN=change-me-to-something-long HUB_DEMO_WEBHOOK_SECRET=change-me-too
  npx hub start --config ${opts.out}`);
  } catch (e) {
    fail(e);
  }
}

/** `hub config check [file]`: validates a config file and lists every error with its path, in one pass. */
export function configCheckCommand(file: string | undefined, opts: { json?: boolean } = {}): void {
  const rt = (() => {
    try {
      return runtime();
    } catch (e) {
      return fail(e);
    }
  })();
  const path = file ?? rt.env.configFile;
  try {
    const cfg = loadConfig(rt, path);
    if (opts.json) console.log(JSON.stringify({ ok: true, file: path, violations: [] }));
    else
      console.log(`config OK: ${cfg.institutions.length} institutions, ${cfg.sources.length} sources, ${cfg.sinks.length} sinks, ${cfg.routes.length} routes, ${cfg.consumers?.length ?? 0} consumers`);
  } catch (e) {
    if (opts.json && e instanceof ConfigError) {
      console.log(JSON.stringify({ ok: false, file: path, message: e.message, violations: e.violations }));
      process.exitCode = 1;
      return;
    }
    fail(e);
  }
}

const SECRET_KEY = /secret|password|passwd|token|apikey|api_key|credential|private/i;

/** A copy with secrets masked: values of secret-like keys (not the *Env names of variables) and URL passwords. */
export function maskSecrets(value: unknown, key = ''): unknown {
  if (Array.isArray(value)) return value.map((v) => maskSecrets(v));
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v, k)]));
  if (typeof value !== 'string') return value;
  if (SECRET_KEY.test(key) && !/Env$/.test(key)) return '****';
  if (/^[a-z][a-z0-9+.-]*:\/\/[^/\s]*@/i.test(value)) return mask('URL', value);
  return value;
}

/** Where relative paths of a config end up (they resolve under the data dir, except a viis sink's wsdl). */
export function resolvedPaths(cfg: HubConfig, dataDir: string): Record<string, string> {
  const under = (p: string) => (isAbsolute(p) ? p : join(dataDir, p));
  const out: Record<string, string> = {};
  cfg.sinks.forEach((s, i) => {
    const o = s.options ?? {};
    if (s.type === 'file' && typeof o.path === 'string') out[`/sinks/${i}/options/path`] = under(o.path);
    if (s.type === 'viis' && typeof o.wsdl === 'string') out[`/sinks/${i}/options/wsdl`] = resolve(o.wsdl);
  });
  cfg.sources.forEach((s, i) => {
    const o = s.adapter?.options ?? {};
    if (s.adapter?.type === 'csv') for (const k of ['dir', 'processedDir', 'quarantineDir']) if (typeof o[k] === 'string') out[`/sources/${i}/adapter/options/${k}`] = under(o[k]);
  });
  if (cfg.ewp) out['/ewp/keysDir'] = under(cfg.ewp.keysDir ?? 'ewp-keys');
  return out;
}

/** `hub config show [file]`: the effective config (defaults filled in), where its paths resolve, and the environment, secrets masked. */
export function configShowCommand(file: string | undefined): void {
  try {
    const rt = runtime();
    const path = file ?? rt.env.configFile;
    const cfg = loadConfig(rt, path);
    const e = rt.env;
    const env = {
      dataDir: e.dataDir,
      port: e.port,
      host: e.host,
      store: e.databaseUrl ? mask('DATABASE_URL', e.databaseUrl) : `sqlite ${join(e.dataDir, 'hub.sqlite')}`,
      broker: e.amqpUrl ? mask('AMQP_URL', e.amqpUrl) : `embedded ${join(e.dataDir, 'broker.sqlite')}`,
      adminToken: e.adminToken ? 'set (HUB_ADMIN_TOKEN)' : 'generated at first start',
      logLevel: e.logLevel,
      shutdownGraceMs: e.shutdownGraceMs,
    };
    const secretsNamed = [
      ...new Set(
        cfg.sinks.flatMap((s) =>
          Object.entries(s.options ?? {})
            .filter(([k]) => /Env$/.test(k))
            .map(([, v]) => String(v)),
        ),
      ),
    ];
    const secrets = Object.fromEntries(secretsNamed.map((n) => [n, e.env[n] ? 'set' : 'NOT SET']));
    console.log(JSON.stringify({ file: resolve(path!), environment: env, secrets, paths: resolvedPaths(cfg, e.dataDir), config: maskSecrets(cfg) }, null, 2));
  } catch (e) {
    fail(e);
  }
}
