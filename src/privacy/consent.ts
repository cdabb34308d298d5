import type { SqlDb } from '../store/sql.ts';
import { RecordReader } from '../store/records.ts';
import { refTargetOf, type SubjectSet } from './personal.ts';

export interface ConsentDecision {
  active: boolean;
  /** Why (no personal data: purpose, recipient, consent record id, times). */
  reason: string;
  /** The consent record that decided, if any. */
  consentId?: string;
}

interface ConsentData {
  status?: string;
  grantedAt?: string;
  withdrawnAt?: string;
  validUntil?: string;
  scope?: string[];
}

/** When the person last decided: the withdrawal, else the grant. */
function decidedAt(c: ConsentData): number {
  return Date.parse(c.withdrawnAt ?? c.grantedAt ?? '') || 0;
}

/**
 * Consents are canonical `consent` records (from the consent system, through an adapter or the ingest
 * API). A consent matches a delivery when it names the same person (any person record linked to the
 * record's person, or the record's own reference), the route's purpose and recipient, and covers the
 * record's entity (its scope, when it has one). Of the matching consents the latest decision counts:
 * a withdrawal after a grant stops deliveries, a new grant after a withdrawal resumes them.
 */
export class Consents {
  private readonly records: RecordReader;

  constructor(sql: SqlDb) {
    this.records = new RecordReader(sql);
  }

  async decide(route: { purpose: string; recipient: string }, entity: string, subject: SubjectSet, now: number = Date.now()): Promise<ConsentDecision> {
    const rows = await this.records.find({
      entity: 'consent',
      where: [
        { field: 'purpose', equals: route.purpose },
        { field: 'recipient', equals: route.recipient },
        { refAt: 'person', to: refTargetOf({ ids: subject.persons.map((p) => p.id), keys: subject.keys, identifiers: subject.identifiers }) },
      ],
    });
    const what = `purpose '${route.purpose}', recipient '${route.recipient}'`;
    const consents = rows
      .map((r) => ({ id: r.id, data: r.data as ConsentData }))
      .filter((c) => !Array.isArray(c.data.scope) || c.data.scope.includes(entity))
      .sort((a, b) => decidedAt(b.data) - decidedAt(a.data));
    const latest = consents[0];
    if (!latest) return { active: false, reason: `no consent of the person for ${what}${rows.length ? ` covering ${entity}` : ''}` };
    const c = latest.data;
    const base = { consentId: latest.id };
    if (c.status === 'withdrawn') return { ...base, active: false, reason: `consent ${latest.id} for ${what} was withdrawn at ${c.withdrawnAt ?? '?'}` };
    if (c.status !== 'given') return { ...base, active: false, reason: `consent ${latest.id} for ${what} has status '${String(c.status)}'` };
    if (c.grantedAt && Date.parse(c.grantedAt) > now) return { ...base, active: false, reason: `consent ${latest.id} for ${what} is in force from ${c.grantedAt}` };
    if (c.validUntil && Date.parse(c.validUntil) <= now) return { ...base, active: false, reason: `consent ${latest.id} for ${what} expired at ${c.validUntil}` };
    return { ...base, active: true, reason: `consent ${latest.id} for ${what} given at ${c.grantedAt ?? '?'}` };
  }
}
