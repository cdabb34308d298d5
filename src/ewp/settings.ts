import { isAbsolute, join } from 'node:path';
import type { HubConfig, InstitutionConfig, SourceConfig } from '../config/types.ts';
import { ConfigError, type Violation } from '../core/errors.ts';

export const DEFAULT_REGISTRY_URL = 'https://dev-registry.erasmuswithoutpaper.eu/catalogue-v1.xml';
export const ADMIN_PROVIDER = 'study-data-hub (EWP node of its institutions)';

/** A represented HEI that takes part in EWP: its host (base URL), its inbound source, its data. */
export interface EwpHei {
  id: string;
  institution: InstitutionConfig;
  baseUrl: string;
  /** host[:port] of the base URL: the Host every signed request must name. */
  host: string;
  source: SourceConfig;
  /** Source system of the inbound source: records with it are partner copies, not the HEI's own. */
  sourceSystem: string;
  factsheetFile: string | undefined;
}

export interface EwpSettings {
  adminEmail: string;
  registryUrl: string;
  keysDir: string;
  cacheDir: string;
  clockSkewMs: number;
  maxIds: number;
  heis: Map<string, EwpHei>;
}

/** Reads and checks the `ewp` section against the rest of the configuration (every problem with its path). */
export function resolveEwpSettings(config: HubConfig, dataDir: string): EwpSettings | undefined {
  const e = config.ewp;
  if (!e) return undefined;
  const v: Violation[] = [];
  const heis = new Map<string, EwpHei>();
  const hosts = new Set<string>();
  e.heis.forEach((h, i) => {
    const institution = config.institutions.find((x) => x.id === h.id);
    if (!institution) v.push({ path: `/ewp/heis/${i}/id`, message: `'${h.id}' is not one of institutions[].id` });
    if (heis.has(h.id)) v.push({ path: `/ewp/heis/${i}/id`, message: `'${h.id}' is listed twice` });
    const source = config.sources.find((s) => s.id === h.source);
    if (!source) v.push({ path: `/ewp/heis/${i}/source`, message: `no source '${h.source}'` });
    else {
      if (source.institution !== h.id) v.push({ path: `/ewp/heis/${i}/source`, message: `source '${h.source}' belongs to ${source.institution}, not ${h.id}` });
      if (source.mappingSet !== 'canonical') v.push({ path: `/ewp/heis/${i}/source`, message: `source '${h.source}' must use the mapping set 'canonical' (the hub writes canonical records through it)` });
      if (source.adapter) v.push({ path: `/ewp/heis/${i}/source`, message: `source '${h.source}' must be push-only (no adapter): the EWP node writes through it` });
    }
    let url: URL | undefined;
    try {
      url = new URL(h.baseUrl);
    } catch {
      v.push({ path: `/ewp/heis/${i}/baseUrl`, message: 'not a URL' });
    }
    const base = h.baseUrl.replace(/\/+$/, '');
    if (url && hosts.has(base)) v.push({ path: `/ewp/heis/${i}/baseUrl`, message: 'each HEI needs its own base URL (one host per HEI)' });
    hosts.add(base);
    if (institution && source && url) {
      heis.set(h.id, {
        id: h.id,
        institution,
        baseUrl: base,
        host: url.host,
        source,
        sourceSystem: source.system ?? source.id,
        factsheetFile: h.factsheetFile,
      });
    }
  });
  if (v.length) throw new ConfigError('the ewp section does not fit the rest of the configuration', { violations: v });
  const keysDir = e.keysDir ?? 'ewp-keys';
  return {
    adminEmail: e.adminEmail,
    registryUrl: e.registryUrl ?? DEFAULT_REGISTRY_URL,
    keysDir: isAbsolute(keysDir) ? keysDir : join(dataDir, keysDir),
    cacheDir: join(dataDir, 'ewp'),
    clockSkewMs: (e.clockSkewSeconds ?? 300) * 1000,
    maxIds: e.maxIds ?? 10,
    heis,
  };
}
