import type { JsonObject } from '../../core/types.ts';
import { ref } from './components.ts';

/** The operations of the public API. Keep in step with src/api/routers/*; test/openapi.test.ts checks real answers against them. */

const json = (schema: JsonObject, description: string) => ({ description, content: { 'application/json': { schema } } });
const problem = (description: string) => ({ description, content: { 'application/problem+json': { schema: ref('Problem') } } });
const path = (name: string, description: string, schema: JsonObject = { type: 'string' }) => ({ name, in: 'path', required: true, description, schema });
const query = (name: string, description: string, schema: JsonObject = { type: 'string' }) => ({ name, in: 'query', required: false, description, schema });

const auth = { 401: problem('No or unknown token'), 403: problem('The token lacks the scope') };
const secured = [{ bearer: [] }];
/** A verifier's checks, each passed or failed with its reason (`names`: the checks there are, when fixed). */
const checks = (names?: string[]): JsonObject => ({
  type: 'array',
  items: {
    type: 'object',
    required: ['name', 'passed', 'reason'],
    properties: { name: names ? { type: 'string', enum: names } : { type: 'string' }, passed: { type: 'boolean' }, reason: { type: 'string' } },
  },
});
const list = (items: JsonObject) => ({ type: 'object', required: ['items'], properties: { items: { type: 'array', items } } });
const INCOMING: JsonObject = {
  type: 'object',
  required: ['omobilityId', 'status', 'sendingInstitution', 'receivingInstitution', 'receivingAcademicYear', 'recordId', 'version'],
  properties: {
    omobilityId: { type: 'string' },
    status: { enum: ['nominated', 'approved', 'rejected', 'cancelled', 'live', 'recognized'] },
    sendingInstitution: { type: 'string' },
    receivingInstitution: { type: 'string' },
    receivingAcademicYear: { type: 'string' },
    start: { type: 'string', format: 'date' },
    end: { type: 'string', format: 'date' },
    recordId: { type: 'string' },
    version: { type: 'integer' },
  },
};

/** A credential as the API lists it (src/credentials/registry.ts), without its sealed text. */
const CREDENTIAL: JsonObject = {
  type: 'object',
  required: ['id', 'credentialId', 'institution', 'kind', 'subjectId', 'subjectVersion', 'personId', 'title', 'status', 'listNo', 'listIndex', 'issuedAt'],
  properties: {
    id: { type: 'string', format: 'uuid' },
    credentialId: { type: 'string', description: 'urn:uuid:<id>, as written in the credential' },
    institution: { type: 'string' },
    kind: { type: 'string', enum: ['degree', 'micro-credential'] },
    subjectId: { type: 'string', description: 'The award or attainment record it certifies' },
    subjectVersion: { type: 'integer' },
    personId: { type: 'string' },
    title: { type: 'array', items: { type: 'object' } },
    status: { type: 'string', enum: ['active', 'revoked'] },
    listNo: { type: 'integer', description: "The institution's status list" },
    listIndex: { type: 'integer', description: 'Its bit in that list' },
    issuedAt: { type: 'string', format: 'date-time' },
    revokedAt: { type: 'string', format: 'date-time' },
    revocationReason: { type: 'string' },
    replaces: { type: 'string' },
    identifiers: { type: 'array', items: { type: 'object' } },
  },
};

/** A document a foreign EMREX contact point sent back, as the API lists it (src/emrex/client/store.ts), without its text. */
const EMREX_RECEIVED: JsonObject = {
  type: 'object',
  required: ['id', 'receivedAt', 'session', 'institution', 'contactPoint', 'returnCode', 'returnMessage', 'verdict', 'reason', 'detail', 'checks', 'results', 'messages', 'removed'],
  properties: {
    id: { type: 'string' },
    receivedAt: { type: 'string', format: 'date-time' },
    session: { type: ['string', 'null'], description: 'The session it answered; null for an answer to an unknown reference' },
    institution: { type: ['string', 'null'] },
    contactPoint: { type: ['string', 'null'], description: "The session's contact point (URL)" },
    returnCode: { type: ['string', 'null'], description: 'EMP_OK, EMP_NO_RESULTS, EMP_CANCEL, EMP_ERROR or an older NCP_* code, as sent' },
    returnMessage: { type: ['string', 'null'], description: "The contact point's message; removed with the document" },
    verdict: { type: 'string', enum: ['accepted', 'refused', 'no-results', 'cancelled', 'error'] },
    reason: {
      type: ['string', 'null'],
      description: 'Of a refusal: unknown-session, replayed, expired, malformed, too-large, signature, certificate, contact-point, person',
    },
    detail: { type: 'string' },
    checks: {
      type: 'array',
      items: { type: 'object', required: ['name', 'passed', 'reason'], properties: { name: { type: 'string' }, passed: { type: 'boolean' }, reason: { type: 'string' } } },
    },
    results: { type: 'integer', description: 'Results taken in as transfer attainments' },
    messages: { type: 'array', items: { type: 'string' }, description: 'The pipeline messages of the results' },
    removed: {
      type: ['object', 'null'],
      description: "The document and the contact point's message removed (the person's erasure, or privacy.retention.emrexDocumentsDays); null while kept",
      required: ['at', 'by'],
      properties: { at: { type: 'string', format: 'date-time' }, by: { type: 'string', enum: ['erasure', 'retention'] } },
    },
  },
};

