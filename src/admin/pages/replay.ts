import { errorMessage } from '../../core/errors.ts';
import type { AdminDeps } from '../deps.ts';
import type { StoredMessage } from '../../store/types.ts';
import { html, seg, type Html } from '../html.ts';
import { badge, csrfField, notice, page, type PageContext } from '../layout.ts';
import { UUID } from '../../store/console-queries.ts';
import { replayPlan } from './message.ts';

/** Most messages one confirmation replays. */
export const MAX_REPLAY = 200;

/** The ids of a form (one or many `ids` fields), checked and without repeats. */
export function formIds(v: unknown): { ids: string[]; problem?: string } {
  const list = (Array.isArray(v) ? v : v === undefined ? [] : [v]).map(String);
  const ids = [...new Set(list)];
  if (ids.length === 0) return { ids, problem: 'Select at least one message.' };
  if (ids.length > MAX_REPLAY) return { ids: [], problem: `Select at most ${MAX_REPLAY} messages at a time.` };
  if (ids.some((id) => !UUID.test(id))) return { ids: [], problem: 'The form named something that is not a message id.' };
  return { ids };
}

export interface PlannedReplay {
  id: string;
  message: StoredMessage | undefined;
  plan: string | undefined;
}

export async function planReplays(hub: Pick<AdminDeps, 'store' | 'replay'>, ids: string[]): Promise<PlannedReplay[]> {
  const out: PlannedReplay[] = [];
  for (const id of ids) {
    const message = await hub.store.getMessage(id);
    out.push({ id, message, plan: message ? replayPlan(message, await hub.store.listDeliveries(id)) : undefined });
  }
  return out;
}

export function renderConfirm(ctx: PageContext, planned: PlannedReplay[], back: string): Html {
  const b = ctx.base;
  const go = planned.filter((p) => p.plan);
  return page(
    ctx,
    { title: 'Confirm replay' },
    html`
${go.length === 0 ? notice('error', 'None of the selected messages can be replayed: only rejected messages and messages with dead or withheld deliveries can.') : ''}
<div class="scroll"><table>
<caption>${go.length} of ${planned.length} selected message(s) will be replayed</caption>
<thead><tr><th scope="col">Message</th><th scope="col">Source / entity</th><th scope="col">Status</th><th scope="col">A replay</th></tr></thead>
<tbody>${planned.map(
      (p) => html`<tr>
  <td><a href="${b}/messages/${seg(p.id)}"><code>${p.id}</code></a></td>
  <td>${p.message ? `${p.message.sourceId} / ${p.message.entity}` : '–'}</td>
  <td>${p.message ? badge(p.message.status) : 'not found'}</td>
  <td>${p.plan ?? html`<span class="muted">is skipped: nothing to replay</span>`}</td>
</tr>`,
    )}</tbody></table></div>
${
  go.length
    ? html`<form method="post" action="${b}/replay/confirm" class="confirm">
${csrfField(ctx)}
${go.map((p) => html`<input type="hidden" name="ids" value="${p.id}">`)}
<button type="submit" class="primary">Replay ${go.length} message(s)</button>
<a href="${back}">Cancel</a>
</form>`
    : html`<p><a href="${back}">Back</a></p>`
}`,
  );
}

export interface ReplayResult {
  id: string;
  ok: boolean;
  status?: string;
  replayed?: string[];
  error?: string;
}

export async function runReplays(hub: Pick<AdminDeps, 'store' | 'replay'>, ids: string[]): Promise<ReplayResult[]> {
  const results: ReplayResult[] = [];
  for (const id of ids) {
    try {
      const { message, replayed } = await hub.replay(id);
      results.push({
        id,
        ok: message.status !== 'rejected',
        status: message.status,
        replayed,
        ...(message.status === 'rejected' ? { error: `still rejected: ${message.errorCode ?? ''} ${message.errorDetail ?? ''}` } : {}),
      });
    } catch (e) {
      results.push({ id, ok: false, error: errorMessage(e) });
    }
  }
  return results;
}

export function renderResults(ctx: PageContext, results: ReplayResult[]): Html {
  const b = ctx.base;
  const ok = results.filter((r) => r.ok).length;
  return page(
    ctx,
    { title: 'Replay results' },
    html`
${notice(ok === results.length ? 'ok' : 'error', `${ok} of ${results.length} message(s) replayed.`)}
<div class="scroll"><table>
<thead><tr><th scope="col">Message</th><th scope="col">Status now</th><th scope="col">What ran</th><th scope="col">Problem</th></tr></thead>
<tbody>${results.map(
      (r) => html`<tr>
  <td><a href="${b}/messages/${seg(r.id)}"><code>${r.id}</code></a></td>
  <td>${r.status ? badge(r.status) : '–'}</td>
  <td>${r.replayed ? r.replayed.map((x) => (x === 'pipeline' ? 'mapping and validation' : `delivery to ${x}`)).join(', ') : '–'}</td>
  <td class="err">${r.error ?? ''}</td>
</tr>`,
    )}</tbody></table></div>
<p class="hint">A committed message is delivered by its routes in the background; open it to follow its deliveries live.</p>
<p><a href="${b}/messages">Messages</a> · <a href="${b}/dead">Dead letters</a></p>`,
  );
}
