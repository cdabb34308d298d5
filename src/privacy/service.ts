import type { Logger } from 'pino';
import { routeQueue, type Broker } from '../broker/types.ts';
import type { EnvSettings } from '../config/env.ts';
import type { HubConfig, RouteConfig } from '../config/types.ts';
import { errorMessage } from '../core/errors.ts';
import type { CanonicalRecord, ChangeEvent } from '../core/types.ts';
import type { Store } from '../store/types.ts';
import { DEFAULT_JOB_INTERVAL_MS, DEFAULT_PSEUDONYM_SECRET_ENV, routePolicy, type RoutePolicy } from './config.ts';
import { Consents } from './consent.ts';
import { DisclosureLog } from './disclosure-log.ts';
import { Erasure } from './erasure.ts';
import type { DeliveryGate, GateDecision } from './gate.ts';
import { PRIVACY_MIGRATIONS } from './migrations.ts';
import { holdsPersonalData, Persons, SUBJECTS } from './personal.ts';
import { projectEvent } from './projection.ts';
import { loadPseudonymSecret, Pseudonyms } from './pseudonym.ts';
import { Retention } from './retention.ts';
import { SubjectAccess } from './subject-access.ts';
import { Withheld, type WithheldRow } from './withheld.ts';

export interface PrivacyDeps {
  store: Store;
  broker: Broker;
  config: HubConfig;
  env: EnvSettings;
  logger: Logger;
  /** Entities of the canonical model (retention runs per entity). */
  entities: readonly string[];
}

export interface TickReport {
  /** Withheld deliveries whose hold window ended. */
  closed: number;
  /** Withheld deliveries sent again because a consent is now active. */
  released: number;
  /** Messages reduced to metadata, per entity. */
  reduced: Record<string, number>;
}

const BATCH = 1000;
/** Retention scans the messages table: at most once an hour from the periodic job. */
const RETENTION_EVERY_MS = 3600_000;

/**
 * The hub's personal-data policy in one place: the router asks it before and after each delivery
 * (consent, projection, disclosure log), the pipeline tells it when a consent is committed, the API
 * answers subject access and erasure through it, and a periodic job closes expired hold windows and
 * applies retention (docs/privacy.md).
 */
export class Privacy implements DeliveryGate {
  readonly persons: Persons;
  readonly consents: Consents;
  readonly withheld: Withheld;
  readonly log: DisclosureLog;
  readonly erasure: Erasure;
  readonly subjectAccess: SubjectAccess;
  readonly retention: Retention;
  private readonly policies: Map<string, RoutePolicy>;
  private timer: NodeJS.Timeout | undefined;
  private running: Promise<unknown> | undefined;
  private lastRetention = 0;

  private constructor(
    private readonly d: PrivacyDeps,
    readonly pseudonyms: Pseudonyms,
  ) {
    const sql = d.store.sql;
    this.persons = new Persons(sql);
    this.consents = new Consents(sql);
    this.withheld = new Withheld(sql);
    this.log = new DisclosureLog(sql);
    this.erasure = new Erasure(sql, this.persons, pseudonyms, this.log);
    this.subjectAccess = new SubjectAccess(this.persons, this.log, pseudonyms, this.erasure);
    this.retention = new Retention(sql, d.config.privacy?.retention ?? {}, d.entities);
    this.policies = new Map(d.config.routes.map((r) => [r.id, routePolicy(r)]));
  }

  /** Reads the pseudonymisation secret and creates the module's tables. */
  static async create(d: PrivacyDeps): Promise<Privacy> {
    const variable = d.config.privacy?.pseudonymSecretEnv ?? DEFAULT_PSEUDONYM_SECRET_ENV;
    const secret = loadPseudonymSecret({ value: d.env.env[variable], variable, dataDir: d.env.dataDir, logger: d.logger, shared: d.store.kind === 'postgres' });
    const p = new Privacy(d, new Pseudonyms(secret));
    await d.store.sql.migrate('privacy', PRIVACY_MIGRATIONS);
    return p;
  }

  policy(route: RouteConfig): RoutePolicy {
    return this.policies.get(route.id) ?? routePolicy(route);
  }

  async beforeDelivery(route: RouteConfig, e: ChangeEvent): Promise<GateDecision> {
    const p = this.policy(route);
    if (e.record && holdsPersonalData(e.entity)) {
      const now = Date.now();
      const held = { eventId: e.eventId, routeId: p.id, messageId: e.messageId ?? null, recordId: e.recordId, entity: e.entity, purpose: p.purpose, recipient: p.recipient, now };
      if (await this.erasure.isErased(e.recordId, e.occurredAt)) {
        const reason = "not delivered: the person's data was erased after this change";
        await this.withheld.closeNow({ ...held, person: null, reason }, 'erased');
        return { action: 'withhold', reason };
      }
      if (p.legalBasis === 'consent' && SUBJECTS[e.entity]) {
        const subject = await this.persons.subjectOf(e.entity, e.record, e.institution);
        const decision = subject ? await this.consents.decide(p, e.entity, subject, now) : { active: false, reason: 'the record names no person whose consent could be checked' };
        if (!decision.active) {
          const row = await this.withheld.hold({ ...held, person: this.pseudonyms.of(subject?.primary), reason: decision.reason, holdWindowMs: p.holdWindowMs });
          const reason =
            row.status === 'closed'
              ? `withheld: ${decision.reason}; ${row.closedReason ?? 'the hold window is over'}`
              : `withheld: ${decision.reason}; waiting for a consent until ${row.expiresAt}`;
          return { action: 'withhold', reason };
        }
      }
    }
    return { action: 'deliver', event: projectEvent(e, p.fields) };
  }

