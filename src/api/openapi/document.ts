import type { JsonObject } from '../../core/types.ts';
import type { SchemaRegistry } from '../../schemas/registry.ts';
import { API_SCHEMAS, ref } from './components.ts';
import { PATHS, secured } from './paths.ts';
import { InternalError } from '../../core/errors.ts';

/** Component name of a schema file: study-right → StudyRight, change-event → ChangeEvent. */
export function componentName(file: string): string {
  return file.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

const SCHEMA_BASE = 'https://schemas.studyhub.lv/';
const METHODS = ['get', 'put', 'post', 'delete', 'patch'];

/**
 * A schema of schemas/ as a component of the document: without its $id and $schema (the document's
 * jsonSchemaDialect says the dialect), every $ref made internal: `common.schema.json#/$defs/date` →
 * `#/components/schemas/Common/$defs/date`, a schema's own `#/$defs/x` → `#/components/schemas/<Name>/$defs/x`.
 */
export function asComponent(schema: JsonObject, name: string): JsonObject {
  const rewrite = (node: unknown): unknown => {
    if (Array.isArray(node)) return node.map(rewrite);
    if (!node || typeof node !== 'object') return node;
    const out: JsonObject = {};
    for (const [k, v] of Object.entries(node as JsonObject)) {
      if (k === '$ref' && typeof v === 'string') out[k] = internalRef(v, name);
      else if (k === 'properties' || k === '$defs' || k === 'patternProperties') out[k] = Object.fromEntries(Object.entries(v as JsonObject).map(([p, s]) => [p, rewrite(s)])) as JsonObject;
      else out[k] = rewrite(v) as JsonObject[string];
    }
    return out;
  };
  const { $id: _id, $schema: _schema, ...rest } = schema;
  return rewrite(rest) as JsonObject;
}

function internalRef(r: string, inSchema: string): string {
  if (r.startsWith('#/components/')) return r;
  if (r.startsWith('#')) return `#/components/schemas/${inSchema}${r.slice(1)}`;
  const [file, fragment = ''] = (r.startsWith(SCHEMA_BASE) ? r.slice(SCHEMA_BASE.length) : r).split('#');
  const m = /^([a-z0-9-]+)\.schema\.json$/.exec(file ?? '');
  if (!m) throw new InternalError(`schema ${inSchema}: cannot make $ref '${r}' internal`);
  return `#/components/schemas/${componentName(m[1]!)}${fragment}`;
}

const pascal = (s: string) => s.charAt(0).toUpperCase() + s.slice(1);

/**
 * Every request and response body the operations describe inline becomes a named component
 * (`<OperationId>Request`, `<OperationId>Response`), so that each body references a schema by name.
 */
function nameBodies(paths: JsonObject, schemas: Record<string, JsonObject>): void {
  for (const item of Object.values(paths) as JsonObject[]) {
    for (const method of METHODS) {
      const op = item[method] as
        { operationId: string; requestBody?: { content: Record<string, { schema?: JsonObject }> }; responses: Record<string, { content?: Record<string, { schema?: JsonObject }> }> } | undefined;
      if (!op) continue;
      const bodies: [Record<string, { schema?: JsonObject }> | undefined, string][] = [
        [op.requestBody?.content, `${pascal(op.operationId)}Request`],
        ...Object.entries(op.responses).map(([status, r]): [Record<string, { schema?: JsonObject }> | undefined, string] => [
          r.content,
          `${pascal(op.operationId)}Response${/^20[0-2]$/.test(status) ? '' : status}`,
        ]),
      ];
      for (const [content, name] of bodies) {
        for (const [ct, media] of Object.entries(content ?? {})) {
          if (!ct.endsWith('json') || !media.schema || media.schema.$ref) continue;
          if (schemas[name]) throw new InternalError(`component ${name} exists`);
          schemas[name] = media.schema;
          media.schema = ref(name);
        }
      }
    }
  }
}

/**
 * The OpenAPI 3.1 document of the public API, self-contained (every $ref is internal). Component schemas of
 * the canonical model are the JSON Schemas of schemas/ (asComponent); the API's own envelopes are in
 * components.ts, the operations in paths.ts.
 */
export function openapiDocument(schemas: SchemaRegistry, version = '0.1.0'): JsonObject {
  const components: Record<string, JsonObject> = {};
  for (const name of schemas.names()) {
    const s = schemas.get(name);
    if (s) components[componentName(name)] = asComponent(s.schema, componentName(name));
  }
  for (const [name, s] of Object.entries(structuredClone(API_SCHEMAS))) components[name] = asComponent(s, name);
  // A record envelope holds a record of one of the canonical entities.
  const envelope = components.RecordEnvelope as { properties: JsonObject };
  envelope.properties.record = {
    description: 'The canonical record, as its entity\u2019s schema (schemas/<entity>.schema.json) describes it.',
    anyOf: schemas.entities().map((e) => ref(componentName(e))),
  };
  const paths = structuredClone(PATHS);
  nameBodies(paths, components);
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Study-data hub API',
      version,
      description:
        'Ingest study data in each system’s own format, follow every message, read canonical records and change feeds, subscribe webhooks, reconcile registers. Errors are application/problem+json (RFC 9457) with a JSON pointer per violation and the request id (X-Request-Id). Canonical records follow the JSON Schemas under components.schemas (from schemas/ in the repository). To try an operation: Authorize with an API token (the admin token, or one made with `hub token create`).',
      license: { name: 'EUPL-1.2', identifier: 'EUPL-1.2' },
    },
    servers: [{ url: '/' }],
    security: secured,
    tags: [
      { name: 'ingest', description: 'Records in, in the source’s own format' },
      { name: 'messages', description: 'Every message, its history and deliveries; replay' },
      { name: 'records', description: 'Canonical records' },
      { name: 'feeds', description: 'Change feeds for registers and services, per consumer' },
      { name: 'webhooks', description: 'Push: signed deliveries of change events' },
      { name: 'registers', description: 'National registers (VIIS): reconciliation' },
      { name: 'sources', description: 'Source adapters: health, sync, pause, resume' },
      { name: 'personal data', description: 'Subject access, erasure and the disclosure log' },
      { name: 'emrex', description: 'EMREX: results of students coming in from foreign contact points' },
      { name: 'tokens', description: 'API credentials' },
      { name: 'operations', description: 'Health and metrics' },
      { name: 'documentation', description: 'This document' },
    ],
    paths,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token with scopes: admin, metrics, ingest:<source>, read:<entity>, feed:<consumer>, emrex:<institution>.' },
      },
      schemas: components,
    },
  };
}
