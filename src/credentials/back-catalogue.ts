import type { CanonicalRecord } from '../core/types.ts';
import type { RecordReader } from '../store/records.ts';
import type { IssueOutcome } from './issuer.ts';

export interface BackCatalogueOptions {
  institution: string;
  /** Only awards made on or after this date (YYYY or YYYY-MM-DD); all when absent. */
  awardedSince?: string | undefined;
  /** Awards issued together: positions given out and credentials stored in one transaction (default 500). */
  batch?: number | undefined;
  /** After each batch: awards examined so far, of how many, and the counts. */
  onProgress?: ((examined: number, total: number, counts: BackCatalogueCounts) => void) | undefined;
}

export interface BackCatalogueCounts {
  /** Credentials issued by this run. */
  issued: number;
  /** Awards whose credential was issued before (an earlier or interrupted run, or the route). */
  existing: number;
  /** Awards made before `awardedSince`. */
  before: number;
  /** Awards that could not be issued (data missing, no seal). */
  failed: number;
}

export interface BackCatalogueSummary extends BackCatalogueCounts {
  institution: string;
  awardedSince: string | null;
  examined: number;
  /** Why awards failed: each reason with how many and up to 5 award record ids (hub UUIDs). */
  failures: { reason: string; count: number; awards: string[] }[];
  ms: number;
}

/** `1991` → `1991-01-01`; a full date as it is; anything else refused by the caller. */
export function sinceDate(v: string): string | undefined {
  if (/^\d{4}$/.test(v)) return `${v}-01-01`;
  return /^\d{4}-\d{2}-\d{2}$/.test(v) && !Number.isNaN(Date.parse(v)) ? v : undefined;
}

/**
 * Issues credentials for an institution's awards made before the hub issued them (the back-catalogue):
 * walks the awards in the order of their natural key, in batches, and issues each batch together. Resumable: an award whose
 * current version has a credential is counted as existing, never issued twice, so a run that was
 * interrupted (even killed) is simply run again.
 */
export async function issueBackCatalogue(
  deps: { reader: RecordReader; issue: (records: readonly CanonicalRecord[]) => Promise<IssueOutcome[]> },
  o: BackCatalogueOptions,
): Promise<BackCatalogueSummary> {
  const started = Date.now();
  const since = o.awardedSince;
  const counts: BackCatalogueCounts = { issued: 0, existing: 0, before: 0, failed: 0 };
  const failures = new Map<string, { count: number; awards: string[] }>();
  const total = await deps.reader.count({ entity: 'award', institution: o.institution });
  const size = o.batch ?? 500;
  let examined = 0;
  let page: CanonicalRecord[] = [];
  const flush = async () => {
    if (!page.length) return;
    for (const out of await deps.issue(page)) {
      if (out.outcome === 'issued') counts.issued++;
      else if (out.outcome === 'existing') counts.existing++;
      else {
        counts.failed++;
        const reason = out.outcome === 'failed' ? out.error.message : `not issued: ${out.outcome === 'skipped' ? out.reason : out.outcome}`;
        const f = failures.get(reason) ?? { count: 0, awards: [] };
        f.count++;
        if (f.awards.length < 5) f.awards.push(out.subjectId);
        failures.set(reason, f);
      }
    }
    page = [];
  };
  for await (const award of deps.reader.walkByKey({ entity: 'award', institution: o.institution }, size)) {
    examined++;
    if (since && !(typeof award.data.awardedAt === 'string' && award.data.awardedAt >= since)) counts.before++;
    else page.push(award);
    if (page.length >= size) {
      await flush();
      o.onProgress?.(examined, total, counts);
    }
  }
  await flush();
  o.onProgress?.(examined, total, counts);
  return {
    institution: o.institution,
    awardedSince: since ?? null,
    examined,
    ...counts,
    failures: [...failures.entries()].map(([reason, f]) => ({ reason, ...f })).sort((a, b) => b.count - a.count),
    ms: Date.now() - started,
  };
}
