import { randomUUID } from 'node:crypto';
import { BadRequestError, ConfigError, errorMessage, isHubError } from '../../core/errors.ts';
import { scrubForLog } from '../../observability/scrub.ts';
import type { SqlDb } from '../../store/sql.ts';
import type { EwpServices } from '../services.ts';
import { refreshIia, refreshIiaApproval, refreshImobility, refreshMobility, refreshTor } from './fetch.ts';
import { isEwpIdentifier } from '../params.ts';
import { backoffMs, CnrTable, PARTNER_ERROR_LOGGED, PollLoop } from './queue.ts';
import { failingPartners, type FailingPartner } from './partner-failures.ts';
import type { InboxKind } from './types.ts';

interface Row {
  id: string;
  hei_id: string;
  partner_hei_id: string;
  kind: InboxKind;
  object_id: string;
  attempts: number | string;
  generation: number | string;
}

const MAX_ATTEMPTS = 16;
const BACKOFF_BASE_MS = 1000;
const BACKOFF_MAX_MS = 3600_000;

/**
 * Received change notifications, persisted and processed in the background: the CNR endpoint
 * answers at once, a worker re-fetches the object from the partner and ingests it. Repeated
 * CNRs for one object merge into one row; failures are retried with exponential backoff
 * (transport faults, 5xx) or dropped with a log line (4xx, unknown objects). Workers claim rows
 * with a lease, so several hub processes share the queue.
 */
export class CnrInbox {
  private readonly sql: SqlDb;
  private readonly table: CnrTable;
  private readonly loop: PollLoop;

  constructor(private readonly node: EwpServices) {
    this.sql = node.deps.sql;
    this.table = new CnrTable(this.sql, 'ewp_cnr_inbox');
    this.loop = new PollLoop(
      () => this.drain(),
      (e) => node.logger.warn(`EWP CNR inbox: ${scrubForLog(errorMessage(e), undefined, PARTNER_ERROR_LOGGED)}`),
    );
  }

  static async migrate(sql: SqlDb): Promise<void> {
    const ddl = (big: string) =>
      `CREATE TABLE ewp_cnr_inbox (id TEXT PRIMARY KEY, hei_id TEXT NOT NULL, partner_hei_id TEXT NOT NULL, kind TEXT NOT NULL, object_id TEXT NOT NULL,
        received_at TEXT NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0, next_at ${big} NOT NULL, lease_until ${big} NOT NULL DEFAULT 0,
        last_error TEXT, UNIQUE (hei_id, partner_hei_id, kind, object_id));
       CREATE INDEX ewp_cnr_inbox_due ON ewp_cnr_inbox (next_at);`;
    await sql.migrate('ewp-cnr-inbox', [{ sqlite: ddl('INTEGER'), postgres: ddl('BIGINT') }]);
  }

  async enqueue(heiId: string, partner: string, kind: InboxKind, objectId: string): Promise<void> {
    if (!isEwpIdentifier(objectId)) throw new BadRequestError(`a notified ${kind} id must be an EWP identifier (1 to 64 printable ASCII characters), got ${objectId.length} characters`);
    const now = Date.now();
    await this.sql.run(
      `INSERT INTO ewp_cnr_inbox (id, hei_id, partner_hei_id, kind, object_id, received_at, next_at) VALUES (?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (hei_id, partner_hei_id, kind, object_id) DO UPDATE SET attempts = 0, generation = ewp_cnr_inbox.generation + 1, next_at = excluded.next_at, last_error = NULL`,
      [randomUUID(), heiId, partner, kind, objectId, new Date(now).toISOString(), now],
    );
    this.wake();
  }

  /** Rows waiting (for tests and the admin view). */
  async pending(): Promise<{ kind: string; objectId: string; attempts: number; lastError: string | null }[]> {
    const rows = await this.sql.query<{ kind: string; object_id: string; attempts: number | string; last_error: string | null }>(
      'SELECT kind, object_id, attempts, last_error FROM ewp_cnr_inbox ORDER BY next_at',
    );
    return rows.map((r) => ({ kind: r.kind, objectId: r.object_id, attempts: Number(r.attempts), lastError: r.last_error }));
  }

  /** Partners whose announced objects cannot be fetched now (admin dashboard). */
  async failing(): Promise<FailingPartner[]> {
    const rows = await this.sql.query<{ partner_hei_id: string; last_error: string | null; next_at: number | string }>(
      'SELECT partner_hei_id, last_error, next_at FROM ewp_cnr_inbox WHERE last_error IS NOT NULL ORDER BY next_at LIMIT 1000',
    );
    return failingPartners(
      'fetch',
      rows.map((r) => ({ partner: r.partner_hei_id, lastError: r.last_error, dueAt: r.next_at })),
    );
  }

  start(pollMs = 1000): void {
    this.loop.start(pollMs);
  }

  /** Runs the worker now instead of at the next poll (after an enqueue in this process). */
  wake(): void {
    this.loop.wake(0);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Processes due rows until none is left (or the worker stops). */
  async drain(): Promise<void> {
    for (let round = 0; round < 100 && this.loop.active; round++) {
      const now = Date.now();
      const due = await this.sql.query<Row & Record<string, unknown>>(
        'SELECT id, hei_id, partner_hei_id, kind, object_id, attempts, generation FROM ewp_cnr_inbox WHERE next_at <= ? AND lease_until < ? ORDER BY next_at LIMIT 20',
        [now, now],
      );
      if (!due.length) return;
      for (const row of due) {
        if (!this.loop.active) return;
        if (await this.table.claim(row.id, now)) await this.process(row);
      }
    }
  }

  private async process(row: Row): Promise<void> {
    const hei = this.node.settings.heis.get(row.hei_id);
    const log = { hei: row.hei_id, partner: row.partner_hei_id, kind: row.kind, objectId: row.object_id };
    try {
      if (!hei) throw new ConfigError(`${row.hei_id} is no longer an EWP HEI of this hub`);
      const fn = { iia: refreshIia, 'iia-approval': refreshIiaApproval, omobility: refreshMobility, la: refreshMobility, tor: refreshTor, imobility: refreshImobility }[row.kind];
      await fn(this.node, hei, row.partner_hei_id, row.object_id);
      this.node.partnerFailures.succeeded('fetch', row.partner_hei_id);
      await this.table.done(row.id, row.generation);
    } catch (e) {
      const attempts = Number(row.attempts) + 1;
      const retry = isHubError(e) ? e.retryable : false;
      if (!retry || attempts >= MAX_ATTEMPTS) {
        this.node.partnerFailures.failed('fetch', row.partner_hei_id, e, undefined, { ...log, attempts });
        this.node.logger.warn({ ...log, attempts }, `EWP CNR dropped: ${scrubForLog(errorMessage(e), undefined, PARTNER_ERROR_LOGGED)}`);
        // A newer CNR that came in meanwhile is processed at once, not after the lease.
        await this.table.done(row.id, row.generation);
        return;
      }
      const next = Date.now() + backoffMs(attempts, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
      this.node.partnerFailures.failed('fetch', row.partner_hei_id, e, next, { ...log, attempts });
      await this.table.retryAt(row.id, attempts, next, e, 'next_at');
    }
  }
}
