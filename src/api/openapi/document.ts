import type { JsonObject } from '../../core/types.ts';
import type { SchemaRegistry } from '../../schemas/registry.ts';
import { API_SCHEMAS } from './components.ts';
import { PATHS, secured } from './paths.ts';

/** Component name of a schema file: study-right → StudyRight, change-event → ChangeEvent. */
export function componentName(file: string): string {
  return file.replace(/(^|-)([a-z])/g, (_m, _d, c: string) => c.toUpperCase());
}

/**
 * The OpenAPI 3.1 document of the public API. Component schemas of the canonical model are the JSON
 * Schemas of schemas/ as loaded by the registry (same objects, with their $id, so their
 * "common.schema.json#/…" references resolve against https://schemas.studyhub.lv/); the API's own
 * envelopes are in components.ts, the operations in paths.ts.
 */
export function openapiDocument(schemas: SchemaRegistry, version = '0.1.0'): JsonObject {
  const canonical: Record<string, JsonObject> = {};
  for (const name of schemas.names()) {
    const s = schemas.get(name);
    if (s) canonical[componentName(name)] = s.schema;
  }
  return {
    openapi: '3.1.0',
    jsonSchemaDialect: 'https://json-schema.org/draft/2020-12/schema',
    info: {
      title: 'Study-data hub API',
      version,
      description:
        'Ingest study data in each system’s own format, follow every message, read canonical records and change feeds, subscribe webhooks, reconcile registers. Errors are application/problem+json (RFC 9457) with a JSON pointer per violation. Canonical records follow the JSON Schemas under components.schemas (from schemas/ in the repository).',
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
      { name: 'tokens', description: 'API credentials' },
      { name: 'operations', description: 'Health and metrics' },
      { name: 'documentation', description: 'This document' },
    ],
    paths: PATHS,
    components: {
      securitySchemes: {
        bearer: { type: 'http', scheme: 'bearer', description: 'An API token with scopes: admin, metrics, ingest:<source>, read:<entity>, feed:<consumer>.' },
      },
      schemas: { ...canonical, ...API_SCHEMAS },
    },
  };
}
