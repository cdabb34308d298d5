import { join, relative, resolve } from 'node:path';
import { readFileSync } from 'node:fs';
import { errorMessage, isHubError, MappingError, type Violation } from '../../core/errors.ts';
import type { JsonObject } from '../../core/types.ts';
import type { AdminDeps } from '../deps.ts';
import { MappingEngine, type MappingBindings } from '../../mapping/engine.ts';
import { evaluateSandboxed, type SandboxLimits } from '../../mapping/sandbox.ts';
import { runGolden, type GoldenReport } from '../../mapping/golden.ts';
import { transform } from '../../mapping/transform.ts';
import { href, html, type Html } from '../html.ts';
import { jsonView } from '../json-view.ts';
import { csrfField, notice, page, type PageContext } from '../layout.ts';

/** What the mapping pages use of the hub. */
type MappingDeps = Pick<AdminDeps, 'config' | 'mappings' | 'schemas'>;

/**
 * The engine of the mapping tester: the given expression, or the file as it is on disk, evaluated in
 * the sandbox (a child process with a time and memory limit, src/mapping/sandbox.ts), never on the
 * hub's event loop: what an admin tries out cannot freeze the hub.
 */
class SandboxEngine extends MappingEngine {
  constructor(
    dir: string,
    private readonly expression: string,
    private readonly sandbox: SandboxLimits,
  ) {
    super(dir);
  }
  override async map(set: string, entity: string, input: unknown, bindings: MappingBindings): Promise<Record<string, unknown>[]> {
    const edited = this.expression.trim() !== '';
    if (!edited && !this.has(set, entity)) throw new MappingError(`no mapping ${set}/${entity}.jsonata`);
    const text = edited ? this.expression : readFileSync(this.file(set, entity), 'utf8');
    return evaluateSandboxed(text, `${set}/${entity}${edited ? ' (edited)' : ''}`, input, bindings, this.sandbox);
  }
}

export function inboundSets(hub: MappingDeps): string[] {
  return hub.mappings.sets().filter((s) => hub.mappings.setInfo(s).direction === 'inbound');
}

export function renderMappings(ctx: PageContext, hub: MappingDeps): Html {
  const b = ctx.base;
  const engine = hub.mappings;
  return page(
    { ...ctx, section: 'mappings' },
    { title: 'Mappings' },
    html`
<p class="hint">Mapping sets live in <code>${engine.dir}</code>: one JSONata file per entity with golden tests beside it. Edit a file, run its set's golden tests here, try it on a record, then replay the messages it rejected.</p>
<p><a class="button" href="${b}/mappings/try">Try a mapping on a record</a> <a class="button" href="${b}/mappings/golden">Run all golden tests</a></p>
<div class="scroll"><table>
<caption>Mapping sets</caption>
<thead><tr><th scope="col">Set</th><th scope="col">Direction</th><th scope="col">Entities</th><th scope="col">Used by sources</th><th scope="col">Golden tests</th></tr></thead>
<tbody>${engine.sets().map((set) => {
      const info = engine.setInfo(set);
      const users = hub.config.sources.filter((s) => s.mappingSet === set).map((s) => s.id);
      return html`<tr>
  <th scope="row">${set}</th>
  <td>${info.direction}</td>
  <td>${engine.entities(set).join(', ')}</td>
  <td>${users.join(', ') || '–'}</td>
  <td>${info.direction === 'inbound' ? html`<a href="${href(b, '/mappings/golden', { set })}">Run the tests of ${set}</a>` : html`<span class="muted">tested by ${info.testedBy ?? 'its sink'}</span>`}</td>
</tr>`;
    })}</tbody></table></div>`,
  );
}

export async function goldenReport(hub: MappingDeps, set: string | undefined): Promise<GoldenReport> {
  // A fresh engine reads the files as they are now, and leaves the running pipeline's cache alone;
  // under the live guard (limits.mappingTimeoutMs, mappingMaxDepth): the files are the ones live data meets.
  const engine = new MappingEngine(hub.mappings.dir, hub.mappings.limits);
  return runGolden(hub.schemas, engine, set ? join(engine.dir, set) : undefined);
}

