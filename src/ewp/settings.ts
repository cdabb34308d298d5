import { isAbsolute, join } from 'node:path';
import type { HubConfig, InstitutionConfig, SourceConfig } from '../config/types.ts';
import { registerConfigCheck } from '../config/checks.ts';
import { ConfigError, type Violation } from '../core/errors.ts';

export const DEFAULT_REGISTRY_URL = 'https://dev-registry.erasmuswithoutpaper.eu/catalogue-v1.xml';
/** The HEI id of the EWP Stats Portal (the Monitoring API spec): the default and only statistics client. */
export const STATS_PORTAL = 'stats.erasmuswithoutpaper.eu';
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
  /** HEI ids that may call the statistics endpoints (default: the EWP Stats Portal). */
  statsClients: readonly string[];
  heis: Map<string, EwpHei>;
}

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * URLs the node publishes and calls: a HEI's `baseUrl` is https (http only on a loopback host, for
 * development) and ends with the path the hub serves for that HEI (`/ewp/{heiId}`; a reverse proxy may
 * put it under any host), so the manifest never names an endpoint that is not served, nor another
 * HEI's; `registryUrl` is https, loopback excepted.
 */
export function checkEwpUrls(config: HubConfig): Violation[] {
  const e = config.ewp;
  if (!e) return [];
  const v: Violation[] = [];
  const secure = (u: URL) => u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname));
  e.heis.forEach((h, i) => {
    let url: URL;
    try {
      url = new URL(h.baseUrl);
    } catch {
      return; // reported as 'not a URL' by resolveEwpSettings
    }
    const path = `/ewp/${h.id}`;
    if (!secure(url)) v.push({ path: `/ewp/heis/${i}/baseUrl`, message: `must be https (http only on a loopback host for development), not ${url.protocol}//${url.host}` });
    if (url.search || url.hash) v.push({ path: `/ewp/heis/${i}/baseUrl`, message: 'must not carry a query or a fragment' });
    if (!url.pathname.replace(/\/+$/, '').endsWith(path)) {
      const other = e.heis.find((x) => x.id !== h.id && url.pathname.replace(/\/+$/, '').endsWith(`/ewp/${x.id}`));
      v.push({
        path: `/ewp/heis/${i}/baseUrl`,
        message: other
          ? `ends with the path of another HEI (${other.id}); the hub serves ${h.id} under ${path}`
          : `must end with ${path}, the path the hub serves this HEI under (a reverse proxy may map any host to it)`,
      });
    }
  });
  if (e.registryUrl !== undefined) {
    try {
      if (!secure(new URL(e.registryUrl))) v.push({ path: '/ewp/registryUrl', message: 'must be https (http only on a loopback host)' });
    } catch {
      v.push({ path: '/ewp/registryUrl', message: 'not a URL' });
    }
  }
  return v;
}

registerConfigCheck({ name: 'ewp', check: (cfg) => checkEwpUrls(cfg) });

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
      if (source.mappingSet !== 'canonical')
        v.push({ path: `/ewp/heis/${i}/source`, message: `source '${h.source}' must use the mapping set 'canonical' (the hub writes canonical records through it)` });
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
  v.push(...checkEwpUrls(config));
  if (v.length) throw new ConfigError('the ewp section does not fit the rest of the configuration', { violations: v });
  const keysDir = e.keysDir ?? 'ewp-keys';
  return {
    adminEmail: e.adminEmail,
    registryUrl: e.registryUrl ?? DEFAULT_REGISTRY_URL,
    keysDir: isAbsolute(keysDir) ? keysDir : join(dataDir, keysDir),
    cacheDir: join(dataDir, 'ewp'),
    clockSkewMs: (e.clockSkewSeconds ?? 300) * 1000,
    maxIds: e.maxIds ?? 10,
    statsClients: e.statsClients ?? [STATS_PORTAL],
    heis,
  };
}
