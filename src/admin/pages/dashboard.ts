import { routeQueue } from '../../broker/types.ts';
import { errorMessage } from '../../core/errors.ts';
import type { FailingPartner } from '../../ewp/cnr/partner-failures.ts';
import type { AdminDeps } from '../deps.ts';
import type { AdapterHealth, HealthView } from '../health.ts';
import { href, html, seg, time, type Html } from '../html.ts';
import { page, type PageContext } from '../layout.ts';
import { activity, lastRouteError, lastSourceError, type Counts, type LastError } from '../../store/console-queries.ts';

/** Message statuses of a source, grouped into the dashboard's columns. */
const SOURCE_GROUPS = {
  total: null,
  done: ['committed', 'published', 'delivered', 'unchanged', 'stale'],
  flight: ['received', 'mapped', 'validated', 'retrying'],
  rejected: ['rejected'],
  dead: ['dead'],
  withheld: ['withheld'],
} as const;
const ROUTE_STATUSES = ['delivered', 'pending', 'retrying', 'dead', 'withheld'] as const;

type Pair = { hour: number; day: number };

interface SourceLine {
  id: string;
  institution: string;
  system: string;
  mappingSet: string;
  counts: Record<keyof typeof SOURCE_GROUPS, Pair>;
  lastAt: string | null;
  lastError: LastError | undefined;
  health: HealthView | undefined;
}

interface RouteLine {
  id: string;
  sink: string;
  counts: Record<(typeof ROUTE_STATUSES)[number], Pair>;
  queue: { ready: number; dead: number } | { error: string };
  lastError: LastError | undefined;
  health: HealthView;
}

export interface DashboardModel {
  at: string;
  perMinute: { messages: string; delivered: string };
  sources: SourceLine[];
  routes: RouteLine[];
  /** EWP partners whose calls fail now (fetching what they announced, or sending them CNRs); undefined without EWP. */
  ewpPartners?: FailingPartner[];
}

function sum(c: Counts, key: string, statuses: readonly string[] | null): number {
  const m = c.get(key);
  if (!m) return 0;
  let n = 0;
  for (const [s, v] of m) if (!statuses || statuses.includes(s)) n += v;
  return n;
}

export async function dashboardModel(hub: Pick<AdminDeps, 'config' | 'store' | 'broker' | 'routes' | 'ewp'>, health: AdapterHealth): Promise<DashboardModel> {
  const sql = hub.store.sql;
  const a = await activity(sql);
  const sourceHealth = await health.sources();
  const sources = await Promise.all(
    hub.config.sources.map(async (s): Promise<SourceLine> => {
      const counts = {} as SourceLine['counts'];
      for (const [g, statuses] of Object.entries(SOURCE_GROUPS) as [keyof typeof SOURCE_GROUPS, readonly string[] | null][]) {
        counts[g] = { hour: sum(a.messages.hour, s.id, statuses), day: sum(a.messages.day, s.id, statuses) };
      }
      return {
        id: s.id,
        institution: s.institution,
        system: s.system ?? s.id,
        mappingSet: s.mappingSet,
        counts,
        lastAt: a.messages.lastAt.get(s.id) ?? null,
        lastError: await lastSourceError(sql, s.id),
        health: sourceHealth.get(s.id),
      };
    }),
  );
  const routes = await Promise.all(
    hub.routes.map(async (r): Promise<RouteLine> => {
      const counts = {} as RouteLine['counts'];
      for (const st of ROUTE_STATUSES) counts[st] = { hour: sum(a.deliveries.hour, r.id, [st]), day: sum(a.deliveries.day, r.id, [st]) };
      let queue: RouteLine['queue'];
      try {
        queue = await hub.broker.stats(routeQueue(r.id));
      } catch (e) {
        queue = { error: errorMessage(e) };
      }
      return { id: r.id, sink: r.sink, counts, queue, lastError: await lastRouteError(sql, r.id), health: await health.sink(r.sink) };
    }),
  );
  return {
    at: new Date().toISOString(),
    perMinute: { messages: (a.recent.messages / 5).toFixed(1), delivered: (a.recent.delivered / 5).toFixed(1) },
    sources,
    routes,
    ...(hub.ewp ? { ewpPartners: await hub.ewp.failingPartners() } : {}),
  };
}

