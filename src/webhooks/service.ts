import { randomBytes } from 'node:crypto';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import type { Logger } from 'pino';
import type { Principal } from '../auth/tokens.ts';
import { hasScope, requireScope } from '../auth/tokens.ts';
import type { AdapterContext, SinkType } from '../core/adapter.ts';
import { BadRequestError, ConflictError, ForbiddenError, isHubError, NotFoundError, TargetRefusedError, type Violation } from '../core/errors.ts';
import { checkTargetUrl, resolveTarget } from '../core/net/guarded-request.ts';
import { uuidv7 } from '../core/ids.ts';
import type { ChangeOp } from '../core/types.ts';
import type { Consumers } from '../feeds/consumers.ts';
import { DEFAULT_RETRY } from '../config/load.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { toViolations } from '../schemas/registry.ts';
import { newestSeq } from '../store/changes.ts';
import type { SqlDb } from '../store/sql.ts';
import { DEFAULT_MAX_SUBSCRIPTIONS } from './config.ts';
import { WebhookDispatcher, type WebhookPrivacy } from './dispatcher.ts';
import { SUBSCRIPTION_REQUEST_SCHEMA } from './schema.ts';
import {
  activeSubscriptions,
  deactivateSubscription,
  deliveryCounts,
  getSubscription,
  insertSubscription,
  listDeliveries,
  listSubscriptions,
  WEBHOOK_MIGRATIONS,
  type Subscription,
  type WebhookDelivery,
  type WebhookDeliveryStatus,
} from './store.ts';

export interface WebhooksOptions {
  sql: SqlDb;
  schemas: SchemaRegistry;
  consumers: Consumers;
  /** The webhook sink type (adapters/webhook): signing and POSTing are reused from it. */
  sinkType: SinkType | undefined;
  /** The context of the webhook sinks; its outbound policy (origin `api`) checks targets at creation too. */
  context: AdapterContext;
  /** Active subscriptions per consumer (default 10). */
  maxSubscriptionsPerConsumer?: number;
  /** Consumers whose subscriptions may start at the beginning (`from: "start"`, or a cursor further back than the replay window). */
  fullReplay?: ReadonlySet<string>;
  /** How many changes back other consumers may start (default REPLAY_WINDOW). */
  replayWindow?: number;
  logger: Logger;
  pollMs?: number;
  /** Consent and erasure check, disclosure log (src/privacy). */
  privacy?: WebhookPrivacy;
  metrics?: HubMetrics;
}

interface SubscriptionRequest {
  url: string;
  consumer?: string;
  entities?: string[];
  institutions?: string[];
  ops?: ChangeOp[];
  secret?: string;
  from?: string;
  retry?: Partial<Subscription['retry']>;
}

/** How far back a consumer without `allowFullReplay` may start a subscription by default (changes before the newest). */
export const REPLAY_WINDOW = 100_000;

/** The subscription as the API shows it: no secret. */
export function publicView(s: Subscription) {
  return {
    id: s.id,
    url: s.url,
    consumer: s.owner === '*' ? null : s.owner,
    entities: s.entities,
    institutions: s.institutions,
    ops: s.ops,
    retry: s.retry,
    cursor: String(s.cursor),
    createdAt: s.createdAt,
  };
}

export function publicDelivery(d: WebhookDelivery) {
  const { subscriptionId: _s, ...rest } = d;
  return { ...rest, status: d.status === 'pending' && d.attempts > 0 ? 'retrying' : d.status };
}

/** Webhook subscriptions: registration through the API, and the dispatcher that pushes to them. */
export class Webhooks {
  readonly dispatcher: WebhookDispatcher | undefined;
  private readonly validate: ValidateFunction;

  constructor(private readonly o: WebhooksOptions) {
    this.validate = o.schemas.ajv.compile(SUBSCRIPTION_REQUEST_SCHEMA);
    this.dispatcher = o.sinkType
      ? new WebhookDispatcher({
          sql: o.sql,
          consumers: o.consumers,
          sinkType: o.sinkType,
          context: o.context,
          logger: o.logger,
          ...(o.pollMs ? { pollMs: o.pollMs } : {}),
          ...(o.privacy ? { privacy: o.privacy } : {}),
          ...(o.metrics ? { metrics: o.metrics } : {}),
        })
      : undefined;
  }

  async migrate(): Promise<void> {
    await this.o.sql.migrate('webhooks', WEBHOOK_MIGRATIONS);
  }

  start(): void {
    if (!this.dispatcher) this.o.logger.warn('no webhook sink type is registered: webhook subscriptions will not be delivered');
    this.dispatcher?.start();
  }

  wake(): void {
    this.dispatcher?.wake();
  }

  async stop(): Promise<void> {
    await this.dispatcher?.stop();
  }

  /** Who may see and manage a subscription: admins, and tokens of its consumer. */
  private canManage(p: Principal, s: Subscription): boolean {
    return s.owner === '*' ? hasScope(p, 'admin') : hasScope(p, `feed:${s.owner}`);
  }

