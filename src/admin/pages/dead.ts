import type { AdminDeps } from '../deps.ts';
import { href, html, seg, time, type Html } from '../html.ts';
import { badge, csrfField, notice, page, type PageContext } from '../layout.ts';
import { UUID, type DeadQuery, type DeadRow } from '../../store/console-queries.ts';
import { PAGE_SIZE } from './messages.ts';

export interface DeadFilter {
  status?: string;
  route?: string;
  source?: string;
  entity?: string;
  institution?: string;
  before?: string;
}

const FIELDS = ['status', 'route', 'source', 'entity', 'institution', 'before'] as const;

export function parseDeadFilter(query: Record<string, unknown>): { filter: DeadFilter; query: DeadQuery; problems: string[] } {
  const filter: DeadFilter = {};
  const problems: string[] = [];
  for (const f of FIELDS) {
    const v = query[f];
    if (v === undefined || v === '') continue;
    if (typeof v !== 'string') problems.push(`${f} must be given once`);
    else filter[f] = v.trim();
  }
  const q: DeadQuery = { statuses: ['dead', 'withheld'], limit: PAGE_SIZE };
  if (filter.status === 'dead' || filter.status === 'withheld') q.statuses = [filter.status];
  else if (filter.status) problems.push('status must be dead or withheld');
  if (filter.route) q.routeId = filter.route;
  if (filter.source) q.sourceId = filter.source;
  if (filter.entity) q.entity = filter.entity;
  if (filter.institution) q.institution = filter.institution;
  if (filter.before) {
    const [eventId, routeId] = filter.before.split('~');
    if (eventId && routeId && UUID.test(eventId)) q.before = { eventId, routeId };
    else problems.push('before must be a page cursor');
  }
  return { filter, query: q, problems };
}

const opts = (values: readonly string[], selected: string | undefined, any = 'any') =>
  html`<option value="">${any}</option>${values.map((v) => html`<option${v === selected ? html` selected` : ''}>${v}</option>`)}`;

export function renderDead(ctx: PageContext, hub: Pick<AdminDeps, 'config' | 'routes' | 'schemas'>, o: { filter: DeadFilter; rows: DeadRow[]; problems: string[] }): Html {
  const b = ctx.base;
  const f = o.filter;
  const last = o.rows[o.rows.length - 1];
  const { before: _b, ...keep } = f;
  const next = o.rows.length === PAGE_SIZE && last ? href(b, '/dead', { ...keep, before: `${last.eventId}~${last.routeId}` }) : undefined;
  return page(
    { ...ctx, section: 'dead' },
    { title: 'Dead letters and withheld deliveries' },
    html`
${o.problems.map((p) => notice('error', p))}
<p class="hint">A <strong>dead</strong> delivery failed on every attempt (or the receiver refused it); a <strong>withheld</strong> one was stopped by a route's policy. Fix the sink, the receiver or the policy, then replay: you see what will happen and confirm first. Rejected input is under <a href="${b}/messages?status=rejected">rejected messages</a>.</p>
<form method="get" action="${b}/dead" class="filters">
  <div class="field"><label for="d-status">Status</label><select id="d-status" name="status"><option value="">dead or withheld</option>${['dead', 'withheld'].map(
    (s) => html`<option${s === f.status ? html` selected` : ''}>${s}</option>`,
  )}</select></div>
  <div class="field"><label for="d-route">Route</label><select id="d-route" name="route">${opts(
    hub.routes.map((r) => r.id),
    f.route,
  )}</select></div>
  <div class="field"><label for="d-source">Source</label><select id="d-source" name="source">${opts(
    hub.config.sources.map((s) => s.id),
    f.source,
  )}</select></div>
  <div class="field"><label for="d-entity">Entity</label><select id="d-entity" name="entity">${opts(hub.schemas.entities(), f.entity)}</select></div>
  <div class="field"><label for="d-inst">Institution</label><select id="d-inst" name="institution">${opts(
    hub.config.institutions.map((i) => i.id),
    f.institution,
  )}</select></div>
  <button type="submit">Filter</button> <a href="${b}/dead">Clear</a>
</form>
${
  o.rows.length === 0
    ? html`<p class="empty">No dead or withheld deliveries match.</p>`
    : html`<form method="post" action="${b}/replay">
${csrfField(ctx)}
<div class="scroll"><table class="list">
<caption>Dead and withheld deliveries, newest change first</caption>
<thead><tr>
  <th scope="col"><input type="checkbox" data-select-all aria-label="Select all deliveries on this page"></th>
  <th scope="col">Route</th><th scope="col">Status</th><th scope="col">Attempts</th><th scope="col">Last error</th><th scope="col">Source / entity</th><th scope="col">Institution</th><th scope="col">Business key</th><th scope="col">Updated (UTC)</th>
</tr></thead>
<tbody>${o.rows.map(
        (r) => html`<tr>
  <td>${r.messageId ? html`<input type="checkbox" name="ids" value="${r.messageId}" aria-label="Select the delivery of message ${r.messageId} to ${r.routeId}">` : ''}</td>
  <td>${r.routeId}</td>
  <td>${badge(r.status)}</td>
  <td class="num">${r.attempts}</td>
  <td class="err">${r.lastError ?? ''}</td>
  <td>${r.messageId ? html`<a href="${b}/messages/${seg(r.messageId)}">${r.sourceId ?? '?'} / ${r.entity ?? '?'}</a>` : html`<span class="muted">event ${r.eventId}</span>`}</td>
  <td>${r.institution ?? '–'}</td>
  <td>${r.businessKey ?? '–'}</td>
  <td>${time(r.updatedAt)}</td>
</tr>`,
      )}</tbody></table></div>
<p><button type="submit">Replay selected…</button> <span class="hint">A replay delivers each selected message again to every route where it is dead or withheld.</span></p>
</form>`
}
<nav aria-label="Pages" class="pager">${f.before ? html`<a href="${href(b, '/dead', keep)}">← Newest</a>` : ''} ${next ? html`<a href="${next}" rel="next">Older →</a>` : ''}</nav>`,
  );
}