const errText = (e: LastError | undefined) => (e ? `${e.code ? `${e.code}: ` : ''}${e.detail}` : '–');
const at = (iso: string | null | undefined) => (iso ? `${iso.slice(0, 10)} ${iso.slice(11, 19)}` : '–');

/** The values that live updates refresh, by the data-live key of their element. */
export function liveValues(m: DashboardModel): Record<string, string> {
  const v: Record<string, string> = { 'rate:messages': m.perMinute.messages, 'rate:delivered': m.perMinute.delivered, at: at(m.at) };
  for (const s of m.sources) {
    for (const [g, p] of Object.entries(s.counts)) {
      v[`s:${s.id}:${g}:hour`] = String(p.hour);
      v[`s:${s.id}:${g}:day`] = String(p.day);
    }
    v[`s:${s.id}:last`] = at(s.lastAt);
    v[`s:${s.id}:error`] = errText(s.lastError);
    v[`s:${s.id}:health`] = s.health?.state ?? 'unknown';
  }
  for (const r of m.routes) {
    for (const [st, p] of Object.entries(r.counts)) {
      v[`r:${r.id}:${st}:hour`] = String(p.hour);
      v[`r:${r.id}:${st}:day`] = String(p.day);
    }
    v[`r:${r.id}:ready`] = 'error' in r.queue ? '?' : String(r.queue.ready);
    v[`r:${r.id}:dlq`] = 'error' in r.queue ? '?' : String(r.queue.dead);
    v[`r:${r.id}:error`] = errText(r.lastError);
    v[`r:${r.id}:health`] = r.health.state;
  }
  return v;
}

