import { lookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';
import { ConfigError } from '../errors.ts';

/** Resolves a host name to its addresses (all of them); injected in tests, `dns.lookup` otherwise. */
export type Resolver = (hostname: string) => Promise<string[]>;

export const systemResolver: Resolver = async (hostname) => (await lookup(hostname, { all: true, verbatim: true })).map((a) => a.address);

/** One entry of `webhooks.allowTargets`: a CIDR range, an address, a host name, or `*.suffix`. */
type Allowed = { kind: 'range'; range: [ipaddr.IPv4 | ipaddr.IPv6, number] } | { kind: 'host'; host: string } | { kind: 'suffix'; suffix: string };

/** Is `entry` a valid `allowTargets` entry? (The config schema checks the shape; this checks the range.) */
export function parseAllowEntry(entry: string): Allowed | undefined {
  const e = entry.trim().toLowerCase();
  if (e.includes('/')) {
    try {
      return { kind: 'range', range: ipaddr.parseCIDR(e) };
    } catch {
      return undefined;
    }
  }
  if (isIP(e)) return { kind: 'range', range: [ipaddr.parse(e), ipaddr.parse(e).kind() === 'ipv4' ? 32 : 128] };
  if (e.startsWith('*.') && e.length > 2) return { kind: 'suffix', suffix: e.slice(1) };
  return /^[a-z0-9]([a-z0-9.-]*[a-z0-9])?$/.test(e) ? { kind: 'host', host: e } : undefined;
}

/** The address as ipaddr.js sees it, with IPv4-mapped IPv6 (::ffff:a.b.c.d) turned into the IPv4 address. */
function normalise(address: string): ipaddr.IPv4 | ipaddr.IPv6 {
  const a = ipaddr.parse(address);
  return a.kind() === 'ipv6' && (a as ipaddr.IPv6).isIPv4MappedAddress() ? (a as ipaddr.IPv6).toIPv4Address() : a;
}

/** What kind of address this is: `unicast` is a public one; anything else (loopback, private, …) is refused. */
export function addressRange(address: string): string {
  return normalise(address).range();
}

/**
 * Which addresses the hub's outbound HTTP may connect to for targets it did not write itself (webhook
 * subscriptions, and config sinks beyond their own host): public unicast addresses, and whatever
 * `webhooks.allowTargets` names (ranges, addresses, host names). Loopback, private, link-local, CGNAT,
 * unique-local, multicast, unspecified, reserved and the IPv6 forms that embed an IPv4 address
 * (mapped, 6to4, NAT64, Teredo) are refused unless a range in the list covers them.
 */
export class TargetPolicy {
  private readonly allowed: Allowed[];

  constructor(
    private readonly allowTargets: readonly string[] = [],
    readonly resolve: Resolver = systemResolver,
    /** Host names trusted as they are (a config sink's own host): an admin wrote them. */
    private readonly trustedHosts: ReadonlySet<string> = new Set(),
  ) {
    this.allowed = allowTargets.map((e) => {
      const a = parseAllowEntry(e);
      if (!a) throw new ConfigError(`not a range, an address or a host name: '${e}'`);
      return a;
    });
  }

  /** The same policy, also trusting this URL's host (a sink the config names: it is config, not API input). */
  trusting(url: string): TargetPolicy {
    let host: string;
    try {
      host = bareHost(new URL(url).hostname);
    } catch {
      return this;
    }
    return new TargetPolicy(this.allowTargets, this.resolve, new Set([...this.trustedHosts, host]));
  }

  /** Is this host name allowed whatever it resolves to? */
  hostAllowed(hostname: string): boolean {
    const h = bareHost(hostname);
    if (this.trustedHosts.has(h)) return true;
    return this.allowed.some((a) => (a.kind === 'host' && a.host === h) || (a.kind === 'suffix' && h.endsWith(a.suffix)));
  }

  /** Why this address may not be connected to, or undefined when it may (for a host that is not allowed by name). */
  refusal(address: string): string | undefined {
    let a: ipaddr.IPv4 | ipaddr.IPv6;
    try {
      a = normalise(address);
    } catch {
      return `'${address}' is not an address`;
    }
    if (this.allowed.some((e) => e.kind === 'range' && a.kind() === e.range[0].kind() && a.match(e.range))) return undefined;
    const range = a.range();
    return range === 'unicast' ? undefined : `${a.toString()} is a ${rangeName(range)} address`;
  }
}

/** A URL's hostname without the brackets of an IPv6 literal, lower case. */
export function bareHost(hostname: string): string {
  return hostname.replace(/^\[|\]$/g, '').toLowerCase();
}

const RANGE_NAMES: Record<string, string> = {
  loopback: 'loopback',
  private: 'private',
  linkLocal: 'link-local',
  carrierGradeNat: 'carrier-grade NAT (CGNAT)',
  uniqueLocal: 'unique-local',
  multicast: 'multicast',
  unspecified: 'unspecified',
  broadcast: 'broadcast',
  ipv4Mapped: 'IPv4-mapped',
  rfc6052: 'NAT64 (IPv4-embedding)',
  '6to4': '6to4 (IPv4-embedding)',
  teredo: 'Teredo (IPv4-embedding)',
};

function rangeName(range: string): string {
  return RANGE_NAMES[range] ?? `non-public (${range})`;
}