  async afterDelivery(route: RouteConfig, e: ChangeEvent): Promise<void> {
    if (!e.record || !holdsPersonalData(e.entity)) return;
    const p = this.policy(route);
    const subject = SUBJECTS[e.entity] ? await this.persons.subjectOf(e.entity, e.record, e.institution, false) : undefined;
    await this.log.append({
      kind: 'disclosure',
      person: this.pseudonyms.of(subject?.primary),
      recipient: p.recipient,
      route: p.id,
      entity: e.entity,
      recordId: e.recordId,
      recordVersion: e.version,
      legalBasis: p.legalBasis,
      purpose: p.purpose,
      fields: p.fields ? [...p.fields] : null,
      eventId: e.eventId,
    });
    if (p.legalBasis === 'consent') await this.withheld.setStatus(e.eventId, p.id, 'delivered');
  }

  /** A consent record was committed: deliveries withheld for its purpose and recipient that it unlocks go out. */
  async consentCommitted(record: CanonicalRecord): Promise<number> {
    const { purpose, recipient, status } = record.data;
    if (status !== 'given' || typeof purpose !== 'string' || typeof recipient !== 'string') return 0;
    return this.release(await this.withheld.held({ purpose, recipient, limit: BATCH }), Date.now());
  }

  /** Sends again the held deliveries whose consent is now active; returns how many. */
  async release(rows: WithheldRow[], now: number): Promise<number> {
    let n = 0;
    for (const row of rows) {
      const p = this.policies.get(row.routeId);
      if (!p) continue;
      const event = await this.d.store.getEvent(row.eventId);
      if (!event?.record) continue;
      const subject = await this.persons.subjectOf(event.entity, event.record, event.institution);
      if (!subject || !(await this.consents.decide(p, event.entity, subject, now)).active) continue;
      await this.resend(row, event);
      n++;
    }
    return n;
  }

  /** Resets the withheld deliveries of the message (Store.resetDeliveries) and sends them to their route queues. */
  private async resend(row: WithheldRow, event: ChangeEvent): Promise<void> {
    const sent = new Set<string>();
    const key = (eventId: string, routeId: string) => `${eventId}\u0000${routeId}`;
    if (row.messageId) {
      for (const pair of await this.d.store.resetDeliveries(row.messageId, ['withheld'])) {
        const w = await this.withheld.get(pair.eventId, pair.routeId);
        if (w?.status === 'closed') {
          // Reset with the others, but its hold window is over: it stays withheld.
          await this.d.store.finishAttempt({ ...pair, attempt: 0, outcome: 'withheld', status: 'withheld', error: `withheld: ${w.closedReason ?? 'closed'}`, detail: null, durationMs: 0 });
          continue;
        }
        const ev = pair.eventId === event.eventId ? event : await this.d.store.getEvent(pair.eventId);
        if (!ev) continue;
        await this.d.broker.sendToQueue(routeQueue(pair.routeId), ev);
        if (w) await this.withheld.setStatus(pair.eventId, pair.routeId, 'released');
        sent.add(key(pair.eventId, pair.routeId));
      }
    }
    if (!sent.has(key(row.eventId, row.routeId))) {
      const d = await this.d.store.getDelivery(row.eventId, row.routeId);
      if (d?.status !== 'delivered') await this.d.broker.sendToQueue(routeQueue(row.routeId), event);
      await this.withheld.setStatus(row.eventId, row.routeId, d?.status === 'delivered' ? 'delivered' : 'released');
    }
  }

  /** Closes the held deliveries whose hold window ended by `now`, with a closing attempt on each. */
  async closeExpired(now: number): Promise<number> {
    const rows = await this.withheld.expired(now, BATCH);
    for (const row of rows) {
      const reason = `closed: no matching consent within the hold window (it ended at ${row.expiresAt})`;
      await this.withheld.setStatus(row.eventId, row.routeId, 'closed', reason);
      const d = await this.d.store.getDelivery(row.eventId, row.routeId);
      if (d?.status === 'withheld') {
        await this.d.store.finishAttempt({ eventId: row.eventId, routeId: row.routeId, attempt: d.attempts, outcome: 'withheld', status: 'withheld', error: reason, detail: null, durationMs: 0 });
      }
    }
    return rows.length;
  }

  /**
   * One pass of the periodic job: expired hold windows, releases missed by the consent hook (a failed
   * send, a consent that came before its person record), retention (hourly; always with `now` given,
   * which tests use to move time forward).
   */
  async tick(opts: { now?: number } = {}): Promise<TickReport> {
    const now = opts.now ?? Date.now();
    const closed = await this.closeExpired(now);
    const released = await this.release(await this.withheld.held({ limit: BATCH }), now);
    let reduced: Record<string, number> = {};
    if (opts.now !== undefined || now - this.lastRetention >= RETENTION_EVERY_MS) {
      this.lastRetention = now;
      reduced = await this.retention.run(now);
    }
    return { closed, released, reduced };
  }

  /** Runs the periodic job (worker roles). */
  start(intervalMs: number = this.d.config.privacy?.jobIntervalMs ?? DEFAULT_JOB_INTERVAL_MS): void {
    this.timer = setInterval(() => {
      if (this.running) return;
      this.running = this.tick()
        .catch((e: unknown) => this.d.logger.warn({ component: 'privacy' }, `privacy job failed: ${errorMessage(e)}`))
        .finally(() => {
          this.running = undefined;
        });
    }, intervalMs);
    this.timer.unref();
  }

  async stop(): Promise<void> {
    if (this.timer) clearInterval(this.timer);
    this.timer = undefined;
    await this.running;
  }
}