export function renderGolden(ctx: PageContext, hub: MappingDeps, set: string | undefined, r: GoldenReport): Html {
  const where = (file: string) => relative(hub.mappings.dir, resolve(file));
  const b = ctx.base;
  const failed = r.results.filter((x) => !x.ok);
  return page(
    { ...ctx, section: 'mappings' },
    { title: `Golden tests${set ? ` of ${set}` : ''}` },
    html`
${notice(r.failed === 0 && r.untested.length === 0 ? 'ok' : 'error', html`<strong data-golden-summary>${r.passed} passed, ${r.failed} failed</strong>${r.untested.length ? `, ${r.untested.length} mapping(s) without tests` : ''}`)}
<p><a href="${href(b, '/mappings/golden', set ? { set } : {})}">Run again</a> · <a href="${b}/mappings">Mappings</a></p>
${
  failed.length
    ? html`<section aria-labelledby="h-failed"><h2 id="h-failed">Failed</h2>${failed.map(
        (x) => html`<article class="case bad">
<h3>${x.set}/${x.entity}: ${x.kind === 'reject' ? 'rejects: ' : ''}${x.name}</h3>
<p class="err">${x.problem ?? ''}</p>
${
  x.diff?.length
    ? html`<table class="diff"><caption class="sr-only">Differences</caption><thead><tr><th scope="col">Path</th><th scope="col">Expected</th><th scope="col">Actual</th></tr></thead><tbody>${x.diff.map(
        (d) =>
          html`<tr><td><code>${d.path}</code></td><td class="del"><code>${d.expected === undefined ? 'missing' : JSON.stringify(d.expected)}</code></td><td class="ins"><code>${d.actual === undefined ? 'missing' : JSON.stringify(d.actual)}</code></td></tr>`,
      )}</tbody></table>`
    : ''
}
<p class="muted small">mappings/${where(x.file)}</p>
</article>`,
      )}</section>`
    : ''
}
${r.untested.length ? html`<section aria-labelledby="h-untested"><h2 id="h-untested">Without golden tests</h2><ul>${r.untested.map((u) => html`<li><code>mappings/${where(u)}</code></li>`)}</ul></section>` : ''}
<section aria-labelledby="h-passed"><h2 id="h-passed">Passed</h2>
<ul class="passed">${r.results.filter((x) => x.ok).map((x) => html`<li>✓ ${x.set}/${x.entity}: ${x.kind === 'reject' ? 'rejects: ' : ''}${x.name}</li>`)}</ul>
</section>`,
  );
}

export interface TryInput {
  set: string;
  entity: string;
  institution: string;
  source: string;
  record: string;
  expression: string;
  messageId?: string;
}

export type TryOutcome =
  | { kind: 'ok'; record: JsonObject; violations: Violation[] }
  | { kind: 'input'; error: string }
  | { kind: 'mapping'; code: string; error: string; violations: Violation[]; status: number; retryAfterSeconds?: number };

export async function tryMapping(hub: MappingDeps, t: TryInput): Promise<TryOutcome> {
  let input: unknown;
  try {
    input = JSON.parse(t.record);
  } catch (e) {
    return { kind: 'input', error: `the record is not valid JSON: ${errorMessage(e)}` };
  }
  const l = hub.config.limits ?? {};
  const limits: SandboxLimits = { timeoutMs: l.tryTimeoutMs ?? 2000, memoryMb: l.tryMemoryMb ?? 64, maxDepth: hub.mappings.limits.maxDepth };
  const engine = new SandboxEngine(hub.mappings.dir, t.expression, limits);
  try {
    const { record, violations } = await transform(engine, hub.schemas, t.set, t.entity, input, { institution: t.institution, source: t.source });
    return { kind: 'ok', record, violations };
  } catch (e) {
    if (!isHubError(e)) return { kind: 'mapping', code: 'HUB_ERR_INTERNAL', error: errorMessage(e), violations: [], status: 500 };
    // A mapping that rejects the record is an answer (200); a limit is the request's fault (422); busy is 503.
    const status = e.code === 'HUB_ERR_MAPPING_LIMIT' || e.code === 'HUB_ERR_BUSY' || e.status >= 500 ? e.status : 200;
    const retry = e.extra.retryAfterSeconds;
    return { kind: 'mapping', code: e.code, error: e.message, violations: e.violations, status, ...(typeof retry === 'number' ? { retryAfterSeconds: retry } : {}) };
  }
}

