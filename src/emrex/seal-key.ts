import { isAbsolute, join } from 'node:path';
import type { HubConfig } from '../config/types.ts';
import type { Logger } from 'pino';
import { createDevSealKey, readSealKey, type SealKey } from './keys.ts';

/** Where the contact point's seal key and certificate are: `emrex.keysDir` (relative to the data dir), default `emrex-keys`. */
export function sealKeysDir(config: Pick<HubConfig, 'emrex'>, dataDir: string): string {
  const dir = config.emrex?.keysDir ?? 'emrex-keys';
  return isAbsolute(dir) ? dir : join(dataDir, dir);
}

/**
 * The seal key of this hub's contact point; a development key and self-signed certificate are made (and
 * said so in the log) when the folder has none, as for EWP keys: production puts the institution's
 * issued key and certificate there (docs/emrex.md).
 */
export async function sealKey(hub: { config: HubConfig; env: { dataDir: string }; logger: Logger }): Promise<SealKey> {
  const dir = sealKeysDir(hub.config, hub.env.dataDir);
  const have = readSealKey(dir);
  if (have) return have;
  const made = await createDevSealKey(dir);
  if (made.created) hub.logger.warn({ dir }, "made a development EMREX seal key and self-signed certificate; put the institution's own in this folder for production (hub emrex keys)");
  return made;
}
