import { randomUUID } from 'node:crypto';
import { errorMessage, isHubError } from '../../core/errors.ts';
import { scrubForLog } from '../../observability/scrub.ts';
import type { SqlDb } from '../../store/sql.ts';
import type { EwpServices } from '../services.ts';
import { backoffMs, CnrTable, PARTNER_ERROR_LOGGED, PollLoop } from './queue.ts';
import { CNR_APIS, type CnrApi, type CnrTarget } from './types.ts';
import { failingPartners, type FailingPartner } from './partner-failures.ts';

interface Row {
  id: string;
  api: CnrApi;
  from_hei: string;
  to_hei: string;
  extra: string;
  object_id: string;
  attempts: number | string;
  generation: number | string;
  first_at: number | string;
}

/** CNRs older than this (not delivered despite retries) are given up, with a log line. */
export const EXPIRE_MS = 24 * 3600_000;
const BACKOFF_BASE_MS = 5000;
const BACKOFF_MAX_MS = 3600_000;

/**
 * The Notification Sender: a persistent queue of CNRs (table ewp_cnr_outbox). Repeated changes
 * of one object merge into one row; a row waits at most the batch window (≤ 5 min) after its
 * first change, then CNRs to the same partner and API go out together (ids batched up to the
 * partner's max-*-ids where the API repeats them). 5xx and network faults are retried with
 * exponential backoff until the row expires (24 h); a 4xx is logged and dropped.
 */
export class CnrSender {
  private readonly sql: SqlDb;
  private readonly table: CnrTable;
  private readonly loop: PollLoop;

  constructor(private readonly node: EwpServices) {
    this.sql = node.deps.sql;
    this.table = new CnrTable(this.sql, 'ewp_cnr_outbox');
    this.loop = new PollLoop(
      () => this.flush(),
      (e) => node.logger.warn(`EWP CNR sender: ${scrubForLog(errorMessage(e), undefined, PARTNER_ERROR_LOGGED)}`),
    );
  }

  static async migrate(sql: SqlDb): Promise<void> {
    const ddl = (big: string) =>
      `CREATE TABLE ewp_cnr_outbox (id TEXT PRIMARY KEY, api TEXT NOT NULL, from_hei TEXT NOT NULL, to_hei TEXT NOT NULL, extra TEXT NOT NULL, object_id TEXT NOT NULL,
        first_at ${big} NOT NULL, due_at ${big} NOT NULL, attempts INTEGER NOT NULL DEFAULT 0, generation INTEGER NOT NULL DEFAULT 0, lease_until ${big} NOT NULL DEFAULT 0,
        last_error TEXT, UNIQUE (api, from_hei, to_hei, extra, object_id));
       CREATE INDEX ewp_cnr_outbox_due ON ewp_cnr_outbox (due_at);`;
    await sql.migrate('ewp-cnr-outbox', [{ sqlite: ddl('INTEGER'), postgres: ddl('BIGINT') }]);
  }

  /** Queues a CNR; within the window of a pending one for the same object it merges into it. */
  async enqueue(t: CnrTarget, windowMs: number): Promise<void> {
    const now = Date.now();
    await this.sql.run(
      `INSERT INTO ewp_cnr_outbox (id, api, from_hei, to_hei, extra, object_id, first_at, due_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?)
       ON CONFLICT (api, from_hei, to_hei, extra, object_id) DO UPDATE SET generation = ewp_cnr_outbox.generation + 1,
         due_at = CASE WHEN ewp_cnr_outbox.attempts = 0 AND ewp_cnr_outbox.due_at < excluded.due_at THEN ewp_cnr_outbox.due_at ELSE excluded.due_at END, attempts = 0`,
      [randomUUID(), t.api, t.from, t.to, JSON.stringify(t.extra ?? []), t.objectId, now, now + windowMs],
    );
    this.loop.wake(windowMs);
  }