export function renderDashboard(ctx: PageContext, m: DashboardModel): Html {
  const b = ctx.base;
  const v = liveValues(m);
  const live = (key: string, cls = '') => html`<span data-live="${key}"${cls ? html` class="${cls}"` : ''}>${v[key] ?? ''}</span>`;
  const pair = (prefix: string, link?: string) =>
    html`<td class="num">${link ? html`<a href="${link}">${live(`${prefix}:hour`)}</a>` : live(`${prefix}:hour`)} <span class="muted">/ ${live(`${prefix}:day`)}</span></td>`;
  const msgs = (source: string, status?: string) => href(b, '/messages', { source, status });
  const dead = (route: string, status: string) => href(b, '/dead', { route, status });
  return page(
    { ...ctx, section: 'dashboard' },
    { title: 'Dashboard', live: `${b}/events` },
    html`
<section aria-labelledby="h-now" class="cards">
  <h2 id="h-now" class="sr-only">Throughput</h2>
  <div class="card"><div class="big">${live('rate:messages')}</div><div>messages in per minute (last 5 min)</div></div>
  <div class="card"><div class="big">${live('rate:delivered')}</div><div>deliveries per minute (last 5 min)</div></div>
  <div class="card"><div>Updated ${live('at')} UTC</div><button type="button" class="link" data-live-toggle aria-pressed="false">Pause live updates</button></div>
</section>

<section aria-labelledby="h-sources">
<h2 id="h-sources">Sources</h2>
<p class="hint">Counts of messages received in the <strong>last hour / last day</strong>, by their status now. Select a number to see those messages.</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Source</th><th scope="col">Total</th><th scope="col">Done</th><th scope="col">In flight</th><th scope="col">Rejected</th><th scope="col">Dead</th><th scope="col">Withheld</th><th scope="col">Last message</th><th scope="col">Last rejection</th><th scope="col">Adapter health</th></tr></thead>
<tbody>
${m.sources.map(
  (s) => html`<tr>
  <th scope="row"><a href="${msgs(s.id)}">${s.id}</a><div class="muted small">${s.institution} · ${s.system} · mapping ${s.mappingSet}</div></th>
  ${pair(`s:${s.id}:total`, msgs(s.id))}
  ${pair(`s:${s.id}:done`)}
  ${pair(`s:${s.id}:flight`)}
  ${pair(`s:${s.id}:rejected`, msgs(s.id, 'rejected'))}
  ${pair(`s:${s.id}:dead`, msgs(s.id, 'dead'))}
  ${pair(`s:${s.id}:withheld`, msgs(s.id, 'withheld'))}
  <td>${live(`s:${s.id}:last`)}</td>
  <td class="err">${s.lastError?.messageId ? html`<a href="${b}/messages/${seg(s.lastError.messageId)}">${live(`s:${s.id}:error`)}</a>` : live(`s:${s.id}:error`)}</td>
  <td>${live(`s:${s.id}:health`, `health h-${s.health?.state ?? 'unknown'}`)}${s.health?.detail ? html`<div class="muted small">${s.health.detail}</div>` : ''}${
    s.health?.lastSuccessAt ? html`<div class="muted small">last success ${time(s.health.lastSuccessAt)}</div>` : ''
  }</td>
</tr>`,
)}
</tbody></table></div>
</section>

<section aria-labelledby="h-routes">
<h2 id="h-routes">Routes</h2>
<p class="hint">Deliveries of changes made in the <strong>last hour / last day</strong>, by their status now; the queue depth is the broker's now.</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Route → sink</th><th scope="col">Delivered</th><th scope="col">Pending</th><th scope="col">Retrying</th><th scope="col">Dead</th><th scope="col">Withheld</th><th scope="col">Queue ready</th><th scope="col">Dead-letter queue</th><th scope="col">Last error</th><th scope="col">Sink health</th></tr></thead>
<tbody>
${m.routes.map(
  (r) => html`<tr>
  <th scope="row">${r.id} <span class="muted">→ ${r.sink}</span></th>
  ${pair(`r:${r.id}:delivered`)}
  ${pair(`r:${r.id}:pending`)}
  ${pair(`r:${r.id}:retrying`)}
  ${pair(`r:${r.id}:dead`, dead(r.id, 'dead'))}
  ${pair(`r:${r.id}:withheld`, dead(r.id, 'withheld'))}
  <td class="num">${live(`r:${r.id}:ready`)}</td>
  <td class="num">${live(`r:${r.id}:dlq`)}${'error' in r.queue ? html`<div class="muted small">${r.queue.error}</div>` : ''}</td>
  <td class="err">${r.lastError?.messageId ? html`<a href="${b}/messages/${seg(r.lastError.messageId)}">${live(`r:${r.id}:error`)}</a>` : live(`r:${r.id}:error`)}</td>
  <td>${live(`r:${r.id}:health`, `health h-${r.health.state}`)}${r.health.detail ? html`<div class="muted small">${r.health.detail}</div>` : ''}</td>
</tr>`,
)}
</tbody></table></div>
</section>

${m.ewpPartners ? renderEwpPartners(b, m.ewpPartners) : ''}
<section aria-labelledby="h-tools">
<h2 id="h-tools">Tools</h2>
<ul class="links">
  <li><a href="${b}/messages?status=rejected">Rejected messages</a>: why a record was not accepted, and replay after a fix</li>
  <li><a href="${b}/dead">Dead letters and withheld deliveries</a></li>
  <li><a href="${b}/mappings">Mappings</a>: golden tests, try a mapping on a record</li>
  <li><a href="/flows">Node-RED editor</a> · <a href="/api/docs">API docs</a> · <a href="/metrics">/metrics</a> (Prometheus; needs a token with the metrics scope; <a href="${b}/metrics">read them here</a>)</li>
</ul>
</section>`,
  );
}

/** EWP partners whose calls fail now: who, which way, how many notifications wait, why, when next. */
function renderEwpPartners(base: string, list: readonly FailingPartner[]): Html {
  return html`
<section aria-labelledby="h-ewp">
<h2 id="h-ewp">EWP partners</h2>
<p><a href="${base}/ewp/nominations">Nominations received</a>: approve or reject the students other institutions nominated.</p>
${
  list.length === 0
    ? html`<p class="hint">Every EWP partner answered the last calls.</p>`
    : html`<p class="hint">Partners whose calls fail now; each is tried again with growing back-off (metric <code>hub_ewp_partner_failures_total</code>).</p>
<div class="scroll"><table>
<thead><tr><th scope="col">Partner</th><th scope="col">Calls</th><th scope="col">Waiting</th><th scope="col">Last error</th><th scope="col">Next attempt</th></tr></thead>
<tbody>
${list.map(
  (p) => html`<tr>
  <th scope="row">${p.partner}</th>
  <td>${p.direction === 'fetch' ? 'fetching what it announced' : 'announcing our changes to it'}</td>
  <td class="num">${String(p.waiting)}</td>
  <td class="err">${p.lastError}</td>
  <td>${p.nextAttemptAt ? time(p.nextAttemptAt) : '–'}</td>
</tr>`,
)}
</tbody></table></div>`
}
</section>`;
}
