import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Logger } from 'pino';
import { TransportError } from '../../core/errors.ts';
import { parseXml } from '../xml/parse.ts';
import { Catalogue } from './catalogue.ts';

export const MIN_CACHE_MS = 60_000;
export const MAX_CACHE_MS = 3 * 3600_000;
export const DEFAULT_CACHE_MS = 15 * 60_000;
/** After a failed refresh, the stale copy is used and the registry asked again after this long. */
export const RETRY_AFTER_FAILURE_MS = 60_000;
/** The registry spec allows the stale copy "for a limited time": this long after it was last confirmed. */
export const STALE_LIMIT_MS = 7 * 24 * 3600_000;

interface Meta {
  etag?: string;
  lastModified?: string;
  fetchedAt: string;
}

/** Cache lifetime from Cache-Control max-age or Expires, kept within the spec's 1 min – 3 h. */
export function cacheLifetimeMs(headers: Headers, now = Date.now()): number {
  const cc = headers.get('cache-control') ?? '';
  const m = /max-age\s*=\s*(\d+)/i.exec(cc);
  let ms = DEFAULT_CACHE_MS;
  if (m) ms = Number(m[1]) * 1000;
  else if (/no-cache|no-store/i.test(cc)) ms = MIN_CACHE_MS;
  else {
    const exp = Date.parse(headers.get('expires') ?? '');
    if (Number.isFinite(exp)) ms = exp - now;
  }
  return Math.min(MAX_CACHE_MS, Math.max(MIN_CACHE_MS, ms));
}

/**
 * The registry catalogue client (ewp-specs-api-registry): caches the catalogue as long as the
 * registry says (1 min – 3 h, 15 min by default), revalidates with If-None-Match /
 * If-Modified-Since, keeps the last good copy on disk and serves it, stale, when the registry
 * is down, for at most STALE_LIMIT_MS after the registry last confirmed it. Concurrent callers
 * share one refresh.
 */
export class RegistryClient {
  private current: Catalogue | undefined;
  private meta: Meta | undefined;
  private expiresAt = 0;
  /** When the registry last confirmed the copy in use (200 or 304). */
  private confirmedAt = 0;
  private inflight: Promise<void> | undefined;
  private readonly file: string;
  /** True while the catalogue in use is a stale copy (the last refresh failed). */
  stale = false;

  constructor(private readonly o: { url: string; cacheDir: string; logger: Logger; timeoutMs?: number; now?: () => number }) {
    this.file = join(o.cacheDir, 'catalogue.xml');
    this.loadDiskCopy();
  }

  private now(): number {
    return this.o.now?.() ?? Date.now();
  }

  private loadDiskCopy(): void {
    try {
      const xml = readFileSync(this.file, 'utf8');
      this.current = new Catalogue(parseXml(xml));
      this.meta = JSON.parse(readFileSync(`${this.file}.meta.json`, 'utf8')) as Meta;
      this.confirmedAt = Date.parse(this.meta.fetchedAt) || 0;
      this.expiresAt = 0; // revalidate before first use
    } catch {
      this.current = undefined;
    }
  }

  /** The catalogue: fresh, revalidated, or the stale copy when the registry cannot be reached. */
  async catalogue(): Promise<Catalogue> {
    if (!this.current || this.now() >= this.expiresAt) {
      this.inflight ??= this.refresh().finally(() => {
        this.inflight = undefined;
      });
      await this.inflight;
    }
    if (!this.current) throw new TransportError(`the EWP registry ${this.o.url} cannot be reached and no copy of its catalogue is cached`);
    if (this.stale && this.now() - this.confirmedAt > STALE_LIMIT_MS) {
      throw new TransportError(
        `the EWP registry ${this.o.url} cannot be reached and the cached catalogue (confirmed ${new Date(this.confirmedAt).toISOString()}) is older than ${STALE_LIMIT_MS / 86_400_000} days`,
      );
    }
    return this.current;
  }

  /** Forces the next catalogue() to ask the registry (e.g. after an unknown keyId). */
  invalidate(): void {
    this.expiresAt = 0;
  }

  private async refresh(): Promise<void> {
    const headers: Record<string, string> = { accept: 'application/xml, text/xml' };
    if (this.current && this.meta?.etag) headers['if-none-match'] = this.meta.etag;
    if (this.current && this.meta?.lastModified) headers['if-modified-since'] = this.meta.lastModified;
    try {
      const res = await fetch(this.o.url, { headers, signal: AbortSignal.timeout(this.o.timeoutMs ?? 15_000) });
      if (res.status === 304 && this.current) {
        this.expiresAt = this.now() + cacheLifetimeMs(res.headers, this.now());
        this.stale = false;
        this.confirmedAt = this.now();
        if (this.meta) {
          this.meta.fetchedAt = new Date(this.now()).toISOString();
          this.saveMeta();
        }
        return;
      }
      if (!res.ok) throw new TransportError(`HTTP ${res.status}`);
      const xml = await res.text();
      const catalogue = new Catalogue(parseXml(xml));
      this.current = catalogue;
      this.meta = {
        ...(res.headers.get('etag') ? { etag: res.headers.get('etag')! } : {}),
        ...(res.headers.get('last-modified') ? { lastModified: res.headers.get('last-modified')! } : {}),
        fetchedAt: new Date(this.now()).toISOString(),
      };
      this.expiresAt = this.now() + cacheLifetimeMs(res.headers, this.now());
      this.stale = false;
      this.confirmedAt = this.now();
      this.saveDiskCopy(xml);
    } catch (e) {
      this.expiresAt = this.now() + RETRY_AFTER_FAILURE_MS;
      if (this.current) {
        if (!this.stale) this.o.logger.warn({ registry: this.o.url, fetchedAt: this.meta?.fetchedAt }, `EWP registry unreachable (${(e as Error).message}); using the cached catalogue`);
        this.stale = true;
      } else {
        this.o.logger.error({ registry: this.o.url }, `EWP registry unreachable and no cached catalogue: ${(e as Error).message}`);
      }
    }
  }

  private saveDiskCopy(xml: string): void {
    try {
      mkdirSync(this.o.cacheDir, { recursive: true });
      writeFileSync(`${this.file}.tmp`, xml);
      renameSync(`${this.file}.tmp`, this.file);
      this.saveMeta();
    } catch (e) {
      this.o.logger.warn(`cannot keep a copy of the EWP catalogue in ${this.o.cacheDir}: ${(e as Error).message}`);
    }
  }

  private saveMeta(): void {
    try {
      writeFileSync(`${this.file}.meta.json`, JSON.stringify(this.meta));
    } catch (e) {
      this.o.logger.warn(`cannot keep a copy of the EWP catalogue in ${this.o.cacheDir}: ${(e as Error).message}`);
    }
  }
}
