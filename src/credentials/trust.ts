import { existsSync, readFileSync } from 'node:fs';
import { isAbsolute, join } from 'node:path';
import type { HubConfig } from '../config/types.ts';
import { CHAIN, pemBlocks, sealKeysFolder } from './keys.ts';

/** Where the institutions' seal keys are: `credentials.keysDir` (relative to the data dir), default `credential-keys`. */
export function credentialKeysDir(config: Pick<HubConfig, 'credentials'>, dataDir: string): string {
  const dir = config.credentials?.keysDir ?? 'credential-keys';
  return isAbsolute(dir) ? dir : join(dataDir, dir);
}

/**
 * What the verifier trusts: the CA certificates of `credentials.trustAnchors` (PEM files; relative paths
 * under the data dir). Without that setting (development), the top certificate of each configured
 * institution's own chain in the keys folder (`hub credentials keys` makes them).
 */
export function trustAnchors(config: Pick<HubConfig, 'credentials' | 'institutions'>, dataDir: string): string[] {
  const files = config.credentials?.trustAnchors;
  if (files?.length) return files.flatMap((f) => pemBlocks(readFileSync(isAbsolute(f) ? f : join(dataDir, f), 'utf8')));
  const dir = credentialKeysDir(config, dataDir);
  return config.institutions.flatMap((i) => {
    const chain = join(sealKeysFolder(dir, i.id), CHAIN);
    const top = existsSync(chain) ? pemBlocks(readFileSync(chain, 'utf8')).at(-1) : undefined;
    return top ? [top] : [];
  });
}

/** Trust anchors read once per keys folder and setting (files replaced take a restart); an empty result is read again (dev keys made later). */
const known = new Map<string, string[]>();

/** What the verifier needs from the config: the trust anchors (read once) and the known issuers (the configured institutions). */
export function verifierSettings(config: Pick<HubConfig, 'credentials' | 'institutions'>, dataDir: string): { trustAnchors: string[]; knownIssuers: string[] } {
  const key = JSON.stringify([credentialKeysDir(config, dataDir), config.credentials?.trustAnchors ?? [], config.institutions.map((i) => i.id)]);
  let anchors = known.get(key);
  if (!anchors) {
    anchors = trustAnchors(config, dataDir);
    if (anchors.length) known.set(key, anchors);
  }
  return { trustAnchors: anchors, knownIssuers: config.institutions.map((i) => i.id) };
}