export function renderTry(ctx: PageContext, hub: MappingDeps, t: TryInput, outcome: TryOutcome | undefined, problems: string[]): Html {
  const b = ctx.base;
  const sets = inboundSets(hub);
  const entities = [...new Set(sets.flatMap((s) => hub.mappings.entities(s)))].sort();
  const sel = (values: string[], v: string) => values.map((x) => html`<option${x === v ? html` selected` : ''}>${x}</option>`);
  const violations = outcome && outcome.kind !== 'input' ? outcome.violations : [];
  const marks = violations.map((v) => ({ pointer: v.path, message: v.message }));
  const result = !outcome
    ? ''
    : html`<div class="grid2 result">
<section aria-labelledby="h-out">
<h2 id="h-out">Canonical output</h2>
${
  outcome.kind === 'ok'
    ? jsonView(outcome.record, marks, { prefix: 'out' })
    : html`<p class="err" data-try-error>${outcome.kind === 'mapping' ? html`<strong>${outcome.code}</strong>: ` : ''}${outcome.error}</p>`
}
</section>
<section aria-labelledby="h-valid">
<h2 id="h-valid">Validation</h2>
${
  outcome.kind === 'ok' && violations.length === 0
    ? html`<p class="ok-text" data-try-valid>Valid: the record matches schemas/${t.entity}.schema.json.</p>`
    : outcome.kind === 'input'
      ? html`<p class="muted">Not run: fix the input first.</p>`
      : violations.length
        ? html`<p class="err">${outcome.kind === 'ok' ? `Invalid: ${violations.length} violation(s) of schemas/${t.entity}.schema.json.` : 'Refused:'}</p><ul class="violations" data-try-violations>${violations.map(
            (v) => html`<li><code>${v.path || '/'}</code> ${v.message}</li>`,
          )}</ul>`
        : html`<p class="err">The mapping refused the record (left).</p>`
}
</section>
</div>`;
  return page(
    { ...ctx, section: 'mappings' },
    { title: 'Try a mapping' },
    html`
${problems.map((p) => notice('error', p))}
<form method="post" action="${b}/mappings/try" class="try">
${csrfField(ctx)}
${t.messageId ? html`<p class="hint">The record of message <a href="${b}/messages/${encodeURIComponent(t.messageId)}"><code>${t.messageId}</code></a>.</p>` : ''}
<div class="filters">
  <div class="field"><label for="t-set">Mapping set</label><select id="t-set" name="set">${sel(sets, t.set)}</select></div>
  <div class="field"><label for="t-entity">Entity</label><select id="t-entity" name="entity">${sel(entities, t.entity)}</select></div>
  <div class="field"><label for="t-inst">Institution ($institution)</label><select id="t-inst" name="institution">${sel(
    hub.config.institutions.map((i) => i.id),
    t.institution,
  )}</select></div>
  <div class="field"><label for="t-source">Source ($source)</label><input id="t-source" name="source" value="${t.source}" maxlength="100"></div>
</div>
<div class="grid2">
  <div class="field"><label for="t-record">Record (JSON, in the source's format)</label><textarea id="t-record" name="record" rows="14" spellcheck="false" required>${t.record}</textarea></div>
  <div class="field"><label for="t-expr">Mapping expression (optional: leave empty to use <code>${t.set || '<set>'}/${t.entity || '<entity>'}.jsonata</code> as it is on disk)</label><textarea id="t-expr" name="expression" rows="14" spellcheck="false">${t.expression}</textarea></div>
</div>
<button type="submit" class="primary">Run the mapping</button>
</form>
${result}`,
  );
}