  async pending(): Promise<{ api: string; to: string; objectId: string; attempts: number; lastError: string | null }[]> {
    const rows = await this.sql.query<{ api: string; to_hei: string; object_id: string; attempts: number | string; last_error: string | null }>(
      'SELECT api, to_hei, object_id, attempts, last_error FROM ewp_cnr_outbox ORDER BY due_at',
    );
    return rows.map((r) => ({ api: r.api, to: r.to_hei, objectId: r.object_id, attempts: Number(r.attempts), lastError: r.last_error }));
  }

  /** Partners our notifications cannot reach now (admin dashboard). */
  async failing(): Promise<FailingPartner[]> {
    const rows = await this.sql.query<{ to_hei: string; last_error: string | null; due_at: number | string }>(
      'SELECT to_hei, last_error, due_at FROM ewp_cnr_outbox WHERE last_error IS NOT NULL ORDER BY due_at LIMIT 1000',
    );
    return failingPartners(
      'send',
      rows.map((r) => ({ partner: r.to_hei, lastError: r.last_error, dueAt: r.due_at })),
    );
  }

  start(pollMs = 1000): void {
    this.loop.start(pollMs);
  }

  async stop(): Promise<void> {
    await this.loop.stop();
  }

  /** Sends every due CNR, grouped by partner and API. */
  async flush(): Promise<void> {
    const now = Date.now();
    const rows = await this.sql.query<Row & Record<string, unknown>>(
      'SELECT id, api, from_hei, to_hei, extra, object_id, attempts, generation, first_at FROM ewp_cnr_outbox WHERE due_at <= ? AND lease_until < ? ORDER BY due_at LIMIT 500',
      [now, now],
    );
    const claimed: Row[] = [];
    for (const r of rows) {
      if (await this.table.claim(r.id, now)) claimed.push(r);
    }
    const groups = new Map<string, Row[]>();
    for (const r of claimed) {
      const k = `${r.api}\n${r.from_hei}\n${r.to_hei}\n${r.extra}`;
      groups.set(k, [...(groups.get(k) ?? []), r]);
    }
    for (const group of groups.values()) await this.sendGroup(group);
  }

  private async sendGroup(group: Row[]): Promise<void> {
    const first = group[0]!;
    const spec = CNR_APIS[first.api];
    const size = spec.repeatable ? await this.node.client.limit(first.to_hei, first.api, 'max-omobility-ids') : 1;
    for (let i = 0; i < group.length; i += size) {
      const chunk = group.slice(i, i + size);
      const params: [string, string][] = [...(JSON.parse(first.extra) as [string, string][]), ...chunk.map((r): [string, string] => [spec.param, r.object_id])];
      try {
        await this.node.client.call({ from: first.from_hei, to: first.to_hei, api: first.api, urlElement: 'url', params });
        this.node.metrics.cnrSent.inc({ api: first.api, outcome: 'sent' }, chunk.length);
        this.node.partnerFailures.succeeded('send', first.to_hei);
        for (const r of chunk) await this.table.done(r.id, r.generation);
      } catch (e) {
        await this.failed(chunk, e);
      }
    }
  }

  private async failed(chunk: Row[], e: unknown): Promise<void> {
    const now = Date.now();
    const retry = isHubError(e) && e.retryable;
    for (const r of chunk) {
      const attempts = Number(r.attempts) + 1;
      const log = { api: r.api, from: r.from_hei, to: r.to_hei, objectId: r.object_id, attempts };
      const next = now + backoffMs(attempts, BACKOFF_BASE_MS, BACKOFF_MAX_MS);
      const givenUp = !retry || now - Number(r.first_at) > EXPIRE_MS;
      this.node.partnerFailures.failed('send', r.to_hei, e, givenUp ? undefined : next, log);
      if (givenUp) {
        this.node.metrics.cnrSent.inc({ api: r.api, outcome: retry ? 'expired' : 'rejected' });
        this.node.logger.warn(log, `EWP CNR given up: ${scrubForLog(errorMessage(e), undefined, PARTNER_ERROR_LOGGED)}`);
        // Changed again meanwhile: that newer change is still to be announced.
        await this.table.done(r.id, r.generation);
        continue;
      }
      this.node.metrics.cnrSent.inc({ api: r.api, outcome: 'retry' });
      await this.table.retryAt(r.id, attempts, next, e, 'due_at');
    }
  }
}