  async create(p: Principal, body: unknown): Promise<Subscription> {
    if (!this.validate(body)) throw new BadRequestError('the subscription request is not valid', { violations: toViolations(this.validate.errors) });
    const req = body as SubscriptionRequest;
    const v: Violation[] = [];
    let owner = '*';
    if (req.consumer !== undefined) {
      requireScope(p, `feed:${req.consumer}`);
      const view = this.o.consumers.get(req.consumer);
      if (!view) throw new NotFoundError(`no consumer '${req.consumer}'`);
      owner = req.consumer;
      (req.entities ?? []).forEach((e, i) => {
        if (view.entities && !view.entities.has(e)) v.push({ path: `/entities/${i}`, message: `consumer '${owner}' does not receive '${e}'` });
      });
      (req.institutions ?? []).forEach((inst, i) => {
        if (view.institutions && !view.institutions.includes(inst)) v.push({ path: `/institutions/${i}`, message: `consumer '${owner}' does not see '${inst}'` });
      });
    } else if (!hasScope(p, 'admin')) {
      throw new ForbiddenError("only admins subscribe to the full view: name your consumer in 'consumer'");
    }
    const known = this.o.schemas.entities();
    (req.entities ?? []).forEach((e, i) => {
      if (!known.includes(e)) v.push({ path: `/entities/${i}`, message: `unknown entity '${e}'` });
    });
    if (v.length) throw new BadRequestError('the subscription request is not valid', { violations: v });
    await this.checkTarget(req.url);
    if (owner !== '*') {
      const max = this.o.maxSubscriptionsPerConsumer ?? DEFAULT_MAX_SUBSCRIPTIONS;
      if ((await activeSubscriptions(this.o.sql, owner)) >= max) {
        throw new ConflictError(`consumer '${owner}' already has ${max} active subscriptions (webhooks.maxSubscriptionsPerConsumer): delete one first`);
      }
    }
    const newest = await newestSeq(this.o.sql);
    const from = req.from ?? 'now';
    const cursor = from === 'now' ? newest : from === 'start' ? 0 : Number(from);
    const window = this.o.replayWindow ?? REPLAY_WINDOW;
    if (owner !== '*' && !this.o.fullReplay?.has(owner) && newest - cursor > window) {
      throw new ForbiddenError(`consumer '${owner}' may not start a subscription more than ${window} changes back (consumers[].allowFullReplay is not set)`, {
        violations: [{ path: '/from', message: `'now' or a cursor at most ${window} changes back` }],
      });
    }
    const s: Subscription = {
      id: uuidv7(),
      owner,
      url: req.url,
      secret: req.secret ?? `whsec_${randomBytes(24).toString('base64url')}`,
      entities: req.entities ?? [],
      institutions: req.institutions ?? [],
      ops: req.ops ?? [],
      retry: { ...DEFAULT_RETRY, ...req.retry },
      cursor,
      active: true,
      createdAt: new Date().toISOString(),
      createdBy: p.name,
    };
    await insertSubscription(this.o.sql, s);
    this.wake();
    return s;
  }

  /**
   * The target must be http(s), carry no credentials, and be or resolve only to addresses the outbound
   * policy allows (public, or in webhooks.allowTargets); it is checked again at each delivery, on the
   * address connected to.
   */
  private async checkTarget(target: string): Promise<void> {
    try {
      await resolveTarget(checkTargetUrl(target), this.o.context.outbound.policy);
    } catch (e) {
      if (!isHubError(e)) throw e;
      throw new TargetRefusedError(`the webhook target is not allowed: ${e.message}`, { violations: [{ path: '/url', message: e.message }] });
    }
  }

  async list(p: Principal): Promise<Subscription[]> {
    if (hasScope(p, 'admin')) return listSubscriptions(this.o.sql);
    const owners = p.scopes.filter((s) => s.startsWith('feed:') && s !== 'feed:*').map((s) => s.slice(5));
    if (owners.length === 0 && !p.scopes.includes('feed:*')) throw new ForbiddenError('this token has no feed:<consumer> scope');
    return p.scopes.includes('feed:*') ? (await listSubscriptions(this.o.sql)).filter((s) => s.owner !== '*') : listSubscriptions(this.o.sql, owners);
  }

  /** A subscription the principal may manage; others are "not found" (their existence is not disclosed). */
  async get(p: Principal, id: string): Promise<Subscription> {
    const s = await getSubscription(this.o.sql, id);
    if (!s || !this.canManage(p, s)) throw new NotFoundError(`no webhook subscription ${id}`);
    return s;
  }

  async counts(id: string): Promise<Record<string, number>> {
    return deliveryCounts(this.o.sql, id);
  }

  async deliveries(p: Principal, id: string, status: WebhookDeliveryStatus | undefined, limit: number): Promise<WebhookDelivery[]> {
    await this.get(p, id);
    return listDeliveries(this.o.sql, id, status, limit);
  }

  async remove(p: Principal, id: string): Promise<void> {
    await this.get(p, id);
    await deactivateSubscription(this.o.sql, id);
  }
}
