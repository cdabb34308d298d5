import type { Logger } from 'pino';
import { routeQueue, type Broker } from '../broker/types.ts';
import type { EnvSettings } from '../config/env.ts';
import type { HubConfig, RouteConfig } from '../config/types.ts';
import { errorMessage } from '../core/errors.ts';
import type { CanonicalRecord, ChangeEvent } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';
import type { Store } from '../store/types.ts';
import { DEFAULT_JOB_INTERVAL_MS, DEFAULT_PSEUDONYM_SECRET_ENV, routePolicy, type DisclosurePolicy, type RoutePolicy } from './config.ts';
import { Consents, type ConsentDecision } from './consent.ts';
import { DisclosureLog, type NewEntry } from './disclosure-log.ts';
import { Erasure, type ErasureReport } from './erasure.ts';
import type { DeliveryGate, GateDecision, PendingDisclosure } from './gate.ts';
import { PersonalDataHolders } from './holders.ts';
import { PRIVACY_MIGRATIONS } from './migrations.ts';
import { holdsPersonalData, Persons, refOf, SUBJECTS } from './personal.ts';
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

/** What a feed page or a webhook delivery may carry: the events that pass, and why the others do not. */
export interface Screened {
  pass: ChangeEvent[];
  /** eventId → reason (no personal data: purpose, recipient, consent record id, times). */
  held: Map<string, string>;
}

export const ERASED_REASON = "not delivered: the person's data was erased after this change";

