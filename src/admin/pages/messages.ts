import { personalCodeForm } from '../../core/personal-code.ts';
import { MESSAGE_STATUSES, type MessageStatus } from '../../core/types.ts';
import type { AdminDeps } from '../deps.ts';
import { href, html, seg, time, type Html } from '../html.ts';
import { badge, csrfField, notice, page, type PageContext } from '../layout.ts';
import { UUID, type MessageQuery, type MessageRow } from '../../store/console-queries.ts';

export const PAGE_SIZE = 50;

export interface ListFilter {
  status?: string;
  source?: string;
  entity?: string;
  institution?: string;
  /** datetime-local values, read as UTC. */
  from?: string;
  to?: string;
  key?: string;
  before?: string;
}

const FIELDS = ['status', 'source', 'entity', 'institution', 'from', 'to', 'key', 'before'] as const;
const LOCAL_TIME = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2})?$/;

/** Reads the filter form (a GET: nothing personal in it); returns the query and what is wrong. */
export function parseFilter(query: Record<string, unknown>): { filter: ListFilter; query: MessageQuery; problems: string[] } {
  const filter: ListFilter = {};
  const problems: string[] = [];
  for (const f of FIELDS) {
    const v = query[f];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') problems.push(`${f} must be given once`);
    else filter[f] = v.trim();
  }
  const q: MessageQuery = { limit: PAGE_SIZE };
  if (filter.status) {
    if (MESSAGE_STATUSES.includes(filter.status as MessageStatus)) q.status = filter.status as MessageStatus;
    else problems.push(`unknown status (one of ${MESSAGE_STATUSES.join(', ')})`);
  }
  if (filter.source) q.sourceId = filter.source;
  if (filter.entity) q.entity = filter.entity;
  if (filter.institution) q.institution = filter.institution;
  for (const f of ['from', 'to'] as const) {
    const v = filter[f];
    if (!v) continue;
    if (LOCAL_TIME.test(v) && !Number.isNaN(Date.parse(`${v}Z`))) q[f] = new Date(`${v}Z`).toISOString();
    else problems.push(`${f} must be a date and time (YYYY-MM-DDTHH:MM, UTC)`);
  }
  if (filter.key) {
    if (personalCodeForm(filter.key)) {
      // Never echoed back, and never kept in the links of this page.
      delete filter.key;
      problems.push('that looks like a personal code: search personal codes with the "Find a person" form, which does not put them in the address');
    } else q.businessKey = filter.key;
  }
  if (filter.before) {
    if (UUID.test(filter.before)) q.before = filter.before;
    else problems.push('before must be a message id');
  }
  return { filter, query: q, problems };
}

function options(values: readonly string[], selected: string | undefined, any = 'any'): Html {
  return html`<option value="">${any}</option>${values.map((v) => html`<option${v === selected ? html` selected` : ''}>${v}</option>`)}`;
}

/** The table of messages, inside a form that replays the selected ones (after a confirmation). */
export function messageTable(ctx: PageContext, rows: MessageRow[], caption: string): Html {
  const b = ctx.base;
  if (rows.length === 0) return html`<p class="empty">No messages match.</p>`;
  return html`<form method="post" action="${b}/replay">
${csrfField(ctx)}
<div class="scroll"><table class="list">
<caption>${caption}</caption>
<thead><tr>
  <th scope="col"><input type="checkbox" data-select-all aria-label="Select all messages on this page"></th>
  <th scope="col">Received (UTC)</th><th scope="col">Status</th><th scope="col">Source</th><th scope="col">Entity</th><th scope="col">Institution</th><th scope="col">Business key</th><th scope="col">Error</th>
</tr></thead>
<tbody>
${rows.map(
  (m) => html`<tr>
  <td><input type="checkbox" name="ids" value="${m.id}" aria-label="Select message ${m.id}"></td>
  <td><a href="${b}/messages/${seg(m.id)}">${time(m.createdAt)}</a></td>
  <td>${badge(m.status)}</td>
  <td>${m.sourceId}</td>
  <td>${m.entity}</td>
  <td>${m.institution ?? '–'}</td>
  <td>${m.businessKey ?? '–'}</td>
  <td class="err">${m.errorCode ?? ''}</td>
</tr>`,
)}
</tbody></table></div>
<p><button type="submit">Replay selected…</button> <span class="hint">You will see what a replay does and confirm it first.</span></p>
</form>`;
}

