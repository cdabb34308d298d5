import { existsSync, readFileSync, statSync } from 'node:fs';
import { basename, dirname, join, relative, resolve } from 'node:path';
import { isHubError } from '../core/errors.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { jsonDiff, formatDiff, type Difference } from './diff.ts';
import type { MappingEngine } from './engine.ts';
import { transform } from './transform.ts';

/**
 * Golden tests of a mapping: mappings/<set>/<entity>.test.json beside <entity>.jsonata.
 * {
 *   "institution": "lu.lv", "source": "lu-lais",          // bindings ($institution, $source)
 *   "cases":   [{ "name", "input", "expected" }],         // expected = canonical record, valid by schema
 *   "rejects": [{ "name", "input", "error": { "code", "message"?, "path"? } }]
 * }
 * A reject expects the mapping to refuse the record (code HUB_ERR_MAPPING, message containing
 * `message`) or the schema to (code HUB_ERR_SCHEMA_VALIDATION: a violation at `path` whose message
 * contains `message`; a schema reject names both).
 */
export interface GoldenFile {
  institution?: string;
  source?: string;
  cases?: { name: string; input: unknown; expected: unknown }[];
  rejects?: { name: string; input: unknown; error: { code: string; message?: string; path?: string } }[];
}

export interface CaseResult {
  file: string;
  set: string;
  entity: string;
  name: string;
  kind: 'case' | 'reject';
  ok: boolean;
  problem?: string;
  diff?: Difference[];
}

export interface GoldenReport {
  results: CaseResult[];
  passed: number;
  failed: number;
  /** Mapping files without a golden test file. */
  untested: string[];
}

/** Lists the mapping files a path designates: all sets, one set folder, or one mapping/test file. */
export function mappingFilesUnder(engine: MappingEngine, path?: string): { set: string; entity: string }[] {
  if (!path)
    return engine
      .sets()
      .filter((set) => engine.setInfo(set).direction === 'inbound')
      .flatMap((set) => engine.entities(set).map((entity) => ({ set, entity })));
  const abs = resolve(path);
  if (existsSync(abs) && statSync(abs).isDirectory()) {
    const set = basename(abs);
    return engine.entities(set).map((entity) => ({ set, entity }));
  }
  const entity = basename(abs).replace(/\.(test\.json|jsonata)$/, '');
  return [{ set: basename(dirname(abs)), entity }];
}

export async function runGolden(schemas: SchemaRegistry, engine: MappingEngine, path?: string): Promise<GoldenReport> {
  const results: CaseResult[] = [];
  const untested: string[] = [];
  for (const { set, entity } of mappingFilesUnder(engine, path)) {
    if (engine.setInfo(set).direction === 'outbound') continue;
    const testFile = join(engine.dir, set, `${entity}.test.json`);
    const rel = relative(process.cwd(), testFile);
    if (!existsSync(testFile)) {
      untested.push(relative(process.cwd(), engine.file(set, entity)));
      continue;
    }
    const base = { file: rel, set, entity };
    let golden: GoldenFile;
    try {
      golden = JSON.parse(readFileSync(testFile, 'utf8')) as GoldenFile;
    } catch (e) {
      results.push({ ...base, name: '(file)', kind: 'case', ok: false, problem: `not valid JSON: ${(e as Error).message}` });
      continue;
    }
    const bindings = { institution: golden.institution ?? 'example.lv', source: golden.source ?? `${set}-test` };
    engine.reload(set);
    for (const c of golden.cases ?? []) {
      try {
        const { record, violations } = await transform(engine, schemas, set, entity, c.input, bindings);
        const diff = jsonDiff(c.expected, record);
        if (violations.length) {
          results.push({
            ...base,
            name: c.name,
            kind: 'case',
            ok: false,
            problem: `output fails schemas/${entity}.schema.json: ${violations.map((v) => `${v.path || '/'} ${v.message}`).join('; ')}`,
            diff,
          });
        } else if (diff.length) {
          results.push({ ...base, name: c.name, kind: 'case', ok: false, problem: 'output differs from expected', diff });
        } else results.push({ ...base, name: c.name, kind: 'case', ok: true });
      } catch (e) {
        results.push({ ...base, name: c.name, kind: 'case', ok: false, problem: `mapping failed: ${(e as Error).message}` });
      }
    }
    for (const r of golden.rejects ?? []) {
      const want = r.error;
      let got: { code: string; message: string; violations: { path: string; message: string }[] } | undefined;
      try {
        const { violations } = await transform(engine, schemas, set, entity, r.input, bindings);
        if (violations.length) got = { code: 'HUB_ERR_SCHEMA_VALIDATION', message: violations.map((v) => v.message).join('; '), violations };
      } catch (e) {
        got = { code: isHubError(e) ? e.code : 'HUB_ERR_INTERNAL', message: (e as Error).message, violations: isHubError(e) ? e.violations : [] };
      }
      let problem: string | undefined;
      const at = want.path === undefined ? [] : (got?.violations ?? []).filter((v) => v.path === want.path);
      if (!got) problem = 'the record was accepted, but it must be rejected';
      else if (got.code !== want.code) problem = `rejected with ${got.code} (${got.message}), expected ${want.code}`;
      else if (want.code === 'HUB_ERR_SCHEMA_VALIDATION' && (want.path === undefined || !want.message)) problem = 'a schema reject names the path and the message of the violation it expects';
      else if (want.path !== undefined && at.length === 0) problem = `no violation at ${want.path} (violations at: ${got.violations.map((v) => v.path).join(', ') || 'none'})`;
      else if (want.path !== undefined && want.message && !at.some((v) => v.message.includes(want.message!)))
        problem = `the violation at ${want.path} says "${at.map((v) => v.message).join('; ')}", not "${want.message}"`;
      else if (want.path === undefined && want.message && !got.message.includes(want.message)) problem = `message "${got.message}" does not contain "${want.message}"`;
      results.push({ ...base, name: r.name, kind: 'reject', ok: !problem, ...(problem ? { problem } : {}) });
    }
  }
  const passed = results.filter((r) => r.ok).length;
  return { results, passed, failed: results.length - passed, untested };
}

export function formatReport(r: GoldenReport, color = false): string {
  const red = (s: string) => (color ? `\x1b[31m${s}\x1b[0m` : s);
  const green = (s: string) => (color ? `\x1b[32m${s}\x1b[0m` : s);
  const lines: string[] = [];
  let file = '';
  for (const x of r.results) {
    if (x.file !== file) lines.push((file = x.file));
    lines.push(`  ${x.ok ? green('✓') : red('✗')} ${x.kind === 'reject' ? 'rejects: ' : ''}${x.name}`);
    if (!x.ok) {
      lines.push(red(`    ${x.problem}`));
      if (x.diff?.length) lines.push(formatDiff(x.diff));
    }
  }
  for (const u of r.untested) lines.push(red(`  ! ${u} has no golden test file`));
  lines.push(`${r.passed} passed, ${r.failed} failed${r.untested.length ? `, ${r.untested.length} mappings without tests` : ''}`);
  return lines.join('\n');
}
