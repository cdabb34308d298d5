import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';

/** Prometheus metrics of one hub instance, with low-cardinality labels only. */
export class HubMetrics {
  readonly registry = new Registry();
  readonly messages = new Counter({
    name: 'hub_messages_total',
    help: 'Messages that reached a pipeline stage, by status',
    labelNames: ['status', 'source', 'entity'] as const,
    registers: [this.registry],
  });
  readonly deliveries = new Counter({
    name: 'hub_deliveries_total',
    help: 'Delivery attempts by route and outcome',
    labelNames: ['route', 'outcome'] as const,
    registers: [this.registry],
  });
  readonly deliveryLatency = new Histogram({
    name: 'hub_delivery_latency_seconds',
    help: 'Time from commit to successful delivery, per route',
    labelNames: ['route'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300],
    registers: [this.registry],
  });
  readonly queueDepth = new Gauge({
    name: 'hub_queue_depth',
    help: 'Messages waiting in a route queue (state=ready) or in its dead-letter queue (state=dead)',
    labelNames: ['route', 'state'] as const,
    registers: [this.registry],
  });
  readonly messagesByStatus = new Gauge({
    name: 'hub_messages_by_status',
    help: 'Stored messages by current status',
    labelNames: ['status'] as const,
    registers: [this.registry],
  });
  readonly outboxLag = new Gauge({
    name: 'hub_outbox_pending',
    help: 'Committed changes not yet published to the broker',
    registers: [this.registry],
  });

  constructor(defaults = false) {
    if (defaults) collectDefaultMetrics({ register: this.registry });
  }
}
