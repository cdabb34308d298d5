import type { JsonObject } from '../core/types.ts';

/** JSON Schema of POST /api/v1/webhooks (validated with ajv; also in the OpenAPI document). */
export const SUBSCRIPTION_REQUEST_SCHEMA: JsonObject = {
  title: 'Webhook subscription request',
  type: 'object',
  additionalProperties: false,
  required: ['url'],
  properties: {
    url: {
      type: 'string',
      format: 'uri',
      pattern: '^https?://',
      maxLength: 2000,
      description:
        "Receiver (http or https, no user name or password in it); each change event is POSTed there as JSON, signed. It must be, and resolve only to, public addresses, or be named in the config's webhooks.allowTargets.",
    },
    consumer: {
      type: 'string',
      pattern: '^[a-z0-9][a-z0-9_-]{0,62}$',
      description: 'Consumer whose view the subscription gets (entities, institutions, fields); needs the scope feed:<consumer>. Omitted: the full view (admin only).',
    },
    entities: { type: 'array', items: { type: 'string', minLength: 1, maxLength: 64 }, uniqueItems: true, maxItems: 50, description: 'Filter: entities; omitted = all the view allows.' },
    institutions: {
      type: 'array',
      items: { type: 'string', minLength: 3, maxLength: 100 },
      uniqueItems: true,
      maxItems: 200,
      description: 'Filter: institutions (SCHAC codes); omitted = all the view allows.',
    },
    ops: { type: 'array', items: { enum: ['upsert', 'delete', 'keyChange'] }, uniqueItems: true, description: 'Filter: operations; omitted = all.' },
    secret: { type: 'string', minLength: 16, maxLength: 200, description: 'HMAC secret; omitted: the hub generates one and returns it once.' },
    from: {
      type: 'string',
      pattern: '^(now|start|[0-9]{1,15})$',
      default: 'now',
      description: "Where in the change sequence deliveries begin: 'now' (default), 'start' (everything held), or a feed cursor.",
    },
    retry: {
      type: 'object',
      additionalProperties: false,
      properties: {
        maxAttempts: { type: 'integer', minimum: 1, maximum: 50 },
        initialDelayMs: { type: 'integer', minimum: 10, maximum: 3_600_000 },
        multiplier: { type: 'number', minimum: 1, maximum: 10 },
        maxDelayMs: { type: 'integer', minimum: 10, maximum: 86_400_000 },
      },
    },
  },
};

/** A subscription as the API shows it (never with its secret, except once at creation). */
export const SUBSCRIPTION_SCHEMA: JsonObject = {
  type: 'object',
  required: ['id', 'url', 'consumer', 'entities', 'institutions', 'ops', 'retry', 'cursor', 'createdAt'],
  properties: {
    id: { type: 'string' },
    url: { type: 'string' },
    consumer: { type: ['string', 'null'] },
    entities: { type: 'array', items: { type: 'string' } },
    institutions: { type: 'array', items: { type: 'string' } },
    ops: { type: 'array', items: { type: 'string' } },
    retry: { type: 'object' },
    cursor: { type: 'string', description: 'How far the change sequence has been fanned out to this subscription.' },
    createdAt: { type: 'string', format: 'date-time' },
    secret: { type: 'string', description: 'Only in the answer to the creation.' },
    deliveries: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Deliveries by status (pending, retrying, sending, delivered, dead, withheld).' },
  },
};

export const WEBHOOK_DELIVERY_SCHEMA: JsonObject = {
  type: 'object',
  required: ['seq', 'eventId', 'recordId', 'status', 'attempts'],
  properties: {
    seq: { type: 'integer' },
    eventId: { type: 'string' },
    recordId: { type: 'string' },
    status: { enum: ['pending', 'retrying', 'sending', 'delivered', 'dead', 'withheld'] },
    attempts: { type: 'integer' },
    nextAt: { type: 'string' },
    lastError: { type: ['string', 'null'] },
    detail: { type: ['string', 'null'] },
    updatedAt: { type: 'string' },
    deliveredAt: { type: ['string', 'null'] },
  },
};
