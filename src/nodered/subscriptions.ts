import type { Logger } from 'pino';
import { routeQueue, type Broker, type BrokerDelivery, type Consumer, type HandlerResult } from '../broker/types.ts';
import type { LegalBasis, RouteConfig } from '../config/types.ts';
import { DEFAULT_RETRY } from '../config/load.ts';
import { BadRequestError } from '../core/errors.ts';
import type { ChangeEvent } from '../core/types.ts';
import type { HubMetrics } from '../observability/metrics.ts';
import type { DeliveryGate } from '../privacy/gate.ts';
import { AttemptBatcher } from '../routing/attempt-batcher.ts';
import { deliverClaimed, DeliveryEngine, routeGate, type Subscriber } from '../routing/delivery-engine.ts';
import type { Store } from '../store/types.ts';

/** What a `hub subscribe` node asks for (flows/nodes/hub-subscribe.js). */
export interface SubscriptionSpec {
  /** Names the durable queue (route.flow.<name>) and the delivery rows (route id flow.<name>). */
  name: string;
  /** Topic patterns over <entity>.<op>.<institution>: `*` one word, `#` any. */
  patterns: string[];
  maxAttempts: number;
  initialDelayMs: number;
  /** Events handed to the flow at once (1 keeps a record's changes in order). */
  concurrency: number;
  legalBasis: LegalBasis;
  purpose: string;
  recipient?: string;
  /** Minimisation: the top-level record fields the flow gets (id, sourceId, institution and version always). */
  fields?: string[];
}

export interface DeliveryInfo {
  routeId: string;
  attempt: number;
  maxAttempts: number;
}

/** Resolves when the flow has finished with the event; rejects with what failed. */
export type FlowHandler = (event: ChangeEvent, info: DeliveryInfo) => Promise<void>;

export const NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;
const PATTERN = /^(\*|#|[a-z0-9][a-z0-9-]*)(\.(\*|#|[a-z0-9][a-z0-9-]*))*$/;
const LEGAL_BASES: readonly LegalBasis[] = ['legal-obligation', 'public-task', 'contract', 'legitimate-interest', 'none'];

/** The route id under which a subscription's deliveries are recorded. */
export function subscriptionRouteId(name: string): string {
  return `flow.${name}`;
}

/** Checks a spec; every problem with its property as a JSON pointer. */
export function checkSpec(spec: SubscriptionSpec): void {
  const v: { path: string; message: string }[] = [];
  if (!NAME.test(spec.name)) v.push({ path: '/name', message: 'must be lower-case letters, digits, - or _ (it names a durable queue)' });
  if (!spec.patterns.length) v.push({ path: '/patterns', message: 'needs at least one topic pattern, e.g. study-right.*.#' });
  spec.patterns.forEach((p, i) => {
    if (!PATTERN.test(p)) v.push({ path: `/patterns/${i}`, message: `'${p}' is not a topic pattern <entity>.<op>.<institution> (* one word, # any)` });
  });
  if (!Number.isInteger(spec.maxAttempts) || spec.maxAttempts < 1 || spec.maxAttempts > 100) v.push({ path: '/maxAttempts', message: 'must be an integer 1..100' });
  if (!Number.isFinite(spec.initialDelayMs) || spec.initialDelayMs < 0) v.push({ path: '/initialDelayMs', message: 'must be a number ≥ 0' });
  if (!Number.isInteger(spec.concurrency) || spec.concurrency < 1 || spec.concurrency > 50) v.push({ path: '/concurrency', message: 'must be an integer 1..50' });
  if (!LEGAL_BASES.includes(spec.legalBasis)) {
    v.push({
      path: '/legalBasis',
      message:
        spec.legalBasis === 'consent' ? 'consent-based delivery needs a route (withheld deliveries wait for consents); flows take the other legal bases' : `must be one of ${LEGAL_BASES.join(', ')}`,
    });
  }
  if (!spec.purpose.trim()) v.push({ path: '/purpose', message: 'say what the flow does with the data (it goes into the disclosure log)' });
  if (v.length) throw new BadRequestError(`hub subscribe '${spec.name}': ${v.map((x) => `${x.path} ${x.message}`).join('; ')}`, { violations: v });
}

/**
 * Flow subscriptions: each is a broker consumer on a durable queue of its own, bound to the
 * subscription's topic patterns. An event is handed to the flow and acknowledged only when the
 * flow has finished with it; a failure is retried with backoff and dead-lettered after the last
 * attempt, and every attempt is recorded in the deliveries table under the route id flow.<name>,
 * so the message view, the dead letters and replay treat a flow like any route.
 */
export class FlowSubscriptions {
  private readonly consumers = new Set<Consumer>();
  private readonly attempts: AttemptBatcher;
  private readonly engine: DeliveryEngine;

  constructor(
    store: Store,
    private readonly broker: Broker,
    private readonly metrics: HubMetrics,
    logger: Logger,
    private readonly gate: DeliveryGate | undefined,
  ) {
    this.attempts = new AttemptBatcher(store, gate);
    this.engine = new DeliveryEngine(logger, metrics);
  }

  async subscribe(spec: SubscriptionSpec, handler: FlowHandler): Promise<Consumer> {
    checkSpec(spec);
    const route: RouteConfig = {
      id: subscriptionRouteId(spec.name),
      sink: 'node-red',
      match: {},
      legalBasis: spec.legalBasis,
      purpose: spec.purpose,
      recipient: spec.recipient || `node-red:${spec.name}`,
      ...(spec.fields?.length ? { fields: spec.fields } : {}),
    };
    const queue = routeQueue(route.id);
    await this.broker.declareQueue(queue, spec.patterns);
    const inner = await this.broker.consume(queue, (d) => this.deliver(route, spec, handler, d), { prefetch: spec.concurrency });
    const consumer: Consumer = {
      cancel: async () => {
        this.consumers.delete(consumer);
        await inner.cancel();
      },
    };
    this.consumers.add(consumer);
    return consumer;
  }

  async stop(): Promise<void> {
    await Promise.all([...this.consumers].map((c) => c.cancel()));
  }

  private deliver(route: RouteConfig, spec: SubscriptionSpec, handler: FlowHandler, d: BrokerDelivery): Promise<HandlerResult> {
    const subscriber: Subscriber = {
      id: route.id,
      metricLabel: route.id,
      retry: { ...DEFAULT_RETRY, maxAttempts: spec.maxAttempts, initialDelayMs: spec.initialDelayMs },
      ...routeGate(this.gate, route),
      deliver: async (ev, ctx) => {
        await handler(ev, { routeId: route.id, attempt: ctx.attempt, maxAttempts: spec.maxAttempts });
        return { detail: 'the flow finished' };
      },
    };
    return deliverClaimed({ attempts: this.attempts, engine: this.engine, metrics: this.metrics }, subscriber, d.event);
  }
}
