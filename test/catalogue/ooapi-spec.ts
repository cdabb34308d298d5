import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import SwaggerParser from '@apidevtools/swagger-parser';
import { Ajv, type ValidateFunction } from 'ajv';
import addFormatsModule from 'ajv-formats';
import { need } from '../helpers/ci.ts';

const addFormats = addFormatsModule as unknown as (ajv: Ajv) => Ajv;
const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** The official standards folder (../shared/standards beside the repository, or STANDARDS_DIR). */
export const STANDARDS_DIR = resolve(REPO, process.env.STANDARDS_DIR ?? '../shared/standards');
export const OOAPI_YAML = resolve(STANDARDS_DIR, 'ooapi/v5/ooapi.yaml');

/** Skips (saying why) without the official OOAPI 5 document; under CI that fails. */
export function requireOoapi(ctx: Mocha.Context): void {
  need(ctx, [!existsSync(OOAPI_YAML) && `the official OOAPI 5 document (${OOAPI_YAML}; set STANDARDS_DIR)`]);
}

/**
 * OOAPI answers offerings as oneOf CourseOffering | ComponentOffering | ProgramOffering without a
 * discriminator, and a course offering is also a valid ProgramOffering (nothing in either excludes the
 * other), so plain oneOf refuses every correct offering. The spec tells them apart by offeringType; in
 * the validator's copy each such oneOf becomes "the branch named by offeringType must hold" (what an
 * OpenAPI discriminator on offeringType would say). Nothing else of the document changes.
 */
function discriminateOfferings<T>(node: T): T {
  if (Array.isArray(node)) node.forEach(discriminateOfferings);
  else if (node && typeof node === 'object') {
    const o = node as Record<string, unknown>;
    const branches = o.oneOf as { $ref?: string }[] | undefined;
    const kind = (b: { $ref?: string }) => /#\/components\/schemas\/(Course|Component|Program)Offering$/.exec(b.$ref ?? '')?.[1]?.toLowerCase();
    if (Array.isArray(branches) && branches.length > 1 && branches.every((b) => kind(b))) {
      delete o.oneOf;
      o.anyOf = branches.map((b) => ({ $ref: b.$ref }));
      o.allOf = [...((o.allOf as unknown[]) ?? []), ...branches.map((b) => ({ if: { properties: { offeringType: { const: kind(b) } }, required: ['offeringType'] }, then: { $ref: b.$ref } }))];
    }
    for (const v of Object.values(o)) discriminateOfferings(v);
  }
  return node;
}

const esc = (s: string) => s.replace(/~/g, '~0').replace(/\//g, '~1');

/**
 * Validates responses against the official OOAPI 5 document: finds the operation by path template
 * and method, the response by status (following $refs to components/responses), and checks the body
 * against its schema with Ajv, the document's own $refs resolved inside it.
 */
export class OoapiValidator {
  private constructor(
    private readonly doc: {
      paths: Record<string, Record<string, { responses: Record<string, { $ref?: string; content?: Record<string, unknown> }> }>>;
      components: { responses: Record<string, { content?: Record<string, unknown> }> };
    },
    private readonly ajv: Ajv,
  ) {}

  static async load(): Promise<OoapiValidator> {
    const doc = (await SwaggerParser.parse(OOAPI_YAML)) as unknown as OoapiValidator['doc'];
    const ajv = new Ajv({ strict: false, allErrors: true, validateSchema: false });
    addFormats(ajv);
    ajv.addFormat('int32', true).addFormat('int64', true);
    ajv.addSchema(discriminateOfferings(structuredClone(doc)) as object, 'ooapi.json');
    return new OoapiValidator(doc, ajv);
  }

  private cache = new Map<string, ValidateFunction>();

  /** The path template a request path matches ('/courses/{courseId}'). */
  template(path: string): string {
    const parts = path.split('/').filter(Boolean);
    for (const t of Object.keys(this.doc.paths)) {
      const tp = t.split('/').filter(Boolean);
      if (tp.length === parts.length && tp.every((p, i) => p.startsWith('{') || p === parts[i])) return t;
    }
    throw new Error(`no OOAPI path matches ${path}`);
  }

  /** Errors of a response body ([] when it validates). */
  check(path: string, status: number, contentType: string, body: unknown): string[] {
    const t = this.template(path);
    const responses = this.doc.paths[t]!.get!.responses;
    const resp = responses[String(status)];
    if (!resp) return [`${t}: the spec defines no ${status} response`];
    let pointer = `ooapi.json#/paths/${esc(t)}/get/responses/${status}`;
    let content = resp.content;
    if (resp.$ref) {
      const name = resp.$ref.split('/').pop()!;
      pointer = `ooapi.json#/components/responses/${esc(name)}`;
      content = this.doc.components.responses[name]!.content;
    }
    const media = Object.keys(content ?? {}).find((m) => contentType.startsWith(m));
    if (!media) return [`${t} ${status}: content type ${contentType} is not one of ${Object.keys(content ?? {}).join(', ')}`];
    const ref = `${pointer}/content/${esc(media)}/schema`;
    const v = this.cache.get(ref) ?? this.ajv.compile({ $ref: ref });
    this.cache.set(ref, v);
    return v(body) ? [] : (v.errors ?? []).map((e) => `${t} ${status}: ${e.instancePath || '/'} ${e.message ?? ''} ${JSON.stringify(e.params)}`);
  }
}