const EMREX_CLIENT_OFF = 'The EMREX client is not configured on this hub (emrex.client)';

export const PATHS: JsonObject = {
  '/healthz': { get: { operationId: 'getHealth', tags: ['operations'], summary: 'Process alive', security: [], responses: { 200: json(ref('Health'), 'Alive') } } },
  '/readyz': {
    get: {
      operationId: 'getReadiness',
      tags: ['operations'],
      summary: 'Every part ready: store, broker, sources, EWP node, editor',
      security: [],
      responses: { 200: json(ref('Ready'), 'Ready'), 503: problem('A part is unreachable or not started yet (Retry-After)') },
    },
  },
  '/metrics': {
    get: {
      operationId: 'getMetrics',
      tags: ['operations'],
      summary: 'Prometheus metrics (scope metrics)',
      responses: { 200: { description: 'Prometheus text format', content: { 'text/plain': { schema: { type: 'string' } } } }, ...auth },
    },
  },
  '/api/v1/ingest/{sourceId}/{entity}': {
    post: {
      operationId: 'ingestRecords',
      tags: ['ingest'],
      summary: "One record or an array in the source's own format (scope ingest:<sourceId>)",
      description:
        "Whatever arrives for a configured source is stored first; bad input becomes a rejected message with its reasons (problem+json with one JSON pointer per violation and the messageId). A path whose source id or entity is not of the configuration's shape (400) or names no configured source (404) is refused before the body is read, and nothing is stored.",
      parameters: [path('sourceId', 'A configured source'), path('entity', 'A canonical entity the source maps')],
      requestBody: { required: true, content: { 'application/json': { schema: ref('IngestBody') } } },
      responses: {
        202: json(ref('IngestResult'), 'Stored; one entry per record'),
        400: problem('Malformed body, wrong encoding, nested deeper than limits.maxDepth (HUB_ERR_NESTING_TOO_DEEP), empty or too long array; or a malformed path (nothing stored)'),
        404: problem('Unknown source (nothing stored) or entity (the input is kept)'),
        413: problem('Body over the limit'),
        415: problem('Not JSON, or an unknown charset (the input is kept)'),
        422: problem('Some records were rejected (mapping or schema); the others were accepted'),
        ...auth,
      },
    },
  },
  '/api/v1/ingest/{sourceId}/{entity}/delete': {
    post: {
      operationId: 'deleteRecords',
      tags: ['ingest'],
      summary: 'Deletes records of the source by their source ids (scope ingest:<sourceId>)',
      description:
        'Each source id (the business key the record was committed under) becomes a message; the record is marked deleted (no longer served or listed; its last data kept for the trail) and a `delete` change event goes to the routes and feeds. An id the source holds no record for is a rejected message (HUB_ERR_NOT_FOUND); one already deleted is `unchanged`.',
      parameters: [path('sourceId', 'A configured source'), path('entity', 'A canonical entity the source maps')],
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: { type: 'object', required: ['sourceIds'], properties: { sourceIds: { type: 'array', minItems: 1, items: { type: 'string', minLength: 1, maxLength: 256 } } } },
          },
        },
      },
      responses: {
        202: json(ref('IngestResult'), 'Deleted (or already deleted); one entry per source id'),
        400: problem('Malformed body, or a malformed path (nothing stored)'),
        404: problem('Unknown source (nothing stored) or entity'),
        413: problem('Body over the limit'),
        415: problem('Not JSON'),
        422: problem('Some source ids name no record of the source (HUB_ERR_NOT_FOUND); the others were deleted'),
        ...auth,
      },
    },
  },
  '/api/v1/messages': {
    get: {
      operationId: 'listMessages',
      tags: ['messages'],
      summary: 'Message browser, newest first (admin)',
      parameters: [
        query('status', 'Message status'),
        query('source', 'Source id'),
        query('entity', 'Entity'),
        query('institution', 'SCHAC code'),
        query('since', 'ISO 8601 time'),
        query('before', 'The `next` of the previous page'),
        query('limit', '1..1000 (50); a page holds at most 500 (then `next` pages on)', { type: 'integer', minimum: 1, maximum: 1000 }),
      ],
      responses: {
        200: json(ref('MessageList'), 'A page of messages (summaries: no raw or canonical payload)'),
        400: problem('Bad parameter'),
        503: problem('Too many heavy admin reads at once (HUB_ERR_BUSY, limits.adminReads and adminReadQueue); Retry-After says when to ask again'),
        ...auth,
      },
    },
  },
  '/api/v1/messages/{id}': {
    get: {
      operationId: 'getMessage',
      tags: ['messages'],
      summary: 'Raw payload, canonical record, errors, history, deliveries with every attempt (admin)',
      parameters: [path('id', 'Message id')],
      responses: { 200: json(ref('MessageDetail'), 'The message'), 404: problem('No such message'), ...auth },
    },
  },
  '/api/v1/messages/{id}/replay': {
    post: {
      operationId: 'replayMessage',
      tags: ['messages'],
      summary: 'Replay: a rejected message runs through the mapping again; dead deliveries are sent again (admin)',
      parameters: [path('id', 'Message id')],
      responses: { 200: json(ref('ReplayResult'), 'Replayed'), 404: problem('No such message, or nothing to replay'), ...auth },
    },
  },
  '/api/v1/messages/replay': {
    post: {
      operationId: 'replayMessages',
      tags: ['messages'],
      summary: 'Replay many (admin)',
      requestBody: {
        required: true,
        content: {
          'application/json': { schema: { type: 'object', required: ['ids'], properties: { ids: { type: 'array', minItems: 1, maxItems: 1000, items: { type: 'string', maxLength: 64 } } } } },
        },
      },
      responses: { 200: json(ref('BulkReplayResult'), 'One result per id'), 400: problem('Bad body'), 415: problem('The body is not JSON'), ...auth },
    },
  },
  '/api/v1/records/{entity}/{id}': {
    get: {
      operationId: 'getRecord',
      tags: ['records'],
      summary: 'The current canonical record and its version (scope read:<entity>); ETag, 304',
      parameters: [path('entity', 'Entity'), path('id', 'Hub record id'), { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } }],
      responses: { 200: json(ref('RecordEnvelope'), 'The record'), 304: { description: 'Not modified' }, 404: problem('No such record'), ...auth },
    },
  },
  '/api/v1/tokens': {
    get: { operationId: 'listTokens', tags: ['tokens'], summary: 'API tokens (admin)', responses: { 200: json(ref('TokenList'), 'Tokens (hashes only are stored)'), ...auth } },
    post: {
      operationId: 'createToken',
      tags: ['tokens'],
      summary: 'Create a token (admin); the value is shown once',
      requestBody: { required: true, content: { 'application/json': { schema: ref('TokenRequest') } } },
      responses: { 201: json(ref('TokenCreated'), 'Created'), 400: problem('Bad name or scope (errors[] say which)'), 415: problem('The body is not JSON'), ...auth },
    },
  },
  '/api/v1/tokens/{id}': {
    delete: {
      operationId: 'revokeToken',
      tags: ['tokens'],
      summary: 'Revoke a token (admin)',
      parameters: [path('id', 'Token id')],
      responses: { 204: { description: 'Revoked' }, 404: problem('No active token'), ...auth },
    },
  },
  '/api/v1/feeds': {
    get: {
      operationId: 'listFeeds',
      tags: ['feeds'],
      summary: 'Which feeds the token can read',
      parameters: [query('consumer', 'A consumer id (needs feed:<consumer>)')],
      responses: { 200: json(ref('FeedIndex'), 'Consumers and entities'), 404: problem('No such consumer'), ...auth },
    },
  },
  '/api/v1/feeds/{entity}': {
    get: {
      operationId: 'readFeed',
      tags: ['feeds'],
      summary: 'Change events of an entity after a cursor, in global change sequence order',
      description:
        'Upserts, deletes and key changes, in the order of the global change sequence. Pass `next` back as `after`: paging while records are written misses nothing and repeats nothing. A token with feed:<consumer> reads as that consumer (its entities, institutions and fields; no personal codes unless the consumer is configured for them); read:<entity> or admin reads the full view. ETag / If-None-Match → 304.',
      parameters: [
        path('entity', 'Entity'),
        query('after', 'Cursor: the `next` of the previous page (opaque); omitted = from the start'),
        query('limit', '1..1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 }),
        query('consumer', 'Consumer view to read with (needs feed:<consumer>)'),
        { name: 'If-None-Match', in: 'header', required: false, schema: { type: 'string' } },
      ],
      responses: {
        200: {
          ...json(ref('FeedPage'), 'A page of change events'),
          headers: { ETag: { schema: { type: 'string' } }, Link: { description: 'rel="next"', schema: { type: 'string' } } },
        },
        304: { description: 'The page has not changed' },
        400: problem('Bad cursor or limit'),
        404: problem('Unknown entity or consumer'),
        ...auth,
      },
    },
  },
  '/api/v1/webhooks': {
    get: { operationId: 'listWebhooks', tags: ['webhooks'], summary: 'Subscriptions the token manages', responses: { 200: json(ref('SubscriptionList'), 'Subscriptions'), ...auth } },
    post: {
      operationId: 'createWebhook',
      tags: ['webhooks'],
      summary: 'Subscribe a URL to change events (as a consumer with feed:<consumer>, or the full view as admin)',
      description:
        'Each matching change is POSTed as JSON (the change event, projected for the consumer) with x-hub-signature-256: sha256=HMAC-SHA256(secret, "<x-hub-timestamp>.<body>"), x-hub-timestamp and idempotency-key (the event id). Retried with backoff on 408, 429, 5xx and network errors; per record, a later version is never delivered before an earlier one.',
      requestBody: { required: true, content: { 'application/json': { schema: ref('SubscriptionRequest') } } },
      responses: { 201: json(ref('Subscription'), 'Subscribed; the answer holds the secret, once'), 400: problem('Bad request (errors[] per field)'), 404: problem('No such consumer'), ...auth },
    },
  },
  '/api/v1/webhooks/{id}': {
    get: {
      operationId: 'getWebhook',
      tags: ['webhooks'],
      summary: 'A subscription and its delivery counts',
      parameters: [path('id', 'Subscription id')],
      responses: { 200: json(ref('Subscription'), 'The subscription'), 404: problem('No such subscription'), ...auth },
    },
    delete: {
      operationId: 'deleteWebhook',
      tags: ['webhooks'],
      summary: 'End a subscription',
      parameters: [path('id', 'Subscription id')],
      responses: { 204: { description: 'Ended' }, 404: problem('No such subscription'), ...auth },
    },
  },
  '/api/v1/webhooks/{id}/deliveries': {
    get: {
      operationId: 'listWebhookDeliveries',
      tags: ['webhooks'],
      summary: 'Deliveries of a subscription, newest first',
      parameters: [path('id', 'Subscription id'), query('status', 'pending, retrying, sending, delivered or dead'), query('limit', '1..1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 })],
      responses: { 200: json(ref('WebhookDeliveryList'), 'Deliveries'), 400: problem('Bad parameter'), 404: problem('No such subscription'), ...auth },
    },
  },
  '/api/v1/reconcile/{sink}': {
    get: {
      operationId: 'reconcileSink',
      tags: ['registers'],
      summary: 'Compare what the hub holds with what a register sink holds (admin)',
      parameters: [path('sink', 'Sink id, or a sink type that only one sink has (viis)'), { ...query('institution', 'SCHAC code'), required: true }],
      responses: {
        200: json(ref('ReconcileReport'), 'The differences'),
        400: problem('Missing institution, or the sink cannot be reconciled'),
        404: problem('No such sink or institution'),
        502: problem('The register did not answer'),
        ...auth,
      },
    },
  },
  '/api/v1/ewp/{heiId}/incoming-mobilities': {
    get: {
      operationId: 'listIncomingMobilities',
      tags: ['ewp'],
      summary: 'Nominations partners sent to this HEI, with their status (admin)',
      parameters: [path('heiId', 'An EWP HEI of this hub')],
      responses: { 200: json(list(INCOMING), 'Incoming mobilities'), 404: problem('EWP not configured, or no such HEI'), ...auth },
    },
  },
  '/api/v1/ewp/{heiId}/incoming-mobilities/{omobilityId}': {
    get: {
      operationId: 'getIncomingMobility',
      tags: ['ewp'],
      summary: 'One nomination a partner sent to this HEI (admin)',
      parameters: [path('heiId', 'An EWP HEI of this hub'), path('omobilityId', 'The sending HEI’s omobility id')],
      responses: { 200: json(INCOMING, 'The incoming mobility'), 404: problem('EWP not configured, no such HEI or mobility'), ...auth },
    },
  },
  ...Object.fromEntries(
    (['approve', 'reject'] as const).map((d) => [
      `/api/v1/ewp/{heiId}/incoming-mobilities/{omobilityId}/${d}`,
      {
        post: {
          operationId: `${d}Nomination`,
          tags: ['ewp'],
          summary:
            d === 'approve'
              ? 'Approve the current nomination: sent to the sending HEI with Outgoing Mobilities 3 update (admin)'
              : 'Reject the current nomination, with a comment for the sending HEI (admin)',
          parameters: [path('heiId', 'An EWP HEI of this hub'), path('omobilityId', 'The sending HEI’s omobility id')],
          requestBody: {
            required: d === 'reject',
            content: {
              'application/json': {
                schema: { type: 'object', additionalProperties: false, ...(d === 'reject' ? { required: ['comment'] } : {}), properties: { comment: { type: 'string', maxLength: 2000 } } },
              },
            },
          },
          responses: {
            200: json(INCOMING, 'Decided; the status the sending HEI now shows'),
            400: problem('A rejection without a comment, or a bad body'),
            404: problem('EWP not configured, no such HEI or mobility'),
            409: problem('The nomination changed at the sending HEI meanwhile: reload and decide again'),
            415: problem('The body is not JSON'),
            502: problem('The sending HEI refused the decision'),
            503: problem('The sending HEI could not be reached (try again)'),
            ...auth,
          },
        },
      },
    ]),
  ),
  '/api/v1/sources': {
    get: {
      operationId: 'listSources',
      tags: ['sources'],
      summary: 'Sources with their health: last successful read, cursor, lag, errors (admin)',
      responses: { 200: json(ref('SourceList'), 'Every configured source'), ...auth },
    },
  },
  '/api/v1/sources/{id}': {
    get: {
      operationId: 'getSource',
      tags: ['sources'],
      summary: 'One source; with probe=true the adapter is asked whether its system answers (admin)',
      parameters: [path('id', 'Source id'), query('probe', 'true or false', { enum: ['true', 'false'] })],
      responses: { 200: json(ref('Source'), 'The source'), 400: problem('Bad parameter'), 404: problem('No such source'), ...auth },
    },
  },
  '/api/v1/sources/{id}/sync': {
    post: {
      operationId: 'syncSource',
      tags: ['sources'],
      summary: 'Ask for a sync now; {"full": true} reads everything again, not only the changes (admin)',
      parameters: [path('id', 'Source id')],
      requestBody: { required: false, content: { 'application/json': { schema: { type: 'object', additionalProperties: false, properties: { full: { type: 'boolean' } } } } } },
      responses: {
        202: json(ref('Source'), 'Sync requested'),
        400: problem('Bad body'),
        404: problem('No such source'),
        409: problem('A push-only source (no adapter to read with)'),
        415: problem('A body that is not JSON'),
        ...auth,
      },
    },
  },
  '/api/v1/sources/{id}/pause': {
    post: {
      operationId: 'pauseSource',
      tags: ['sources'],
      summary: 'Stop reading a source until resumed (admin)',
      parameters: [path('id', 'Source id')],
      responses: { 200: json(ref('Source'), 'Paused'), 404: problem('No such source'), 409: problem('A push-only source'), ...auth },
    },
  },
  '/api/v1/sources/{id}/resume': {
    post: {
      operationId: 'resumeSource',
      tags: ['sources'],
      summary: 'Read a paused source again (admin)',
      parameters: [path('id', 'Source id')],
      responses: { 200: json(ref('Source'), 'Resumed'), 404: problem('No such source'), 409: problem('A push-only source'), ...auth },
    },
  },
  '/api/v1/persons/lookup': {
    post: {
      operationId: 'lookupPersons',
      tags: ['personal data'],
      summary: 'Person records by personal code, given in the body, never in a URL (admin)',
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['personalCode'], properties: { personalCode: { type: 'string' } } } } } },
      responses: {
        200: json({ type: 'object', required: ['persons'], properties: { persons: { type: 'array', items: ref('PersonRef') } } }, 'The person records with that code (none: an empty list)'),
        400: problem('No code, or not a valid personal code (the code is not echoed)'),
        415: problem('The body is not JSON'),
        ...auth,
      },
    },
  },
  '/api/v1/persons/{id}/elmo': {
    get: {
      operationId: 'getPersonElmo',
      tags: ['personal data'],
      summary: "The person's record across institutions as ELMO 1.7 (the EMREX transcript format): one report per institution; logged as a disclosure (admin)",
      parameters: [path('id', 'Hub id of a person record'), query('institution', 'One institution’s report only (SCHAC code)')],
      responses: {
        200: { description: 'ELMO 1.7 XML', content: { 'application/xml': { schema: { type: 'string' } } } },
        400: problem('Not a configured institution'),
        404: problem('No such person'),
        ...auth,
      },
    },
  },
  '/api/v1/elmo/verify': {
    post: {
      operationId: 'verifyElmo',
      tags: ['personal data'],
      summary: 'Check an ELMO document someone received: well-formed, one signature over the whole document, a trusted and current certificate, PDF attachments; and what it says (any valid token)',
      requestBody: { required: true, content: { 'application/xml': { schema: { type: 'string' } } } },
      responses: {
        200: json(
          {
            type: 'object',
            required: ['valid', 'checks'],
            properties: {
              valid: { type: 'boolean' },
              checks: checks(),
              learner: { type: 'object' },
              reports: { type: 'array', items: { type: 'object' } },
              certificate: { type: 'object' },
            },
          },
          'The verdict, every check with its reason',
        ),
        413: problem('Body over the limit'),
        415: problem('Not XML'),
        ...auth,
      },
    },
  },
  '/api/v1/emrex/contact-points': {
    get: {
      operationId: 'emrexListContactPoints',
      tags: ['emrex'],
      summary: 'The foreign EMREX contact points known from the EWP registry and the EMREG list (admin or emrex:<institution>)',
      responses: {
        200: json(
          list({
            type: 'object',
            required: ['url', 'name', 'countryCode', 'institutions', 'listedIn', 'certificates'],
            properties: {
              url: { type: 'string' },
              name: { type: 'string' },
              countryCode: { type: 'string' },
              institutions: { type: 'array', items: { type: 'string' } },
              listedIn: { type: 'string', enum: ['registry', 'emreg'] },
              certificates: { type: 'integer', description: 'How many certificates it is listed with' },
            },
          }),
          'Contact points: the registry\u2019s, then the EMREG list\u2019s that the registry does not list',
        ),
        404: problem(EMREX_CLIENT_OFF),
        ...auth,
      },
    },
  },
  '/api/v1/emrex/sessions': {
    post: {
      operationId: 'emrexStartSession',
      tags: ['emrex'],
      summary: "Start an EMREX session for a student with a foreign contact point: the form the student's browser posts to it (admin or emrex:<institution>)",
      requestBody: {
        required: true,
        content: {
          'application/json': {
            schema: {
              type: 'object',
              required: ['institution', 'person'],
              properties: {
                institution: { type: 'string', description: 'A receiving institution of emrex.client' },
                person: { type: 'string', description: "Hub id of the student's person record at that institution" },
                contactPoint: { type: 'string', description: 'The contact point by its URL (or country)' },
                country: { type: 'string', description: 'The contact point by its country (ISO 3166-1 alpha-2), when it has one' },
              },
            },
          },
        },
      },
      responses: {
        201: json(
          {
            type: 'object',
            required: ['id', 'institution', 'contactPoint', 'expiresAt', 'form'],
            properties: {
              id: { type: 'string' },
              institution: { type: 'string' },
              contactPoint: {
                type: 'object',
                required: ['url', 'name', 'countryCode', 'listedIn'],
                properties: { url: { type: 'string' }, name: { type: 'string' }, countryCode: { type: 'string' }, listedIn: { type: 'string', enum: ['registry', 'emreg'] } },
              },
              expiresAt: { type: 'string', format: 'date-time' },
              form: {
                type: 'object',
                description: "What the student's browser POSTs (application/x-www-form-urlencoded) to the contact point",
                required: ['action', 'method', 'fields'],
                properties: {
                  action: { type: 'string' },
                  method: { const: 'POST' },
                  fields: {
                    type: 'object',
                    required: ['sessionId', 'returnUrl'],
                    properties: { sessionId: { type: 'string', maxLength: 32 }, returnUrl: { type: 'string', description: '<publicUrl>/emrex/return/<random reference>' } },
                  },
                },
              },
            },
          },
          'The session and its form',
        ),
        400: problem('A field missing or malformed, neither or both of contactPoint and country, or an institution that does not receive results through EMREX'),
        404: problem(`No such person of the institution, no such contact point, or: ${EMREX_CLIENT_OFF}`),
        409: problem('Several contact points of the country: name one by its URL (contactPoints lists them)'),
        415: problem('The body is not JSON'),
        ...auth,
      },
    },
  },
  '/api/v1/emrex/received': {
    get: {
      operationId: 'emrexListReceived',
      tags: ['emrex'],
      summary: 'Documents the contact points sent back, newest first, with their verdicts; an emrex:<institution> token sees its institution\u2019s (admin or emrex:<institution>)',
      parameters: [query('limit', '1..1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 })],
      responses: { 200: json(list(EMREX_RECEIVED), 'Received documents without their text'), 404: problem(EMREX_CLIENT_OFF), ...auth },
    },
  },
  '/api/v1/emrex/received/{id}/document': {
    get: {
      operationId: 'emrexGetReceivedDocument',
      tags: ['emrex'],
      summary: 'A received document as it arrived: the ELMO XML, or the form\u2019s base64 when it could not be unpacked (admin or emrex:<institution>)',
      parameters: [path('id', 'The received document\u2019s id')],
      responses: {
        200: {
          description: 'The document: application/xml (the ELMO), or text/plain (the elmo field as posted, when it could not be unpacked)',
          content: { 'application/xml': { schema: { type: 'string' } }, 'text/plain': { schema: { type: 'string' } } },
        },
        404: problem(`No such document (or not the token's institution's), none was sent, or it was removed (erasure, retention); or: ${EMREX_CLIENT_OFF}`),
        ...auth,
      },
    },
  },
  '/api/v1/credentials/verify': {
    post: {
      operationId: 'verifyCredential',
      tags: ['personal data'],
      summary:
        'Check a sealed European Digital Credential: seal signature, certificate chain against the trust anchors, issuer a known institution, integrity, schema, revocation, validity dates (any valid token; the same at /verify for anyone)',
      requestBody: {
        required: true,
        content: { 'application/json': { schema: { type: 'object', description: 'The sealed credential (JWS JSON); application/jose+json and application/ld+json are read the same way' } } },
      },
      responses: {
        200: json(
          {
            type: 'object',
            required: ['valid', 'checks'],
            properties: {
              valid: { type: 'boolean' },
              checks: checks(['format', 'signature', 'chain', 'issuer', 'integrity', 'schema', 'revocation', 'validity']),
              issuer: { type: 'string', description: 'SCHAC code of the issuing institution' },
              signedAt: { type: 'string', description: 'The seal time the seal claims (sigT)' },
            },
          },
          'The verdict, every check with its reason (a malformed credential too: format failed)',
        ),
        413: problem('Body over the limit'),
        415: problem('Not JSON'),
        ...auth,
      },
    },
  },
  '/api/v1/credentials': {
    get: {
      operationId: 'listIssuedCredentials',
      tags: ['personal data'],
      summary: 'The digital credentials issued, newest first (admin): by person (the person at every institution) and institution',
      parameters: [
        query('person', 'Hub id of a person record'),
        query('institution', 'SCHAC code of a configured institution'),
        query('limit', 'At most this many (1–1000, default 100)', { type: 'integer' }),
        query('offset', 'Skip this many', { type: 'integer' }),
      ],
      responses: { 200: json(list(CREDENTIAL), 'Credentials without their sealed text'), 400: problem('A parameter out of range'), ...auth },
    },
  },
  '/api/v1/credentials/{id}': {
    get: {
      operationId: 'getIssuedCredential',
      tags: ['personal data'],
      summary: 'A sealed credential (admin; a disclosure in the log): JWS JSON as application/jose+json, or the credential itself with Accept: application/ld+json',
      parameters: [path('id', 'The credential id: a UUID or urn:uuid:<UUID>')],
      responses: {
        200: {
          description: 'The sealed credential (with Accept: application/ld+json the credential itself, application/ld+json); X-Credential-Status says active or revoked',
          content: { 'application/jose+json': { schema: { type: 'object', description: 'JWS JSON: payload (the credential text) and signatures' } } },
        },
        400: problem('Not a credential id'),
        404: problem('No such credential'),
        ...auth,
      },
    },
  },
  '/api/v1/credentials/{id}/revoke': {
    post: {
      operationId: 'revokeIssuedCredential',
      tags: ['personal data'],
      summary: "Revoke a credential (admin, with a reason): its bit in the institution's status list is set at once",
      parameters: [path('id', 'The credential id: a UUID or urn:uuid:<UUID>')],
      requestBody: { required: true, content: { 'application/json': { schema: { type: 'object', required: ['reason'], properties: { reason: { type: 'string', minLength: 1, maxLength: 500 } } } } } },
      responses: { 200: json(CREDENTIAL, 'The credential, revoked'), 400: problem('No reason'), 404: problem('No such credential'), 409: problem('Revoked already'), ...auth },
    },
  },
  '/api/v1/persons/{id}/records': {
    get: {
      operationId: 'getPersonRecords',
      tags: ['personal data'],
      summary: 'Subject access: every canonical record about the person, across institutions (admin)',
      parameters: [path('id', 'Hub id of a person record')],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['person', 'persons', 'records', 'kept'],
            properties: {
              person: { type: 'string' },
              persons: { type: 'array', items: ref('PersonRef') },
              kept: {
                type: 'object',
                description:
                  'What other modules keep about the person records in tables of their own, per module (emrex-client: the sessions started for the person and the documents received, as metadata without the document)',
                additionalProperties: { type: 'object' },
              },
              records: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['id', 'entity', 'institution', 'sourceId', 'version', 'record'],
                  properties: {
                    id: { type: 'string' },
                    entity: { type: 'string' },
                    institution: { type: 'string' },
                    sourceId: { type: 'string' },
                    version: { type: 'integer' },
                    deleted: { type: 'boolean' },
                    updatedAt: { type: 'string' },
                    record: { type: 'object' },
                  },
                },
              },
            },
          },
          'The records',
        ),
        404: problem('No such person record'),
        ...auth,
      },
    },
  },
  '/api/v1/persons/{id}/disclosures': {
    get: {
      operationId: 'getPersonDisclosures',
      tags: ['personal data'],
      summary: 'Subject access: every disclosure of data about the person: recipient, purpose, legal basis, fields, time (admin)',
      parameters: [
        path('id', 'Hub id of a person record'),
        query('after', 'The `next` of the previous page', { type: 'integer', minimum: 0 }),
        query('limit', '1..10000 (1000)', { type: 'integer', minimum: 1, maximum: 10000 }),
      ],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['persons', 'disclosures'],
            properties: {
              persons: { type: 'array', items: ref('PersonRef') },
              disclosures: {
                type: 'array',
                items: {
                  type: 'object',
                  required: ['seq', 'at', 'kind'],
                  properties: {
                    seq: { type: 'integer' },
                    at: { type: 'string' },
                    kind: { type: 'string' },
                    recipient: { type: ['string', 'null'] },
                    route: { type: ['string', 'null'] },
                    entity: { type: ['string', 'null'] },
                    recordId: { type: ['string', 'null'] },
                    recordVersion: { type: ['integer', 'null'] },
                    legalBasis: { type: ['string', 'null'] },
                    purpose: { type: ['string', 'null'] },
                    fields: { type: ['array', 'null'], items: { type: 'string' } },
                  },
                },
              },
              next: { type: ['integer', 'null'] },
            },
          },
          'A page of disclosures, oldest first',
        ),
        400: problem('Bad parameter'),
        404: problem('No such person record'),
        ...auth,
      },
    },
  },
  '/api/v1/persons/{id}/erasure': {
    post: {
      operationId: 'erasePerson',
      tags: ['personal data'],
      summary: 'Erase the personal data of the person and the person records linked to it; study facts stay, pseudonymised (admin)',
      parameters: [path('id', 'Hub id of a person record')],
      responses: {
        200: json(
          {
            type: 'object',
            required: ['id', 'at', 'persons', 'records', 'counts'],
            properties: {
              id: { type: 'string' },
              at: { type: 'string' },
              persons: { type: 'array', items: { type: 'string' } },
              records: { type: 'array', items: { type: 'string' } },
              counts: { type: 'object', additionalProperties: { type: 'integer' } },
              deadLettersRemoved: { type: ['integer', 'null'] },
            },
          },
          'What was erased',
        ),
        404: problem('No such person record'),
        ...auth,
      },
    },
  },
  '/api/v1/audit/disclosures/verify': {
    get: {
      operationId: 'verifyDisclosureLog',
      tags: ['personal data'],
      summary: 'Verify the hash chain of the disclosure log (admin)',
      responses: { 200: json({ type: 'object', required: ['ok'], properties: { ok: { type: 'boolean' } } }, 'The verification report'), ...auth },
    },
  },
  '/api/v1/audit/disclosures/export': {
    get: {
      operationId: 'exportDisclosureLog',
      tags: ['personal data'],
      summary: 'The disclosure log as JSON lines, for offline verification (`hub audit verify --file`) (admin)',
      parameters: [query('after', 'Sequence number to start after', { type: 'integer', minimum: 0 })],
      responses: { 200: { description: 'One entry a line', content: { 'application/jsonl': { schema: { type: 'string' } } } }, 400: problem('Bad parameter'), ...auth },
    },
  },
  '/api/v1/audit/withheld': {
    get: {
      operationId: 'listWithheld',
      tags: ['personal data'],
      summary: 'Deliveries withheld for lack of consent, released or closed (admin)',
      parameters: [
        query('status', 'held, released, delivered, closed', { enum: ['held', 'released', 'delivered', 'closed'] }),
        query('limit', '1..1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 }),
      ],
      responses: { 200: json(list({ type: 'object' }), 'Withheld deliveries'), 400: problem('Bad parameter'), ...auth },
    },
  },
  '/api/v1/audit/erasures': {
    get: {
      operationId: 'listErasures',
      tags: ['personal data'],
      summary: 'Erasures done (admin)',
      parameters: [query('limit', '1..1000 (100)', { type: 'integer', minimum: 1, maximum: 1000 })],
      responses: { 200: json(list({ type: 'object', required: ['id', 'at'] }), 'Erasures, newest first'), 400: problem('Bad parameter'), ...auth },
    },
  },
  '/api/openapi.json': { get: { operationId: 'getOpenApiDocument', tags: ['documentation'], summary: 'This document', security: [], responses: { 200: json({ type: 'object' }, 'OpenAPI 3.1') } } },
  '/api/docs': {
    get: {
      operationId: 'getApiDocs',
      tags: ['documentation'],
      summary: 'This document, readable',
      security: [],
      responses: { 200: { description: 'HTML', content: { 'text/html': { schema: { type: 'string' } } } } },
    },
  },
};

export { secured };
