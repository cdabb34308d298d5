import { fileURLToPath } from 'node:url';
import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { CONSOLE_CSP, securityHeaders } from '../api/security-headers.ts';
import { heavyRead } from '../api/heavy-reads.ts';
import { errorMessage, isHubError, NotFoundError } from '../core/errors.ts';
import { personalCodeForm } from '../core/personal-code.ts';
import type { AdminDeps } from './deps.ts';
import { authRoutes, pageContext } from './auth.ts';
import { AdapterHealth } from './health.ts';
import { html } from './html.ts';
import { notice, page } from './layout.ts';
import { LiveStreams } from './live.ts';
import { dashboardModel, liveValues, renderDashboard } from './pages/dashboard.ts';
import { parseDeadFilter, renderDead } from './pages/dead.ts';
import { renderNominations, type NominationsModel } from './pages/nominations.ts';
import { decideNomination } from '../ewp/incoming.ts';
import { goldenReport, inboundSets, renderGolden, renderMappings, renderTry, tryMapping, type TryInput } from './pages/mappings.ts';
import { liveMessageValues, loadMessage, renderMessage } from './pages/message.ts';
import { PAGE_SIZE, parseFilter, renderKeyResults, renderMessages } from './pages/messages.ts';
import { formIds, planReplays, renderConfirm, renderResults, runReplays } from './pages/replay.ts';
import { deadDeliveries, messagesByPersonalCode, searchMessages, UUID } from '../store/console-queries.ts';
import { AdminSessions } from './session.ts';

const STATIC_DIR = fileURLToPath(new URL('./static/', import.meta.url));

export interface AdminOptions {
  /** A session unused this long ends (default 30 minutes). */
  idleMs?: number;
  /** A session ends this long after sign-in (default 12 hours). */
  maxAgeMs?: number;
  /** Live updates: interval (default 3 s) and the length of one stream (default 25 s). */
  liveIntervalMs?: number;
  liveStreamMs?: number;
}

