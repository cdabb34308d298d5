import type { JsonObject } from '../../core/types.ts';
import { SUBSCRIPTION_REQUEST_SCHEMA, SUBSCRIPTION_SCHEMA, WEBHOOK_DELIVERY_SCHEMA } from '../../webhooks/schema.ts';

/**
 * Schemas of the API's own envelopes (the canonical records and the change event come from schemas/,
 * loaded by document.ts). `ref(name)` points into components.schemas.
 */
export const ref = (name: string): JsonObject => ({ $ref: `#/components/schemas/${name}` });

const str = { type: 'string' };
const nstr = { type: ['string', 'null'] };
const int = { type: 'integer' };
const nint = { type: ['integer', 'null'] };
const time = { type: 'string', format: 'date-time' };

const violation = { type: 'object', required: ['pointer', 'message'], properties: { pointer: str, message: str } };

export const MESSAGE_STATUS = {
  enum: ['received', 'mapped', 'validated', 'committed', 'unchanged', 'stale', 'published', 'delivered', 'retrying', 'dead', 'withheld', 'rejected'],
};

const messageSummaryProps = {
  id: str,
  sourceId: str,
  entity: str,
  institution: nstr,
  status: MESSAGE_STATUS,
  rawSize: int,
  recordId: nstr,
  recordVersion: nint,
  errorCode: nstr,
  errorDetail: nstr,
  createdAt: str,
  updatedAt: str,
};

const attempt = {
  type: 'object',
  required: ['eventId', 'routeId', 'attempt', 'at', 'outcome', 'error', 'detail', 'durationMs'],
  properties: {
    eventId: str,
    routeId: str,
    attempt: int,
    at: str,
    outcome: { enum: ['delivered', 'retry', 'dead', 'withheld', 'duplicate'] },
    error: { ...nstr, description: 'Why the attempt failed; for a register, its rejection code and reason (e.g. "rejected: VIIS VIIS-202: …").' },
    detail: { ...nstr, description: "What the receiver answered (e.g. the register's receipt)." },
    durationMs: { type: 'number' },
  },
};

