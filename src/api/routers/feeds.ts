import express, { type Request, type Router } from 'express';
import { hasScope, requireScope, type Principal } from '../../auth/tokens.ts';
import { BadRequestError, ForbiddenError, NotFoundError, UnauthorizedError } from '../../core/errors.ts';
import { FULL_VIEW, type ConsumerView } from '../../feeds/consumers.ts';
import { pageETag, parseCursor, parseLimit, readFeed } from '../../feeds/feed.ts';
import type { ApiDeps } from '../deps.ts';
import { pageCacheOf } from '../../feeds/page-cache.ts';
import { fullViewPolicy, type DisclosurePolicy } from '../../privacy/config.ts';
import type { ChangeEvent } from '../../core/types.ts';
import { asyncHandler, param } from '../context.ts';

const CLOSE = Buffer.from('}');

function authenticated(req: Request): Principal {
  if (!req.principal) throw new UnauthorizedError('credentials required: send Authorization: Bearer <token>');
  return req.principal;
}

function queryOnce(req: Request, name: string): string | undefined {
  const v = req.query[name];
  if (v === undefined) return undefined;
  if (typeof v !== 'string') throw new BadRequestError(`query parameter '${name}' must be given once`, { violations: [{ path: `/query/${name}`, message: 'given more than once' }] });
  return v;
}

/**
 * Which view a request reads with: ?consumer=<id> (needs feed:<id>); else the token's one feed:<id>
 * scope; else, with read:<entity> or admin, the full view.
 */
export function resolveView(hub: Pick<ApiDeps, 'consumers' | 'schemas' | 'privacy' | 'store'>, req: Request, entity: string | undefined): ConsumerView {
  const p = authenticated(req);
  const named = queryOnce(req, 'consumer');
  let id = named;
  if (id === undefined) {
    const own = p.scopes.filter((s) => s.startsWith('feed:') && s !== 'feed:*').map((s) => s.slice(5));
    if (own.length > 1)
      throw new BadRequestError(`this token reads as several consumers (${own.join(', ')}): name one with ?consumer=`, { violations: [{ path: '/query/consumer', message: 'required' }] });
    id = own[0];
  } else requireScope(p, `feed:${id}`);
  if (id === undefined) {
    // No consumer: the full view, for tokens that may read the entity's records anyway.
    if (!hasScope(p, entity ? `read:${entity}` : 'admin')) throw new ForbiddenError(`this token has neither a feed:<consumer> scope nor ${entity ? `read:${entity}` : 'admin'}`);
    return FULL_VIEW;
  }
  const view = hub.consumers.get(id);
  if (!view) throw named === undefined ? new ForbiddenError(`the token's consumer '${id}' is not configured`) : new NotFoundError(`no consumer '${id}'`);
  if (entity && view.entities && !view.entities.has(entity)) throw new ForbiddenError(`consumer '${id}' does not receive '${entity}'`);
  return view;
}

/** Whom a feed page is disclosed to: the consumer, or for the full view the token (administrative access). */
function feedPolicy(view: ConsumerView, p: Principal): DisclosurePolicy {
  return view.policy ? view.policy(`feed:${view.id}`) : fullViewPolicy(`feed:*:${p.tokenId}`, `token:${p.name}`);
}

/**
 * GET /api/v1/feeds: which feeds the caller can read. GET /api/v1/feeds/{entity}?after=&limit=: change
 * events (upserts, deletes, key changes) in the order of the global change sequence, with the next
 * cursor; per consumer (entities, institutions, fields; consent and disclosure log: docs/privacy.md);
 * ETag and 304.
 */
export function feedsRouter(hub: Pick<ApiDeps, 'consumers' | 'schemas' | 'privacy' | 'store'>): Router {
  const r = express.Router();
  const pages = pageCacheOf(hub);

  r.get(
    '/feeds',
    asyncHandler(async (req, res) => {
      const p = authenticated(req);
      const all = hub.schemas.entities();
      const named = queryOnce(req, 'consumer');
      const ids = named !== undefined ? [named] : p.scopes.filter((s) => s.startsWith('feed:') && s !== 'feed:*').map((s) => s.slice(5));
      const consumers = ids.map((id) => {
        requireScope(p, `feed:${id}`);
        const v = hub.consumers.get(id);
        if (!v) throw new NotFoundError(`no consumer '${id}'`);
        return { id, entities: v.entities ? [...v.entities] : all, institutions: v.institutions ?? null };
      });
      const readable = all.filter((e) => hasScope(p, `read:${e}`));
      res.json({ consumers, fullView: readable, cursor: 'opaque: pass `next` back as `after`' });
    }),
  );

  r.get(
    '/feeds/:entity',
    asyncHandler(async (req, res) => {
      const entity = param(req, 'entity');
      if (!hub.schemas.entities().includes(entity)) throw new NotFoundError(`unknown entity '${entity}'`);
      const view = resolveView(hub, req, entity);
      const policy = feedPolicy(view, authenticated(req));
      const screen = (events: ChangeEvent[]) => hub.privacy.screen(policy, events).then((s) => s.pass);
      const q = { entity, after: parseCursor(queryOnce(req, 'after')), limit: parseLimit(queryOnce(req, 'limit')), view, screen };
      const page = await readFeed(hub.store.sql, q, pages);
      // Logged before the page goes out: a page that cannot be logged is not served. A cached page
      // remembers the channels whose entries for it are in the log already (the log only grows).
      if (!page.logged?.has(policy.channel)) {
        await hub.privacy.disclosed(policy, page.disclosed);
        page.logged?.add(policy.channel);
      }
      const etag = pageETag(q, page);
      res.setHeader('ETag', etag);
      res.setHeader('Cache-Control', 'private, no-cache');
      const nextUrl = `${req.baseUrl}/feeds/${entity}?after=${page.next}&limit=${q.limit}${view === FULL_VIEW || queryOnce(req, 'consumer') === undefined ? '' : `&consumer=${view.id}`}`;
      res.setHeader('Link', `<${nextUrl}>; rel="next"`);
      const inm = req.headers['if-none-match'];
      if (inm && inm.split(',').some((t) => t.trim() === etag || t.trim() === `W/${etag}`)) {
        res.status(304).end();
        return;
      }
      const head = { entity, consumer: view === FULL_VIEW ? null : view.id, after: String(q.after), next: String(page.next), hasMore: page.hasMore };
      // A cached full page: its items' bytes as made when it was first read for this view.
      if (page.itemsBytes !== undefined) res.type('application/json').send(Buffer.concat([Buffer.from(`${JSON.stringify(head).slice(0, -1)},"items":`), page.itemsBytes, CLOSE]));
      else res.json({ ...head, items: page.items });
    }),
  );
  return r;
}
