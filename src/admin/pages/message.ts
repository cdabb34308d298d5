import type { CanonicalRecord, JsonObject } from '../../core/types.ts';
import type { AdminDeps } from '../deps.ts';
import { jsonDiff, type Difference } from '../../mapping/diff.ts';
import type { AttemptRow, DeliveryRow, MessageHistoryRow, StoredMessage } from '../../store/types.ts';
import { href, html, seg, time, type Html } from '../html.ts';
import { anchorOf, jsonView, markShown, type Mark } from '../json-view.ts';
import { badge, csrfField, notice, page, type PageContext } from '../layout.ts';
import { recordIdByKey } from '../../store/console-queries.ts';
import { rejectionHint } from './rejection-hint.ts';

/** Raw payloads longer than this are shown shortened (the whole text is a download). */
export const RAW_SHOWN = 200_000;
/** Fields the hub adds to a stored record; left out of the message ↔ record diff. */
const HUB_FIELDS = new Set(['id', 'version']);

export interface Comparison {
  /** committed: the version this message made vs now; pending: what the message would change. */
  kind: 'committed' | 'pending';
  current: CanonicalRecord;
  madeVersion: number | null;
  diffs: Difference[];
}

export interface MessageDetail {
  m: StoredMessage;
  history: MessageHistoryRow[];
  deliveries: (DeliveryRow & { tries: AttemptRow[] })[];
  comparison: Comparison | undefined;
  /** Why there is no comparison. */
  noComparison: string | undefined;
}

const strip = (o: JsonObject) => Object.fromEntries(Object.entries(o).filter(([k]) => !HUB_FIELDS.has(k)));

export async function loadMessage(hub: Pick<AdminDeps, 'config' | 'store'>, m: StoredMessage): Promise<MessageDetail> {
  const { history, deliveries, attempts } = await hub.store.messageTrail(m.id);
  let comparison: Comparison | undefined;
  let noComparison: string | undefined;
  if (!m.canonical) noComparison = 'the mapping produced no canonical record for this message';
  else {
    let recordId = m.recordId ?? undefined;
    const source = hub.config.sources.find((s) => s.id === m.sourceId);
    if (!recordId && source && typeof m.canonical.sourceId === 'string') {
      recordId = await recordIdByKey(hub.store.sql, { entity: m.entity, institution: source.institution, sourceSystem: source.system ?? source.id, sourceId: m.canonical.sourceId });
    }
    const current = recordId ? await hub.store.getRecord(m.entity, recordId) : undefined;
    if (!current) noComparison = 'there is no stored record with this key yet';
    else {
      comparison = {
        kind: m.recordId ? 'committed' : 'pending',
        current,
        madeVersion: m.recordVersion,
        diffs: jsonDiff(strip(m.canonical), strip(current.data)),
      };
    }
  }
  return {
    m,
    history,
    deliveries: deliveries.map((d) => ({ ...d, tries: attempts.filter((a) => a.routeId === d.routeId && a.eventId === d.eventId) })),
    comparison,
    noComparison,
  };
}

/** What a replay of this message does, or undefined when there is nothing to replay. */
export function replayPlan(m: StoredMessage, deliveries: DeliveryRow[]): string | undefined {
  if (m.status === 'rejected') return 'runs the raw payload through the current mapping and validation again';
  const failed = deliveries.filter((d) => d.status === 'dead' || d.status === 'withheld').map((d) => d.routeId);
  if (failed.length) return `delivers again to ${failed.join(', ')}`;
  return undefined;
}

export function liveMessageValues(m: StoredMessage, deliveries: DeliveryRow[]): Record<string, string> {
  const v: Record<string, string> = { status: m.status };
  for (const d of deliveries) {
    v[`d:${d.routeId}:status`] = d.status;
    v[`d:${d.routeId}:attempts`] = String(d.attempts);
  }
  return v;
}

const show = (v: unknown) => (v === undefined ? 'missing' : JSON.stringify(v).slice(0, 300));

