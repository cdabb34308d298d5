import type { Logger } from 'pino';
import type { Counter } from 'prom-client';
import { errorMessage, isHubError } from '../../core/errors.ts';
import { scrubForLog } from '../../observability/scrub.ts';
import { PARTNER_ERROR_LOGGED } from './queue.ts';

/** Which way a call to a partner went: fetching what it announced, or announcing to it. */
export type PartnerDirection = 'fetch' | 'send';

/**
 * Failed calls to partners, made visible without flooding the log: every failure is counted in
 * `hub_ewp_partner_failures_total{partner,direction,code}`, and logged at warn the first time a partner
 * fails in a direction for a reason (with when it is tried next); the same failure again is debug until
 * the partner answers or fails for another reason.
 */
export class PartnerFailures {
  private readonly reported = new Map<string, string>();

  constructor(
    private readonly logger: Logger,
    private readonly counter: Counter,
  ) {}

  failed(direction: PartnerDirection, partner: string, e: unknown, nextAttemptAt: number | undefined, context: Record<string, unknown> = {}): void {
    const code = isHubError(e) ? e.code : 'UNEXPECTED';
    this.counter.inc({ partner, direction, code });
    const key = `${direction}\n${partner}`;
    const next = nextAttemptAt === undefined ? 'not tried again' : `next attempt at ${new Date(nextAttemptAt).toISOString()}`;
    const line = `EWP ${direction === 'fetch' ? 'fetch from' : 'CNR to'} ${partner} failed (${code}), ${next}: ${scrubForLog(errorMessage(e), undefined, PARTNER_ERROR_LOGGED)}`;
    const fields = { ...context, partner, direction, code, nextAttemptAt: nextAttemptAt === undefined ? null : new Date(nextAttemptAt).toISOString() };
    if (this.reported.get(key) === code) {
      this.logger.debug(fields, line);
      return;
    }
    this.reported.set(key, code);
    this.logger.warn(fields, line);
  }

  succeeded(direction: PartnerDirection, partner: string): void {
    const key = `${direction}\n${partner}`;
    if (!this.reported.has(key)) return;
    this.reported.delete(key);
    this.logger.info({ partner, direction }, `EWP ${direction === 'fetch' ? 'fetch from' : 'CNR to'} ${partner} works again`);
  }
}

/** A partner whose calls fail now: the waiting notifications in one direction, the latest error, the next attempt. */
export interface FailingPartner {
  partner: string;
  direction: PartnerDirection;
  waiting: number;
  lastError: string;
  nextAttemptAt: string | null;
}

/** Groups the failing rows of a CNR queue (attempts made, an error kept) by partner. */
export function failingPartners(direction: PartnerDirection, rows: readonly { partner: string; lastError: string | null; dueAt: number | string }[]): FailingPartner[] {
  const out = new Map<string, FailingPartner>();
  for (const r of rows) {
    if (r.lastError === null) continue;
    const due = Number(r.dueAt);
    const at = Number.isFinite(due) && due > 0 ? new Date(due).toISOString() : null;
    const f = out.get(r.partner);
    if (!f) out.set(r.partner, { partner: r.partner, direction, waiting: 1, lastError: r.lastError, nextAttemptAt: at });
    else {
      f.waiting++;
      if (at && (!f.nextAttemptAt || at < f.nextAttemptAt)) f.nextAttemptAt = at;
    }
  }
  return [...out.values()].sort((a, b) => a.partner.localeCompare(b.partner));
}