export function keySearchForm(ctx: PageContext, key = ''): Html {
  return html`<form method="post" action="${ctx.base}/messages/find" class="filters" autocomplete="off">
${csrfField(ctx)}
<div class="field"><label for="f-person">Personal code or student number</label>
<input id="f-person" name="key" value="${key}" required maxlength="64" autocomplete="off" spellcheck="false" aria-describedby="f-person-hint"></div>
<button type="submit">Find</button>
<p id="f-person-hint" class="hint">Sent in the request body, never in the address or a log. A personal code finds the person's messages by the canonical identifier lv-personas-kods (and raw payloads that could not be mapped).</p>
</form>`;
}

export function renderMessages(ctx: PageContext, hub: Pick<AdminDeps, 'config' | 'schemas'>, o: { filter: ListFilter; rows: MessageRow[]; problems: string[] }): Html {
  const b = ctx.base;
  const f = o.filter;
  const last = o.rows[o.rows.length - 1];
  const { before: _b, ...keep } = f;
  const next = o.rows.length === PAGE_SIZE && last ? href(b, '/messages', { ...keep, before: last.id }) : undefined;
  const institutions = hub.config.institutions.map((i) => i.id);
  return page(
    { ...ctx, section: 'messages' },
    { title: 'Messages' },
    html`
${o.problems.map((p) => notice('error', p))}
<section aria-labelledby="h-filter">
<h2 id="h-filter">Filter</h2>
<form method="get" action="${b}/messages" class="filters" data-no-personal-codes>
  <div class="field"><label for="f-status">Status</label><select id="f-status" name="status">${options(MESSAGE_STATUSES, f.status)}</select></div>
  <div class="field"><label for="f-source">Source</label><select id="f-source" name="source">${options(
    hub.config.sources.map((s) => s.id),
    f.source,
  )}</select></div>
  <div class="field"><label for="f-entity">Entity</label><select id="f-entity" name="entity">${options(hub.schemas.entities(), f.entity)}</select></div>
  <div class="field"><label for="f-inst">Institution</label><select id="f-inst" name="institution">${options(institutions, f.institution)}</select></div>
  <div class="field"><label for="f-from">From (UTC)</label><input id="f-from" name="from" type="datetime-local" value="${f.from ?? ''}"></div>
  <div class="field"><label for="f-to">Until (UTC)</label><input id="f-to" name="to" type="datetime-local" value="${f.to ?? ''}"></div>
  <div class="field"><label for="f-key">Student number</label><input id="f-key" name="key" value="${f.key ?? ''}" maxlength="64" spellcheck="false" aria-describedby="f-key-hint"></div>
  <button type="submit">Search</button> <a href="${b}/messages">Clear</a>
  <p id="f-key-hint" class="hint">The student number is the record's source id (business key). For a personal code use “Find a person” below.</p>
</form>
</section>
<section aria-labelledby="h-person">
<h2 id="h-person">Find a person</h2>
${keySearchForm(ctx)}
</section>
<section aria-labelledby="h-results">
<h2 id="h-results">Results</h2>
${messageTable(ctx, o.rows, `Messages, newest first${f.before ? ' (older page)' : ''}`)}
<nav aria-label="Pages" class="pager">${f.before ? html`<a href="${href(b, '/messages', keep)}">← Newest</a>` : ''} ${next ? html`<a href="${next}" rel="next">Older →</a>` : ''}</nav>
</section>`,
  );
}

/** Results of a key search (a POST: the key is in the form, never in a link). */
export function renderKeyResults(ctx: PageContext, o: { key: string; kind: 'personal code' | 'student number'; rows: MessageRow[] }): Html {
  const b = ctx.base;
  const last = o.rows[o.rows.length - 1];
  return page(
    { ...ctx, section: 'messages' },
    { title: 'Messages of a person' },
    html`
${keySearchForm(ctx, o.key)}
<p>Searched as a <strong>${o.kind}</strong>. <a href="${b}/messages">Back to all messages</a></p>
${messageTable(ctx, o.rows, `Messages found by ${o.kind}, newest first`)}
${
  o.rows.length === PAGE_SIZE && last
    ? html`<form method="post" action="${b}/messages/find" class="pager">${csrfField(ctx)}<input type="hidden" name="key" value="${o.key}"><input type="hidden" name="before" value="${last.id}"><button type="submit">Older →</button></form>`
    : ''
}`,
  );
}
