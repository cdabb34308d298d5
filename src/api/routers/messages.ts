import express, { type Router } from 'express';
import { BadRequestError, NotFoundError } from '../../core/errors.ts';
import { MESSAGE_STATUSES, type MessageStatus } from '../../core/types.ts';
import type { ApiDeps } from '../deps.ts';
import type { MessageFilter, StoredMessage } from '../../store/types.ts';
import { asyncHandler, param, scope } from '../context.ts';
import { heavyRead } from '../heavy-reads.ts';

/** The most messages one page gives (a larger `limit`, up to 1000, is served as this many, with `next`). */
export const MAX_PAGE = 500;

function summary(m: StoredMessage) {
  return {
    id: m.id,
    sourceId: m.sourceId,
    entity: m.entity,
    institution: m.institution,
    status: m.status,
    rawSize: m.rawSize,
    recordId: m.recordId,
    recordVersion: m.recordVersion,
    errorCode: m.errorCode,
    errorDetail: m.errorDetail,
    createdAt: m.createdAt,
    updatedAt: m.updatedAt,
  };
}

function one(q: unknown, name: string): string | undefined {
  if (q === undefined) return undefined;
  if (typeof q !== 'string') throw new BadRequestError(`query parameter '${name}' must be given once`);
  return q;
}

/** Message browser for admins: list, inspect and replay. */
export function messagesRouter(hub: Pick<ApiDeps, 'heavyReads' | 'store' | 'replay'>): Router {
  const r = express.Router();
  r.use('/messages', scope('admin'));

  r.get(
    '/messages',
    heavyRead(hub.heavyReads),
    asyncHandler(async (req, res) => {
      const q = req.query;
      const status = one(q.status, 'status');
      if (status !== undefined && !MESSAGE_STATUSES.includes(status as MessageStatus)) {
        throw new BadRequestError(`unknown status '${status}'`, { violations: [{ path: '/query/status', message: `must be one of ${MESSAGE_STATUSES.join(', ')}` }] });
      }
      const limitText = one(q.limit, 'limit') ?? '50';
      const limit = Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > 1000)
        throw new BadRequestError('limit must be an integer from 1 to 1000', { violations: [{ path: '/query/limit', message: 'must be 1..1000' }] });
      const since = one(q.since, 'since');
      if (since !== undefined && Number.isNaN(Date.parse(since))) throw new BadRequestError('since must be an ISO 8601 time', { violations: [{ path: '/query/since', message: 'not a date-time' }] });
      const filter: MessageFilter = { limit: Math.min(limit, MAX_PAGE), summaryOnly: true };
      const set = <K extends keyof MessageFilter>(k: K, v: MessageFilter[K] | undefined) => {
        if (v !== undefined) filter[k] = v;
      };
      set('status', status as MessageStatus | undefined);
      set('sourceId', one(q.source, 'source'));
      set('entity', one(q.entity, 'entity'));
      set('institution', one(q.institution, 'institution'));
      set('since', since === undefined ? undefined : new Date(since).toISOString());
      set('before', one(q.before, 'before'));
      const items = await hub.store.listMessages(filter);
      const last = items[items.length - 1];
      res.json({ items: items.map(summary), next: items.length === filter.limit && last ? last.id : null });
    }),
  );

  r.get(
    '/messages/:id',
    asyncHandler(async (req, res) => {
      const id = param(req, 'id');
      const m = await hub.store.getMessage(id);
      if (!m) throw new NotFoundError(`no message ${id}`);
      const { history, deliveries, attempts } = await hub.store.messageTrail(id);
      res.json({
        ...summary(m),
        contentType: m.contentType,
        raw: m.raw,
        canonical: m.canonical,
        errors: m.errors.map((v) => ({ pointer: v.path, message: v.message })),
        businessKey: m.businessKey,
        eventId: m.eventId,
        history,
        deliveries: deliveries.map((d) => ({ ...d, attempts: attempts.filter((a) => a.routeId === d.routeId && a.eventId === d.eventId) })),
      });
    }),
  );

  r.post(
    '/messages/:id/replay',
    asyncHandler(async (req, res) => {
      const { message, replayed } = await hub.replay(param(req, 'id'));
      res.json({ id: message.id, status: message.status, replayed, errorCode: message.errorCode, errorDetail: message.errorDetail });
    }),
  );

  /** Replays many: { "ids": [...] }. Each result says what happened; one failure does not stop the rest. */
  r.post(
    '/messages/replay',
    asyncHandler(async (req, res) => {
      const ids = (req.body as { ids?: unknown } | undefined)?.ids;
      if (!Array.isArray(ids) || ids.length === 0 || ids.length > 1000 || ids.some((x) => typeof x !== 'string' || x.length > 64)) {
        throw new BadRequestError('body must be {"ids": [message ids]} with 1 to 1000 ids', {
          violations: [{ path: '/ids', message: 'array of 1..1000 message ids (strings of at most 64 characters)' }],
        });
      }
      const results = [];
      for (const id of ids as string[]) {
        try {
          const { message, replayed } = await hub.replay(id);
          results.push({ id, ok: true, status: message.status, replayed });
        } catch (e) {
          results.push({ id, ok: false, error: (e as Error).message });
        }
      }
      res.json({ results });
    }),
  );
  return r;
}