function parseRaw(raw: string | null): { ok: true; value: unknown } | { ok: false } {
  if (raw === null || raw.length > RAW_SHOWN) return { ok: false };
  try {
    return { ok: true, value: JSON.parse(raw) as unknown };
  } catch {
    return { ok: false };
  }
}

export function renderMessage(ctx: PageContext, d: MessageDetail): Html {
  const b = ctx.base;
  const m = d.m;
  const marks: Mark[] = m.errors.map((e) => ({ pointer: e.path, message: e.message }));
  const raw = parseRaw(m.raw);
  const inCanonical = (p: string) => m.canonical !== null && markShown(m.canonical, p, true);
  const inRaw = (p: string) => raw.ok && markShown(raw.value, p, false);
  const plan = replayPlan(m, d.deliveries);
  const self = `${b}/messages/${seg(m.id)}`;
  const liveVals = liveMessageValues(m, d.deliveries);
  const live = (k: string) => html`<span data-live="${k}">${liveVals[k] ?? ''}</span>`;

  const why =
    m.status === 'rejected' || m.errorCode
      ? html`<section aria-labelledby="h-why" class="why">
<h2 id="h-why">Why it was rejected</h2>
<p><strong>${m.errorCode ?? 'error'}</strong>: ${m.errorDetail ?? ''}</p>
${
  marks.length
    ? html`<ul class="violations">${marks.map(
        (v) =>
          html`<li><code>${v.pointer || '/'}</code> ${v.message}${
            inCanonical(v.pointer) ? html` · <a href="#${anchorOf('canon', v.pointer)}">show in the canonical record</a>` : ''
          }${inRaw(v.pointer) ? html` · <a href="#${anchorOf('raw', v.pointer)}">show in the raw payload</a>` : ''}</li>`,
      )}</ul>`
    : ''
}
${rejectionHint(m.errorCode, b, m.id)}
</section>`
      : '';

  const replay = plan
    ? html`<form method="post" action="${b}/replay" class="inline">${csrfField(ctx)}<input type="hidden" name="ids" value="${m.id}"><button type="submit">Replay…</button> <span class="hint">A replay ${plan}; you confirm first.</span></form>`
    : html`<p class="hint">Nothing to replay: only rejected messages and messages with dead or withheld deliveries can be replayed.</p>`;

  const comparison = d.comparison
    ? html`<p>${
        d.comparison.kind === 'committed'
          ? html`This message made version <strong>${d.comparison.madeVersion ?? '?'}</strong> of record <code>${d.comparison.current.id}</code>; the current version is <strong>${d.comparison.current.version}</strong>.`
          : html`This message has not been committed; the stored record <code>${d.comparison.current.id}</code> (version <strong>${d.comparison.current.version}</strong>) has the same key. The differences are what it would change.`
      }</p>
${
  d.comparison.diffs.length === 0
    ? html`<p class="ok-text">The current record has the same content as this message (hub fields id and version aside).</p>`
    : html`<div class="scroll"><table class="diff"><caption>Differences, ${d.comparison.diffs.length}</caption><thead><tr><th scope="col">Path</th><th scope="col">In this message</th><th scope="col">In the current record</th></tr></thead><tbody>${d.comparison.diffs.map(
        (x) => html`<tr><td><code>${x.path}</code></td><td class="del"><code>${show(x.expected)}</code></td><td class="ins"><code>${show(x.actual)}</code></td></tr>`,
      )}</tbody></table></div>`
}`
    : html`<p class="muted">No comparison: ${d.noComparison ?? ''}.</p>`;

  return page(
    { ...ctx, section: 'messages' },
    { title: `Message ${m.id}`, live: `${self}/events` },
    html`
<div class="live-note" data-live-notice hidden>${notice('info', html`This message changed. <a href="${self}">Reload</a> to see the details.`)}</div>
<dl class="facts">
  <div><dt>Status</dt><dd>${badge(m.status, 'status')}</dd></div>
  <div><dt>Source</dt><dd><a href="${href(b, '/messages', { source: m.sourceId })}">${m.sourceId}</a></dd></div>
  <div><dt>Entity</dt><dd>${m.entity}</dd></div>
  <div><dt>Institution</dt><dd>${m.institution ?? '–'}</dd></div>
  <div><dt>Business key</dt><dd>${m.businessKey ?? '–'}</dd></div>
  <div><dt>Record</dt><dd>${m.recordId ? html`<code>${m.recordId}</code> v${m.recordVersion ?? '?'}` : '–'}</dd></div>
  <div><dt>Received</dt><dd>${time(m.createdAt)}</dd></div>
  <div><dt>Updated</dt><dd>${time(m.updatedAt)}</dd></div>
</dl>
${replay}
${why}
<div class="grid2">
<section aria-labelledby="h-raw">
<h2 id="h-raw">Raw payload</h2>
<p class="muted small">${m.contentType ?? 'no content type'} · ${m.rawSize} bytes · <a href="${self}/raw">download</a></p>
${
  m.raw === null
    ? html`<p class="muted">The payload could not be read as text.</p>`
    : raw.ok
      ? jsonView(raw.value, marks, { prefix: 'raw', showMissing: false, label: 'at this path in the canonical record: ' })
      : html`<pre class="json" tabindex="0">${m.raw.length > RAW_SHOWN ? `${m.raw.slice(0, RAW_SHOWN)}… (shortened; download the whole payload)` : m.raw}</pre>`
}
</section>
<section aria-labelledby="h-canon">
<h2 id="h-canon">Canonical record</h2>
${m.canonical ? html`<p class="muted small">What the mapping made of it${marks.length ? '; marked fields fail validation' : ''}.</p>${jsonView(m.canonical, marks, { prefix: 'canon' })}` : html`<p class="muted">None: the mapping did not produce a record.</p>`}
</section>
</div>
<section aria-labelledby="h-diff">
<h2 id="h-diff">This message and the current record</h2>
${comparison}
</section>
<section aria-labelledby="h-deliveries">
<h2 id="h-deliveries">Deliveries</h2>
${
  d.deliveries.length === 0
    ? html`<p class="muted">No deliveries${m.status === 'rejected' ? ' (the message was not committed)' : ''}.</p>`
    : d.deliveries.map(
        (x) => html`<h3>Route ${x.routeId}: ${badge(x.status, `d:${x.routeId}:status`)} <span class="muted small">${live(`d:${x.routeId}:attempts`)} attempt(s)</span></h3>
${x.lastError ? html`<p class="err">Last error: ${x.lastError}</p>` : ''}
${
  x.tries.length
    ? html`<div class="scroll"><table class="attempts"><caption class="sr-only">Attempts of route ${x.routeId}</caption><thead><tr><th scope="col">#</th><th scope="col">At (UTC)</th><th scope="col">Outcome</th><th scope="col">Duration</th><th scope="col">Error</th><th scope="col">Receiver said</th></tr></thead><tbody>${x.tries.map(
        (a) =>
          html`<tr><td>${a.attempt}</td><td>${time(a.at)}</td><td>${badge(a.outcome)}</td><td class="num">${a.durationMs} ms</td><td class="err">${a.error ?? ''}</td><td>${a.detail ?? ''}</td></tr>`,
      )}</tbody></table></div>`
    : html`<p class="muted small">No attempt yet.</p>`
}`,
      )
}
</section>
<section aria-labelledby="h-history">
<h2 id="h-history">History</h2>
<div class="scroll"><table><thead><tr><th scope="col">At (UTC)</th><th scope="col">Status</th><th scope="col">Detail</th></tr></thead>
<tbody>${d.history.map((h) => html`<tr><td>${time(h.at)}</td><td>${badge(h.status)}</td><td>${h.detail ?? ''}</td></tr>`)}</tbody></table></div>
</section>`,
  );
}
