import { registerConfigCheck } from '../../config/checks.ts';
import type { HubConfig } from '../../config/types.ts';
import { ConfigError, type Violation } from '../../core/errors.ts';

/** An EMREX client allowed to send learners here (config `emrex.clients`). */
export interface EmrexClient {
  name: string;
  returnUrlPrefix: string;
}

/** The learner's sign-in (config `emrex.oidc`), with the secret read from the environment. */
export interface OidcSettings {
  issuer: string;
  clientId: string;
  clientSecret: string | undefined;
  personalCodeClaim: string;
  scope: string;
  /** The issuer is plain http on a loopback host (the development provider). */
  insecure: boolean;
}

/** The contact point and the learner's pages, as the config sets them (docs/emrex.md). */
export interface ContactPointSettings {
  clients: readonly EmrexClient[];
  /** Undefined: no sign-in configured; the pages say the service is not available. */
  oidc: OidcSettings | undefined;
  consentSource: string | undefined;
  sessionMs: number;
  requestsPerMinute: number;
}

export const DEFAULT_SESSION_MINUTES = 15;
export const DEFAULT_REQUESTS_PER_MINUTE = 60;

const LOOPBACK = /^(localhost|127(\.\d{1,3}){3}|\[::1\])$/i;

/** https, or http on a loopback host (a development client or provider). */
export function secureOrLoopback(u: URL): boolean {
  return u.protocol === 'https:' || (u.protocol === 'http:' && LOOPBACK.test(u.hostname));
}

/** The checks of the `emrex` contact-point settings against the rest of the configuration. */
export function checkContactPoint(cfg: HubConfig): Violation[] {
  const e = cfg.emrex;
  if (!e) return [];
  const v: Violation[] = [];
  const names = new Set<string>();
  (e.clients ?? []).forEach((c, i) => {
    if (names.has(c.name)) v.push({ path: `/emrex/clients/${i}/name`, message: `'${c.name}' is listed twice` });
    names.add(c.name);
    let u: URL | undefined;
    try {
      u = new URL(c.returnUrlPrefix);
    } catch {
      v.push({ path: `/emrex/clients/${i}/returnUrlPrefix`, message: 'not an absolute URL' });
    }
    if (!u) return;
    if (!secureOrLoopback(u)) v.push({ path: `/emrex/clients/${i}/returnUrlPrefix`, message: 'must be https (http only on a loopback host)' });
    // With the host's closing '/', no other host can start with the prefix (https://a.lv.example.com).
    if (!c.returnUrlPrefix.startsWith(`${u.origin}/`)) v.push({ path: `/emrex/clients/${i}/returnUrlPrefix`, message: `must start with ${u.origin}/ (the host and at least the '/' after it)` });
    if (u.username || u.password || u.hash) v.push({ path: `/emrex/clients/${i}/returnUrlPrefix`, message: 'must have no user, password or fragment' });
  });
  if (e.oidc) {
    try {
      const u = new URL(e.oidc.issuer);
      if (!secureOrLoopback(u)) v.push({ path: '/emrex/oidc/issuer', message: 'must be https (http only on a loopback host)' });
    } catch {
      v.push({ path: '/emrex/oidc/issuer', message: 'not an absolute URL' });
    }
    if (!(e.oidc.scope ?? 'openid').split(/\s+/).includes('openid')) v.push({ path: '/emrex/oidc/scope', message: "must include 'openid'" });
  }
  if (e.clients?.length && !e.oidc) v.push({ path: '/emrex/oidc', message: 'the contact point needs a sign-in: set emrex.oidc when emrex.clients is set' });
  if (e.clients?.length && !e.consentSource)
    v.push({ path: '/emrex/consentSource', message: "the contact point writes each transfer as the learner's consent: name a source when emrex.clients is set" });
  if (e.consentSource !== undefined) {
    const s = cfg.sources.find((x) => x.id === e.consentSource);
    if (!s) v.push({ path: '/emrex/consentSource', message: `no source '${e.consentSource}'` });
    else {
      if (s.mappingSet !== 'canonical')
        v.push({ path: '/emrex/consentSource', message: `source '${s.id}' must use the mapping set 'canonical' (the hub writes canonical consent records through it)` });
      if (s.adapter) v.push({ path: '/emrex/consentSource', message: `source '${s.id}' must be push-only (no adapter)` });
    }
  }
  return v;
}

registerConfigCheck({ name: 'emrex-contact-point', check: (cfg) => checkContactPoint(cfg) });

/** The settings of the contact point and the learner's pages; the client secret from the environment (ConfigError when its variable is empty). */
export function contactPointSettings(config: HubConfig, env: Readonly<Record<string, string | undefined>>): ContactPointSettings {
  const e = config.emrex ?? {};
  let oidc: OidcSettings | undefined;
  if (e.oidc) {
    const secretEnv = e.oidc.clientSecretEnv;
    const clientSecret = secretEnv ? env[secretEnv] : undefined;
    if (secretEnv && !clientSecret)
      throw new ConfigError(`emrex.oidc.clientSecretEnv names ${secretEnv}, which is not set`, { violations: [{ path: '/emrex/oidc/clientSecretEnv', message: `${secretEnv} is empty` }] });
    oidc = {
      issuer: e.oidc.issuer,
      clientId: e.oidc.clientId,
      clientSecret,
      personalCodeClaim: e.oidc.personalCodeClaim ?? 'personal_code',
      scope: e.oidc.scope ?? 'openid',
      insecure: new URL(e.oidc.issuer).protocol === 'http:',
    };
  }
  return {
    clients: e.clients ?? [],
    oidc,
    consentSource: e.consentSource,
    sessionMs: (e.sessionMinutes ?? DEFAULT_SESSION_MINUTES) * 60_000,
    requestsPerMinute: e.requestsPerMinute ?? DEFAULT_REQUESTS_PER_MINUTE,
  };
}

/** The client a returnUrl belongs to, by prefix (the longest prefix wins), or undefined. */
export function clientOf(clients: readonly EmrexClient[], returnUrl: URL): EmrexClient | undefined {
  const href = returnUrl.href;
  return [...clients].sort((a, b) => b.returnUrlPrefix.length - a.returnUrlPrefix.length).find((c) => href.startsWith(c.returnUrlPrefix));
}