export interface TickReport {
  /** Withheld deliveries whose hold window ended. */
  closed: number;
  /** Withheld deliveries sent again because a consent is now active. */
  released: number;
  /** Messages reduced to metadata, per entity. */
  reduced: Record<string, number>;
  /** Rows of other modules' personal data reduced by their retention, per `<module>/<table>` (PersonalDataHolder.retain). */
  held: Record<string, number>;
  /** Dead-lettered broker copies of erased records removed (erasures whose purge failed before). */
  deadLettersRemoved: number;
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
  /** Modules that keep personal data in tables of their own register here (src/privacy/holders.ts). */
  readonly holders = new PersonalDataHolders();
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
    this.erasure = new Erasure(sql, this.persons, pseudonyms, this.log, this.holders);
    this.subjectAccess = new SubjectAccess(this.persons, this.log, pseudonyms, this.erasure, this.holders);
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
        const reason = ERASED_REASON;
        await this.withheld.closeNow({ ...held, person: null, reason }, 'erased');
        return { action: 'withhold', reason };
      }
      if (p.legalBasis === 'consent' && SUBJECTS[e.entity]) {
        const subject = await this.persons.subjectOf(e.entity, e.record, e.institution);
        const decision = subject ? await this.consents.decide(p, e.entity, subject, now) : { active: false, reason: 'the record names no person whose consent could be checked' };
        if (!decision.active) {
          const row = await this.withheld.hold({ ...held, person: this.pseudonyms.of(subject?.primary), reason: decision.reason, holdWindowMs: p.holdWindowMs });
          const reason =
            row.status === 'closed' ? `withheld: ${decision.reason}; ${row.closedReason ?? 'the hold window is over'}` : `withheld: ${decision.reason}; waiting for a consent until ${row.expiresAt}`;
          return { action: 'withhold', reason };
        }
      }
    }
    return { action: 'deliver', event: projectEvent(e, p.fields) };
  }

  async afterDelivery(route: RouteConfig, e: ChangeEvent): Promise<PendingDisclosure | undefined> {
    if (!e.record || !holdsPersonalData(e.entity)) return undefined;
    const p = this.policy(route);
    const subject = SUBJECTS[e.entity] ? await this.persons.subjectOf(e.entity, e.record, e.institution, false) : undefined;
    const entry: NewEntry = {
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
    };
    return { entry, endsHold: p.legalBasis === 'consent' };
  }

  /**
   * The disclosures of a batch of deliveries, written inside the transaction that records their
   * outcomes (the router's Store.finishAttempts): the log entries (hash-chained; serialised with every
   * other append) and, on a consent basis, each delivery's hold marked delivered. The sink already has
   * the events; if the transaction fails, nothing of it is written and the deliveries are attempted again.
   */
  recordWith<T>(list: readonly PendingDisclosure[], write: (within: (tx: SqlDb) => Promise<void>) => Promise<T>): Promise<T> {
    return this.log.appendWithin(
      list.map((d) => d.entry),
      (append) =>
        write(async (tx) => {
          await append(tx);
          for (const d of list) if (d.endsHold && d.entry.eventId && d.entry.route) await this.withheld.setStatus(d.entry.eventId, d.entry.route, 'delivered', null, tx);
        }),
    );
  }

  /**
   * Feeds and webhook subscriptions (src/feeds, src/webhooks): of these events (as stored, before the
   * consumer's projection), the ones the consumer may get. Records erased after the change never pass;
   * on a consent basis, a record about a person passes only while a matching consent (purpose,
   * recipient, person, scope) is active. Records that name no one and delete events pass. The consent
   * of one person is looked up once per call.
   */
  async screen(p: DisclosurePolicy, events: readonly ChangeEvent[], now: number = Date.now()): Promise<Screened> {
    const held = new Map<string, string>();
    const personal = events.filter((e) => e.record && holdsPersonalData(e.entity));
    if (!personal.length) return { pass: [...events], held };
    const erased = await this.erasure.erasedAt(personal.map((e) => e.recordId));
    const decisions = new Map<string, Promise<ConsentDecision>>();
    for (const e of personal) {
      const at = erased.get(e.recordId);
      if (at !== undefined && at >= e.occurredAt) {
        held.set(e.eventId, ERASED_REASON);
        continue;
      }
      const s = SUBJECTS[e.entity];
      if (p.legalBasis !== 'consent' || !s || !e.record) continue;
      const record = e.record;
      const who = s.kind === 'self' ? [record.sourceId, record.identifiers] : record[s.field];
      const key = JSON.stringify([e.entity, e.institution, who ?? null]);
      let decision = decisions.get(key);
      if (!decision) {
        decision = (async () => {
          const subject = s.kind === 'self' || refOf(record, s.field) ? await this.persons.subjectOf(e.entity, record, e.institution) : undefined;
          return subject
            ? this.consents.decide({ purpose: p.purpose ?? '', recipient: p.recipient }, e.entity, subject, now)
            : { active: false, reason: 'the record names no person whose consent could be checked' };
        })();
        decisions.set(key, decision);
      }
      const d = await decision;
      if (!d.active) held.set(e.eventId, `withheld: ${d.reason}`);
    }
    return { pass: held.size ? events.filter((e) => !held.has(e.eventId)) : [...events], held };
  }

  /**
   * Logs the disclosure of these events (as stored, before projection) to a feed consumer: one entry
   * per event that holds personal data, all in one transaction; events already logged on the channel
   * are skipped (a page read again adds nothing). Returns how many were written.
   */
  async disclosed(p: DisclosurePolicy, events: readonly ChangeEvent[]): Promise<number> {
    const personal = events.filter((e) => e.record && holdsPersonalData(e.entity));
    if (!personal.length) return 0;
    const logged = await this.log.loggedAmong(
      p.channel,
      personal.map((e) => e.eventId),
    );
    const entries: NewEntry[] = [];
    for (const e of personal) if (!logged.has(e.eventId)) entries.push(await this.channelEntry(p, e));
    return (await this.log.appendMany(entries)).length;
  }

  /**
   * The disclosure of one event delivered to a webhook subscription, to be written with the delivery's
   * outcome in one transaction (recordWith), as a route's is; undefined when the record holds no
   * personal data. An event already logged on the channel is not logged twice (the append skips it).
   */
  async disclosureOf(p: DisclosurePolicy, e: ChangeEvent): Promise<PendingDisclosure | undefined> {
    if (!e.record || !holdsPersonalData(e.entity)) return undefined;
    return { entry: await this.channelEntry(p, e), endsHold: false };
  }

  /** The log entry of an event (with its record) disclosed on a feed or webhook channel. */
  private async channelEntry(p: DisclosurePolicy, e: ChangeEvent): Promise<NewEntry> {
    const subject = SUBJECTS[e.entity] && e.record ? await this.persons.subjectOf(e.entity, e.record, e.institution, false) : undefined;
    const fields = p.fieldsOf(e.entity);
    return {
      kind: 'disclosure',
      person: this.pseudonyms.of(subject?.primary),
      recipient: p.recipient,
      route: p.channel,
      entity: e.entity,
      recordId: e.recordId,
      recordVersion: e.version,
      legalBasis: p.legalBasis,
      purpose: p.purpose,
      fields: fields ? [...fields] : null,
      eventId: e.eventId,
    };
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

  /**
   * Erases a person (Erasure.erase), then removes the broker's dead-lettered copies of the events of
   * every erased record from every route's dead-letter queue. Copies waiting in a route queue, or held
   * by a consumer, are withheld when they come up (beforeDelivery). If the broker cannot be reached,
   * the erasure stands and the periodic job removes the dead letters later.
   */
  async erase(personId: string, requestedBy: string): Promise<ErasureReport> {
    const report = await this.erasure.erase(personId, requestedBy);
    try {
      report.deadLettersRemoved = await this.purgeDeadLetters([report.id]);
    } catch (e) {
      report.deadLettersRemoved = null;
      this.d.logger.warn({ component: 'privacy', erasure: report.id }, `dead-lettered copies not removed yet (retried by the privacy job): ${errorMessage(e)}`);
    }
    return report;
  }

  /** Removes dead-lettered copies of changes made before an erasure of their record; marks the erasures done. */
  async purgeDeadLetters(erasureIds: readonly string[]): Promise<number> {
    let n = 0;
    for (const r of this.d.config.routes) {
      n += await this.d.broker.purgeDead(routeQueue(r.id), (e) => this.erasure.isErased(e.recordId, e.occurredAt));
    }
    const at = new Date().toISOString();
    let uncounted = n;
    for (const id of erasureIds) {
      const [row] = await this.d.store.sql.query('SELECT counts FROM privacy_erasures WHERE id = ?', [id]);
      const counts = { ...(row ? (JSON.parse(String(row.counts)) as Record<string, number>) : {}) };
      if (uncounted) counts['broker dead letters'] = (counts['broker dead letters'] ?? 0) + uncounted;
      await this.d.store.sql.run('UPDATE privacy_erasures SET broker_purged_at = ?, counts = ? WHERE id = ?', [at, JSON.stringify(counts), id]);
      uncounted = 0; // counted once, on the first erasure
    }
    return n;
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
    const pending = (await this.d.store.sql.query('SELECT id FROM privacy_erasures WHERE broker_purged_at IS NULL')).map((r) => String(r.id));
    const deadLettersRemoved = pending.length ? await this.purgeDeadLetters(pending) : 0;
    let reduced: Record<string, number> = {};
    const held: Record<string, number> = {};
    if (opts.now !== undefined || now - this.lastRetention >= RETENTION_EVERY_MS) {
      this.lastRetention = now;
      reduced = await this.retention.run(now);
      for (const h of this.holders.all()) {
        for (const [table, n] of Object.entries((await h.retain?.(now)) ?? {})) if (n) held[`${h.name}/${table}`] = n;
      }
    }
    return { closed, released, reduced, held, deadLettersRemoved };
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
