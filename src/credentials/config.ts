import { isIP } from 'node:net';
import { registerConfigCheck } from '../config/checks.ts';
import type { HubConfig } from '../config/types.ts';
import type { Violation } from '../core/errors.ts';

function loopback(host: string): boolean {
  const h = host.replace(/^\[|\]$/g, '');
  return h === 'localhost' || h.endsWith('.localhost') || (isIP(h) === 4 && h.startsWith('127.')) || h === '::1';
}

/**
 * The credentials section beyond its schema: `publicUrl` https (http for a loopback host only, in
 * development), without query or fragment; each of `sources` a configured source of mapping set
 * `canonical`, one per institution; an `edc` sink needs no more than that.
 */
export function checkCredentialsConfig(cfg: HubConfig): Violation[] {
  const v: Violation[] = [];
  const c = cfg.credentials;
  if (c?.publicUrl !== undefined) {
    try {
      const u = new URL(c.publicUrl);
      if (u.protocol !== 'https:' && !(u.protocol === 'http:' && loopback(u.hostname))) v.push({ path: '/credentials/publicUrl', message: 'must be https (http only for a loopback host)' });
      if (u.search || u.hash) v.push({ path: '/credentials/publicUrl', message: 'must have no query or fragment' });
    } catch {
      v.push({ path: '/credentials/publicUrl', message: 'is not a URL' });
    }
  }
  const seen = new Map<string, string>();
  for (const [i, id] of (c?.sources ?? []).entries()) {
    const s = cfg.sources.find((x) => x.id === id);
    if (!s) v.push({ path: `/credentials/sources/${i}`, message: `no source '${id}' in sources` });
    else if (s.mappingSet !== 'canonical')
      v.push({ path: `/credentials/sources/${i}`, message: `source '${id}' must use the mapping set 'canonical' (the hub writes canonical credential records through it)` });
    else if (seen.has(s.institution)) v.push({ path: `/credentials/sources/${i}`, message: `${s.institution} has a credentials source already ('${seen.get(s.institution)}')` });
    else seen.set(s.institution, id);
  }
  return v;
}

registerConfigCheck({ name: 'credentials', check: checkCredentialsConfig });
