import { isAbsolute, join } from 'node:path';
import type { HubConfig } from '../config/types.ts';
import type { Logger } from 'pino';
import { createDevSealKey, readSealKey, type SealKey } from './keys.ts';

/** Where the contact point's seal key and certificate are: `emrex.keysDir` (relative to the data dir), default `emrex-keys`. */
export function sealKeysDir(config: Pick<HubConfig, 'emrex'>, dataDir: string): string {
  const dir = config.emrex?.keysDir ?? 'emrex-keys';
  return isAbsolute(dir) ? dir : join(dataDir, dir);
}

/** Seal keys read once per folder: the files are not read again for every document (replacing them takes a restart). */
const known = new Map<string, SealKey>();

/** The seal key in `dir`, read once; undefined while there is none. */
export function knownSealKey(dir: string): SealKey | undefined {
  const k = known.get(dir) ?? readSealKey(dir);
  if (k) known.set(dir, k);
  return k;
}

/**
 * The seal key of this hub's contact point; a development key and self-signed certificate are made (and
 * said so in the log) when the folder has none, as for EWP keys: production puts the institution's
 * issued key and certificate there (docs/emrex.md).
 */
export async function sealKey(hub: { config: HubConfig; env: { dataDir: string }; logger: Logger }): Promise<SealKey> {
  const dir = sealKeysDir(hub.config, hub.env.dataDir);
  const have = knownSealKey(dir);
  if (have) return have;
  const made = await createDevSealKey(dir);
  if (made.created) hub.logger.warn({ dir }, "made a development EMREX seal key and self-signed certificate; put the institution's own in this folder for production (hub emrex keys)");
  known.set(dir, made);
  return made;
}
