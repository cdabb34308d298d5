import { isAbsolute, join } from 'node:path';
import { registerConfigCheck } from '../../config/checks.ts';
import type { HubConfig, SourceConfig } from '../../config/types.ts';
import { ConfigError, type Violation } from '../../core/errors.ts';

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/**
 * The hub's public origin for EMREX: `emrex.publicUrl`, else the origin of the first EWP HEI's base URL
 * (the host the EWP endpoints are published under); undefined when neither is configured.
 */
export function emrexPublicUrl(config: Pick<HubConfig, 'emrex' | 'ewp'>): string | undefined {
  const configured = config.emrex?.publicUrl ?? config.ewp?.heis[0]?.baseUrl;
  if (!configured) return undefined;
  try {
    return new URL(configured).origin;
  } catch {
    return undefined;
  }
}

/** Whether the EWP manifests list the contact point: `emrex.advertise`, default true when there is an `ewp` section. */
export function advertiseContactPoint(config: Pick<HubConfig, 'emrex' | 'ewp'>): boolean {
  return config.emrex?.advertise ?? config.ewp !== undefined;
}

/** One institution that receives results through EMREX: its canonical source. */
export interface ClientInstitution {
  id: string;
  source: SourceConfig;
}

export interface EmrexClientSettings {
  /** `<public origin>/emrex/return/`: a session's return URL is this and its reference. */
  returnBase: string;
  institutions: Map<string, ClientInstitution>;
  /** An EMREG list: a file path (absolute) or an https URL. */
  emreg: string | undefined;
  sessionMs: number;
}

/** The checks of `emrex` beyond the schema: public URL https (loopback excepted), client institutions and their sources. */
export function checkEmrexClient(config: HubConfig): Violation[] {
  const v: Violation[] = [];
  const e = config.emrex;
  if (e?.publicUrl) {
    const u = new URL(e.publicUrl);
    if (u.protocol !== 'https:' && !(u.protocol === 'http:' && LOOPBACK.test(u.hostname)))
      v.push({ path: '/emrex/publicUrl', message: 'must be https (http only on a loopback host for development)' });
  }
  const c = e?.client;
  if (!c) return v;
  if (!emrexPublicUrl(config)) v.push({ path: '/emrex/client', message: 'needs emrex.publicUrl (or an ewp section): the contact point posts the results back to <publicUrl>/emrex/return/…' });
  const seen = new Set<string>();
  c.institutions.forEach((i, n) => {
    if (!config.institutions.some((x) => x.id === i.id)) v.push({ path: `/emrex/client/institutions/${n}/id`, message: `'${i.id}' is not one of institutions[].id` });
    if (seen.has(i.id)) v.push({ path: `/emrex/client/institutions/${n}/id`, message: `'${i.id}' is listed twice` });
    seen.add(i.id);
    const s = config.sources.find((x) => x.id === i.source);
    if (!s) v.push({ path: `/emrex/client/institutions/${n}/source`, message: `no source '${i.source}'` });
    else {
      if (s.institution !== i.id) v.push({ path: `/emrex/client/institutions/${n}/source`, message: `source '${i.source}' belongs to ${s.institution}, not ${i.id}` });
      if (s.mappingSet !== 'canonical')
        v.push({ path: `/emrex/client/institutions/${n}/source`, message: `source '${i.source}' must use the mapping set 'canonical' (the hub writes canonical records through it)` });
      if (s.adapter) v.push({ path: `/emrex/client/institutions/${n}/source`, message: `source '${i.source}' must be push-only (no adapter): the EMREX client writes through it` });
    }
  });
  if (c.emreg && /^[a-z]+:\/\//i.test(c.emreg) && !/^https:\/\//i.test(c.emreg)) {
    const u = new URL(c.emreg);
    if (!(u.protocol === 'http:' && LOOPBACK.test(u.hostname))) v.push({ path: '/emrex/client/emreg', message: 'a URL must be https (http only on a loopback host)' });
  }
  return v;
}

registerConfigCheck({ name: 'emrex-client', check: (cfg) => checkEmrexClient(cfg) });

/** The client's settings, or undefined without `emrex.client`; a configuration that does not fit is a ConfigError with every problem. */
export function resolveEmrexClient(config: HubConfig, dataDir: string): EmrexClientSettings | undefined {
  const c = config.emrex?.client;
  if (!c) return undefined;
  const v = checkEmrexClient(config);
  if (v.length) throw new ConfigError('the emrex section does not fit the rest of the configuration', { violations: v });
  const institutions = new Map<string, ClientInstitution>();
  for (const i of c.institutions) institutions.set(i.id, { id: i.id, source: config.sources.find((s) => s.id === i.source)! });
  const emreg = c.emreg === undefined ? undefined : /^[a-z]+:\/\//i.test(c.emreg) || isAbsolute(c.emreg) ? c.emreg : join(dataDir, c.emreg);
  return { returnBase: `${emrexPublicUrl(config)!}/emrex/return/`, institutions, emreg, sessionMs: (c.sessionMinutes ?? 60) * 60_000 };
}