const wrap =
  (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
  (req, res, next) => {
    fn(req, res).catch(next);
  };

const one = (v: unknown): string => (typeof v === 'string' ? v : '');

/** Where Cancel goes from a confirmation: the console page the form came from, if it can be opened again. */
function backTo(req: Request): string {
  const fallback = `${req.baseUrl}/messages`;
  try {
    const from = new URL(req.get('referer') ?? '');
    const path = from.pathname;
    if (from.host !== req.get('host') || !path.startsWith(`${req.baseUrl}/`) || /\/(messages\/find|replay(\/confirm)?)$/.test(path)) return fallback;
    return path + from.search;
  } catch {
    return fallback;
  }
}

/**
 * The admin console at /admin: server-rendered pages, a session from an admin API token, CSRF
 * tokens on every form, live values over server-sent events. Mounted by createApp before /api.
 */
export function adminRouter(hub: AdminDeps, o: AdminOptions = {}): Router {
  const r = express.Router();
  const sessions = new AdminSessions(() => hub.store.sql, { idleMs: o.idleMs ?? 30 * 60_000, maxAgeMs: o.maxAgeMs ?? 12 * 3_600_000 });
  const live = new LiveStreams(sessions, { intervalMs: o.liveIntervalMs ?? 3000, streamMs: o.liveStreamMs ?? 25_000, maxStreams: 50 });
  const health = new AdapterHealth(hub);
  const send = (res: Response, body: { value: string }, status = 200) => {
    res.status(status).type('html').setHeader('Cache-Control', 'no-store');
    res.send(body.value);
  };

  r.use(securityHeaders(CONSOLE_CSP));
  r.use('/static', express.static(STATIC_DIR, { index: false, maxAge: '1h', fallthrough: false }));
  r.use(express.urlencoded({ extended: false, limit: '2mb', parameterLimit: 2000 }));
  const auth = authRoutes(hub, sessions);
  r.use(auth.router);
  r.use(auth.guard);

  // One dashboard read serves every live view open within a second of it.
  let shared: { at: number; model: ReturnType<typeof dashboardModel> } | undefined;
  const sharedModel = () => {
    if (!shared || Date.now() - shared.at > 1000) {
      const model = dashboardModel(hub, health);
      model.catch(() => (shared = undefined));
      shared = { at: Date.now(), model };
    }
    return shared.model;
  };
  r.get(
    '/',
    wrap(async (req, res) => send(res, renderDashboard(pageContext(req, res), await dashboardModel(hub, health)))),
  );
  r.get('/events', (req, res) => live.serve(req, res, async () => liveValues(await sharedModel())));

  r.get(
    '/messages',
    heavyRead(hub.heavyReads),
    wrap(async (req, res) => {
      const { filter, query, problems } = parseFilter(req.query as Record<string, unknown>);
      const rows = problems.length ? [] : await searchMessages(hub.store.sql, query);
      send(res, renderMessages(pageContext(req, res), hub, { filter, rows, problems }), problems.length ? 400 : 200);
    }),
  );

  r.post(
    '/messages/find',
    heavyRead(hub.heavyReads),
    wrap(async (req, res) => {
      const body = req.body as Record<string, unknown>;
      const key = one(body.key).trim();
      const before = one(body.before);
      const ctx = pageContext(req, res);
      if (!key || key.length > 64 || (before && !UUID.test(before))) {
        const { filter, problems } = parseFilter({});
        return send(res, renderMessages(ctx, hub, { filter, rows: [], problems: [...problems, 'Type a personal code or a student number (up to 64 characters).'] }), 400);
      }
      const isCode = personalCodeForm(key) !== undefined;
      const rows = isCode
        ? await messagesByPersonalCode(hub.store.sql, key, before || undefined, PAGE_SIZE)
        : await searchMessages(hub.store.sql, { businessKey: key, ...(before ? { before } : {}), limit: PAGE_SIZE });
      send(res, renderKeyResults(ctx, { key, kind: isCode ? 'personal code' : 'student number', rows }));
    }),
  );

  const message = async (req: Request) => {
    const id = String(req.params.id ?? '');
    const m = UUID.test(id) ? await hub.store.getMessage(id) : undefined;
    if (!m) throw new NotFoundError(`There is no message ${id}.`);
    return m;
  };

  r.get(
    '/messages/:id',
    wrap(async (req, res) => send(res, renderMessage(pageContext(req, res), await loadMessage(hub, await message(req))))),
  );
  r.get(
    '/messages/:id/raw',
    wrap(async (req, res) => {
      const m = await message(req);
      res.setHeader('Content-Disposition', `attachment; filename="message-${m.id}.txt"`);
      res.setHeader('Cache-Control', 'no-store');
      res.type('text/plain; charset=utf-8').send(m.raw ?? '');
    }),
  );
  r.get(
    '/messages/:id/events',
    wrap(async (req, res) => {
      const id = (await message(req)).id;
      live.serve(req, res, async () => {
        const m = await hub.store.getMessage(id);
        return m ? liveMessageValues(m, await hub.store.listDeliveries(id)) : {};
      });
    }),
  );

  const nominations = async (message?: NominationsModel['message']): Promise<NominationsModel> => {
    const node = hub.ewp;
    if (!node) throw new NotFoundError('EWP is not configured on this hub.');
    const heis = await Promise.all(
      [...node.settings.heis.values()].map(async (h) => ({
        id: h.id,
        incoming: (await node.copies('mobility-period', h)).filter((x) => x.data.receivingInstitution === h.id && x.sourceId.startsWith('omobility/')),
      })),
    );
    return { heis, ...(message ? { message } : {}) };
  };
  r.get(
    '/ewp/nominations',
    wrap(async (req, res) => send(res, renderNominations(pageContext(req, res), await nominations()))),
  );
  r.post(
    '/ewp/nominations/:hei/:id/:decision',
    wrap(async (req, res) => {
      const decision = String(req.params.decision);
      const node = hub.ewp;
      const hei = node?.settings.heis.get(String(req.params.hei));
      if (!node || !hei || (decision !== 'approve' && decision !== 'reject')) throw new NotFoundError('There is no such nomination decision.');
      const comment = one((req.body as Record<string, unknown>).comment).trim();
      let message: NominationsModel['message'];
      let status = 200;
      try {
        const m = await decideNomination(node, hei, String(req.params.id), decision, comment || undefined);
        message = {
          kind: 'ok',
          text: `Mobility ${String(m.data.omobilityId)}: ${decision === 'approve' ? 'approved' : 'rejected'}; ${String(m.data.sendingInstitution)} now shows it as ${String(m.data.status)}.`,
        };
      } catch (e) {
        status = isHubError(e) && e.status < 500 ? e.status : 502;
        message = { kind: 'error', text: `Not sent: ${errorMessage(e)}` };
      }
      send(res, renderNominations(pageContext(req, res), await nominations(message)), status);
    }),
  );

  r.post(
    '/replay',
    wrap(async (req, res) => {
      const { ids, problem } = formIds((req.body as Record<string, unknown>).ids);
      const ctx = pageContext(req, res);
      const back = backTo(req);
      if (problem) return send(res, page(ctx, { title: 'Replay' }, html`${notice('error', problem)}<p><a href="${back}">Back</a></p>`), 400);
      send(res, renderConfirm(ctx, await planReplays(hub, ids), back));
    }),
  );
  r.post(
    '/replay/confirm',
    wrap(async (req, res) => {
      const { ids, problem } = formIds((req.body as Record<string, unknown>).ids);
      const ctx = pageContext(req, res);
      if (problem) return send(res, page(ctx, { title: 'Replay' }, notice('error', problem)), 400);
      send(res, renderResults(ctx, await runReplays(hub, ids)));
    }),
  );

  r.get(
    '/dead',
    heavyRead(hub.heavyReads),
    wrap(async (req, res) => {
      const { filter, query, problems } = parseDeadFilter(req.query as Record<string, unknown>);
      const rows = problems.length ? [] : await deadDeliveries(hub.store.sql, query);
      send(res, renderDead(pageContext(req, res), hub, { filter, rows, problems }), problems.length ? 400 : 200);
    }),
  );

  r.get('/mappings', (req, res) => send(res, renderMappings(pageContext(req, res), hub)));
  r.get(
    '/mappings/golden',
    wrap(async (req, res) => {
      const set = one(req.query.set) || undefined;
      if (set !== undefined && !inboundSets(hub).includes(set)) throw new NotFoundError(`There is no inbound mapping set ${set}.`);
      send(res, renderGolden(pageContext(req, res), hub, set, await goldenReport(hub, set)));
    }),
  );

  const tryDefaults = (): TryInput => {
    const s = hub.config.sources[0];
    const set = s?.mappingSet ?? inboundSets(hub)[0] ?? '';
    return { set, entity: hub.mappings.entities(set)[0] ?? '', institution: s?.institution ?? hub.config.institutions[0]?.id ?? '', source: s?.id ?? '', record: '', expression: '' };
  };
  r.get(
    '/mappings/try',
    wrap(async (req, res) => {
      const t = tryDefaults();
      const id = one(req.query.message);
      if (id) {
        const m = UUID.test(id) ? await hub.store.getMessage(id) : undefined;
        if (!m) throw new NotFoundError(`There is no message ${id}.`);
        const s = hub.config.sources.find((x) => x.id === m.sourceId);
        Object.assign(t, { entity: m.entity, record: m.raw ?? '', messageId: m.id, source: m.sourceId }, s ? { set: s.mappingSet, institution: s.institution } : {});
      }
      send(res, renderTry(pageContext(req, res), hub, t, undefined, []));
    }),
  );
  r.post(
    '/mappings/try',
    wrap(async (req, res) => {
      const b = req.body as Record<string, unknown>;
      const t: TryInput = { set: one(b.set), entity: one(b.entity), institution: one(b.institution), source: one(b.source).trim(), record: one(b.record), expression: one(b.expression) };
      const problems: string[] = [];
      if (!inboundSets(hub).includes(t.set)) problems.push('Choose an inbound mapping set.');
      if (!hub.schemas.entities().includes(t.entity)) problems.push('Choose an entity.');
      if (!hub.config.institutions.some((i) => i.id === t.institution)) problems.push('Choose an institution.');
      if (!t.record.trim()) problems.push('Paste a record.');
      const outcome = problems.length ? undefined : await tryMapping(hub, t);
      if (outcome?.kind === 'mapping' && outcome.retryAfterSeconds !== undefined) res.setHeader('Retry-After', String(outcome.retryAfterSeconds));
      send(res, renderTry(pageContext(req, res), hub, t, outcome, problems), problems.length ? 400 : outcome?.kind === 'mapping' ? outcome.status : 200);
    }),
  );

  r.get(
    '/metrics',
    wrap(async (req, res) => {
      await hub.refreshGauges().catch(() => undefined);
      const text = await hub.metrics.registry.metrics();
      send(
        res,
        page(
          { ...pageContext(req, res), section: 'metrics' },
          { title: 'Metrics' },
          html`<p class="hint">What <code>/metrics</code> gives Prometheus (that endpoint needs a token with the <code>metrics</code> scope).</p><pre class="json" tabindex="0">${text}</pre>`,
        ),
      );
    }),
  );

  r.use((req, _res, next) => next(new NotFoundError(`There is no page ${req.originalUrl.split('?')[0] ?? ''}.`)));
  const errors: ErrorRequestHandler = (err: unknown, req, res, _next) => {
    const status = isHubError(err) ? err.status : typeof (err as { status?: unknown }).status === 'number' ? (err as { status: number }).status : 500;
    if (status >= 500 && !(isHubError(err) && err.retryable)) hub.logger.error({ err, method: req.method, path: req.path }, 'admin console error');
    if (res.headersSent) return void res.end();
    if (isHubError(err) && typeof err.extra.retryAfterSeconds === 'number') res.setHeader('Retry-After', String(err.extra.retryAfterSeconds));
    const text =
      status >= 500 && !(isHubError(err) && err.code === 'HUB_ERR_BUSY')
        ? 'Something went wrong; the hub logged the details.'
        : isHubError(err)
          ? err.message
          : status === 413
            ? 'The form is too large.'
            : 'The request could not be read.';
    const ctx = pageContext(req, res);
    if (!ctx.user) return void res.status(status).type('text/plain').send(text);
    send(res, page(ctx, { title: status === 404 ? 'Not found' : 'Error' }, html`${notice('error', text)}<p><a href="${ctx.base}/">Dashboard</a></p>`), status);
  };
  r.use(errors);
  return r;
}