export const API_SCHEMAS: Record<string, JsonObject> = {
  IngestBody: {
    description:
      "One record or an array of records in the source's own format (its mapping set maps them). A source with the mapping set `canonical` sends canonical records: Person, StudyRight, Award… (these components, from schemas/).",
    oneOf: [{ type: 'object' }, { type: 'array', items: { type: 'object' } }],
  },
  Source: {
    type: 'object',
    required: ['id', 'health', 'paused', 'errorCount'],
    properties: {
      id: { type: 'string' },
      health: { type: 'string' },
      paused: { type: 'boolean' },
      errorCount: { type: 'integer' },
      cursor: { type: ['string', 'null'] },
      lagSeconds: { type: ['number', 'null'] },
    },
  },
  SourceList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Source') } } },
  PersonRef: {
    type: 'object',
    required: ['id', 'institution', 'sourceId', 'erased'],
    properties: { id: { type: 'string' }, institution: { type: 'string' }, sourceId: { type: 'string' }, erased: { type: 'boolean' } },
  },
  Problem: {
    type: 'object',
    description: 'RFC 9457 problem details; errors[] has one JSON pointer per violation (docs/errors.md).',
    required: ['type', 'title', 'status', 'detail', 'code'],
    properties: {
      type: str,
      title: str,
      status: int,
      detail: str,
      code: { type: 'string', pattern: '^HUB_ERR_[A-Z_]+$' },
      instance: str,
      errors: { type: 'array', items: violation },
      messageId: { type: 'string', description: 'The stored message that keeps rejected input.' },
      requestId: { type: 'string', description: 'The id of the request (its X-Request-Id), on every log line the hub wrote for it: quote it when asking about an error.' },
    },
  },
  Health: { type: 'object', required: ['status'], properties: { status: { const: 'ok' } } },
  Ready: { type: 'object', required: ['status', 'checks'], properties: { status: { const: 'ready' }, checks: { type: 'object', additionalProperties: str }, store: str, broker: str } },
  IngestResult: {
    type: 'object',
    required: ['accepted', 'messages'],
    properties: {
      accepted: int,
      messages: {
        type: 'array',
        items: {
          type: 'object',
          required: ['index', 'messageId', 'status', 'duplicate'],
          properties: {
            index: int,
            messageId: str,
            status: MESSAGE_STATUS,
            duplicate: { type: 'boolean' },
            recordId: str,
            version: int,
            error: { type: 'object', required: ['code', 'detail'], properties: { code: str, detail: str } },
          },
        },
      },
    },
  },
  MessageSummary: { type: 'object', required: Object.keys(messageSummaryProps), properties: messageSummaryProps },
  MessageList: {
    type: 'object',
    required: ['items', 'next'],
    properties: { items: { type: 'array', items: ref('MessageSummary') }, next: { ...nstr, description: 'Pass as `before` for the next page.' } },
  },
  DeliveryAttempt: attempt,
  MessageDetail: {
    type: 'object',
    required: [...Object.keys(messageSummaryProps), 'raw', 'canonical', 'errors', 'history', 'deliveries'],
    properties: {
      ...messageSummaryProps,
      contentType: nstr,
      raw: { ...nstr, description: 'The payload as received.' },
      canonical: { type: ['object', 'null'] },
      errors: { type: 'array', items: violation },
      businessKey: nstr,
      eventId: nstr,
      history: { type: 'array', items: { type: 'object', required: ['at', 'status'], properties: { at: str, status: str, detail: nstr } } },
      deliveries: {
        type: 'array',
        items: {
          type: 'object',
          required: ['eventId', 'routeId', 'status', 'attempts'],
          properties: {
            eventId: str,
            messageId: nstr,
            routeId: str,
            status: { enum: ['pending', 'delivered', 'retrying', 'dead', 'withheld'] },
            attempts: { type: 'array', items: ref('DeliveryAttempt') },
            lastError: nstr,
            updatedAt: str,
            deliveredAt: nstr,
          },
        },
      },
    },
  },
  ReplayResult: {
    type: 'object',
    required: ['id', 'status', 'replayed'],
    properties: {
      id: str,
      status: MESSAGE_STATUS,
      replayed: { type: 'array', items: str, description: "'pipeline' for a rejected message, else the route ids delivered again." },
      errorCode: nstr,
      errorDetail: nstr,
    },
  },
  BulkReplayResult: {
    type: 'object',
    required: ['results'],
    properties: {
      results: { type: 'array', items: { type: 'object', required: ['id', 'ok'], properties: { id: str, ok: { type: 'boolean' }, status: str, replayed: { type: 'array', items: str }, error: str } } },
    },
  },
  RecordEnvelope: {
    type: 'object',
    required: ['id', 'entity', 'institution', 'version', 'seq', 'deleted', 'updatedAt', 'record'],
    properties: {
      id: str,
      entity: str,
      institution: str,
      version: int,
      seq: int,
      deleted: { type: 'boolean' },
      updatedAt: str,
      record: { type: 'object', description: 'The canonical record (schemas/<entity>.schema.json).' },
    },
  },
  Token: { type: 'object', required: ['id', 'name', 'scopes', 'createdAt', 'revokedAt'], properties: { id: str, name: str, scopes: { type: 'array', items: str }, createdAt: str, revokedAt: nstr } },
  TokenList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Token') } } },
  TokenRequest: {
    type: 'object',
    required: ['name', 'scopes'],
    properties: {
      name: { type: 'string', minLength: 1, maxLength: 100 },
      scopes: {
        type: 'array',
        minItems: 1,
        maxItems: 50,
        items: { type: 'string', maxLength: 80, description: 'admin, metrics, ingest:<source>|ingest:*, read:<entity>|read:*, feed:<consumer>|feed:*' },
      },
    },
  },
  TokenCreated: {
    type: 'object',
    required: ['id', 'token', 'name', 'scopes'],
    properties: { id: str, token: { type: 'string', description: 'Shown once.' }, name: str, scopes: { type: 'array', items: str }, note: str },
  },
  FeedIndex: {
    type: 'object',
    required: ['consumers', 'fullView'],
    properties: {
      consumers: {
        type: 'array',
        items: { type: 'object', required: ['id', 'entities'], properties: { id: str, entities: { type: 'array', items: str }, institutions: { type: ['array', 'null'], items: str } } },
      },
      fullView: { type: 'array', items: str, description: 'Entities the token may read whole (read:<entity>).' },
      cursor: str,
    },
  },
  FeedPage: {
    type: 'object',
    required: ['entity', 'consumer', 'after', 'next', 'hasMore', 'items'],
    properties: {
      entity: str,
      consumer: { ...nstr, description: 'The consumer view read with; null for the full view.' },
      after: str,
      next: { type: 'string', description: 'Cursor for the next call (opaque); equals `after` when nothing new was there.' },
      hasMore: { type: 'boolean' },
      items: {
        type: 'array',
        items: { $ref: 'https://schemas.studyhub.lv/change-event.schema.json' },
        description: 'Change events in the order of the global change sequence, projected for the consumer.',
      },
    },
  },
  SubscriptionRequest: SUBSCRIPTION_REQUEST_SCHEMA,
  Subscription: SUBSCRIPTION_SCHEMA,
  SubscriptionList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('Subscription') } } },
  WebhookDelivery: WEBHOOK_DELIVERY_SCHEMA,
  WebhookDeliveryList: { type: 'object', required: ['items'], properties: { items: { type: 'array', items: ref('WebhookDelivery') } } },
  ReconcileReport: {
    type: 'object',
    required: ['sink', 'institution', 'checkedAt', 'routes', 'entities', 'counts', 'differences'],
    properties: {
      sink: str,
      institution: str,
      checkedAt: time,
      routes: { type: 'array', items: str },
      entities: { type: 'array', items: str },
      counts: {
        type: 'object',
        required: ['hub', 'register', 'matched'],
        properties: { hub: { type: 'object', additionalProperties: int }, register: { type: 'object', additionalProperties: int }, matched: int },
      },
      differences: {
        type: 'array',
        items: {
          type: 'object',
          required: ['entity', 'key', 'kind'],
          properties: {
            entity: str,
            key: nstr,
            kind: { enum: ['missing-in-register', 'not-in-hub', 'deleted-in-hub', 'different', 'unmappable', 'duplicate-key'] },
            recordId: str,
            hubVersion: int,
            registerVersion: int,
            fields: { type: 'array', items: str, description: 'JSON pointers of differing fields (values are left out).' },
            reason: str,
            lastDelivery: { type: 'object', required: ['routeId', 'status', 'error'], properties: { routeId: str, status: str, error: nstr } },
          },
        },
      },
    },
  },
};
