import { randomBytes } from 'node:crypto';
import { chmodSync, existsSync, mkdirSync, readFileSync, statSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import { ConfigError } from '../core/errors.ts';

export const SECRET_ENV = 'HUB_NODERED_SECRET';

export interface SecretResult {
  secret: string;
  /** Set when the secret was generated or read from the data dir (demo): what to tell the operator. */
  note?: string;
}

/**
 * The key of the flows' credentials file (Node-RED encrypts it with sha256(secret), aes-256-ctr).
 * From HUB_NODERED_SECRET. Without it: in the demo, one is generated once into the data dir (mode
 * 0600) and kept there; otherwise (a configured hub) the editor does not start: a secret that lives
 * only in the data dir is lost with it, and every stored credential with it.
 */
export function credentialSecret(env: Readonly<Record<string, string | undefined>>, opts: { file: string; generate: boolean }): SecretResult {
  const fromEnv = env[SECRET_ENV];
  if (fromEnv) {
    if (fromEnv.length < 16) throw new ConfigError(`${SECRET_ENV} must be at least 16 characters`, { violations: [{ path: `/env/${SECRET_ENV}`, message: 'must be at least 16 characters' }] });
    return { secret: fromEnv };
  }
  if (!opts.generate) {
    throw new ConfigError(`the Node-RED editor needs ${SECRET_ENV} (the key of the flows' credentials); set it, e.g. to the output of: openssl rand -hex 32`, {
      violations: [{ path: `/env/${SECRET_ENV}`, message: 'is required when the Node-RED editor is enabled with a config file' }],
    });
  }
  if (existsSync(opts.file)) {
    const mode = statSync(opts.file).mode & 0o777;
    if (mode & 0o077) chmodSync(opts.file, 0o600);
    return { secret: readFileSync(opts.file, 'utf8').trim(), note: `Node-RED credentials key: ${opts.file} (demo; set ${SECRET_ENV} in production)` };
  }
  const secret = randomBytes(32).toString('hex');
  mkdirSync(dirname(opts.file), { recursive: true });
  writeFileSync(opts.file, `${secret}\n`, { mode: 0o600 });
  return { secret, note: `Node-RED credentials key generated into ${opts.file} (mode 0600; demo only: set ${SECRET_ENV} in production)` };
}
