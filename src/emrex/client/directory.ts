import type { Logger } from 'pino';
import { BadRequestError, ConflictError, errorMessage, NotFoundError } from '../../core/errors.ts';
import type { Catalogue } from '../../ewp/registry/catalogue.ts';
import { contactPointsOf, type ContactPoint } from '../../ewp/registry/contact-points.ts';
import { readEmreg } from './emreg.ts';

/** How long a read EMREG list is used before it is read again. */
const EMREG_TTL_MS = 15 * 60_000;

export interface DirectoryOptions {
  /** The EWP registry catalogue (the EWP node's cached client); absent without an `ewp` section. */
  registry?: { catalogue(): Promise<Catalogue> };
  /** An EMREG list (file or URL): contact points the registry does not list. */
  emreg?: string;
  logger: Logger;
  now?: () => number;
}

/**
 * The EMREX contact points the hub knows: those the EWP registry catalogue lists (`emrex-data-access-point`
 * entries) and, as the fallback, those of an EMREG list that the registry does not list (by URL). A registry
 * or list that cannot be read leaves its part out and says so once in the log; the other part still answers.
 */
export class ContactPointDirectory {
  private emregCache: { at: number; points: ContactPoint[] } | undefined;
  private readonly failing = new Set<string>();

  constructor(private readonly o: DirectoryOptions) {}

  /** Whether there is anywhere to look (a registry or an EMREG list). */
  get configured(): boolean {
    return this.o.registry !== undefined || this.o.emreg !== undefined;
  }

  private failed(what: string, e: unknown): void {
    if (!this.failing.has(what)) this.o.logger.warn({ source: what }, `EMREX contact points: ${errorMessage(e)}`);
    this.failing.add(what);
  }

  private async fromRegistry(): Promise<ContactPoint[]> {
    if (!this.o.registry) return [];
    try {
      const points = contactPointsOf(await this.o.registry.catalogue());
      this.failing.delete('registry');
      return points;
    } catch (e) {
      this.failed('registry', e);
      return [];
    }
  }

  private async fromEmreg(): Promise<ContactPoint[]> {
    const source = this.o.emreg;
    if (!source) return [];
    const now = this.o.now?.() ?? Date.now();
    if (this.emregCache && now - this.emregCache.at < EMREG_TTL_MS) return this.emregCache.points;
    try {
      const points = await readEmreg(source, this.o.logger);
      this.emregCache = { at: now, points };
      this.failing.delete('emreg');
      return points;
    } catch (e) {
      this.failed('emreg', e);
      return this.emregCache?.points ?? [];
    }
  }

  /** Every known contact point: the registry's, then the EMREG list's that the registry does not list. */
  async list(): Promise<ContactPoint[]> {
    const reg = await this.fromRegistry();
    const urls = new Set(reg.map((p) => p.url));
    return [...reg, ...(await this.fromEmreg()).filter((p) => !urls.has(p.url))];
  }

  /** The contact point at this URL; 404 when neither the registry nor the EMREG list names it. */
  async byUrl(url: string): Promise<ContactPoint> {
    const p = (await this.list()).find((x) => x.url === url);
    if (!p) throw new NotFoundError(`no EMREX contact point ${url} in the EWP registry${this.o.emreg ? ' or the EMREG list' : ''}`);
    return p;
  }

  /** The one contact point of a country; 404 for none, 409 when there are several (choose by URL). */
  async byCountry(countryCode: string): Promise<ContactPoint> {
    if (!/^[A-Za-z]{2}$/.test(countryCode)) throw new BadRequestError('country must be an ISO 3166-1 alpha-2 code', { violations: [{ path: '/country', message: 'two letters, e.g. NO' }] });
    const all = (await this.list()).filter((p) => p.countryCode === countryCode.toUpperCase());
    if (!all.length) throw new NotFoundError(`no EMREX contact point of ${countryCode.toUpperCase()} is known`);
    if (all.length > 1)
      throw new ConflictError(`${all.length} EMREX contact points of ${countryCode.toUpperCase()} are known; name one by its URL (contactPoint)`, { extra: { contactPoints: all.map((p) => p.url) } });
    return all[0]!;
  }

  /** Every known contact point's certificates, each with the name of its contact point (what a received document may be sealed with). */
  async certificates(): Promise<{ pem: string; label: string }[]> {
    return (await this.list()).flatMap((p) =>
      p.certificates.map((pem) => ({ pem, label: `EMREX contact point ${p.name} (${p.countryCode}, ${p.listedIn === 'registry' ? 'EWP registry' : 'EMREG list'})` })),
    );
  }
}
