import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import type { JsonObject } from '../../core/types.ts';
import type { CatalogueItem, CatalogueKind, CatalogueQuery } from '../model.ts';
import { rateLimit } from '../../api/rate-limit.ts';
import type { CatalogueStore } from '../store.ts';
import { refKey } from '../project.ts';
import { BadRequestError, NotFoundError } from '../../core/errors.ts';
import { collectionQuery, expands, onlyParams, preferredLanguage } from './params.ts';
import { academicSessionOf, courseOf, offeringOf, organizationId, organizationOf, programOf, type Institution, type ShapeContext } from './shapes.ts';

export interface OoapiOptions {
  store: CatalogueStore;
  institutions: readonly Institution[];
  logger: Logger;
  requestsPerMinute: number;
  maxAgeSeconds: number;
  contactEmail: string;
}

/** OOAPI's error object (application/problem+json, status as a string). */
function problem(res: Response, status: number, title: string, detail?: string, extra: JsonObject = {}): void {
  res
    .status(status)
    .type('application/problem+json')
    .json({ status: String(status), title, ...(detail ? { detail } : {}), ...extra });
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * OOAPI 5 over the catalogue (docs/catalogue.md): public, read-only, no personal data. Paging, sort,
 * q, expand and the filters of the spec, plus the catalogue's own (institution, eqfLevel, credits,
 * academicSession, openToOtherInstitutions, microCredential). Responses carry ETag and Cache-Control;
 * each client address has a rate limit.
 */
export function ooapiRouter(o: OoapiOptions): Router {
  const r = express.Router();
  r.use(
    rateLimit(o.requestsPerMinute, (res, retryAfter) => {
      res.setHeader('Retry-After', String(retryAfter));
      problem(res, 429, 'Too many requests', `at most ${o.requestsPerMinute} requests a minute from one address; try again in ${retryAfter} s`);
    }),
  );
  r.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      problem(res, 405, 'Method not allowed', 'the catalogue is read-only');
      return;
    }
    res.setHeader('Cache-Control', `public, max-age=${o.maxAgeSeconds}`);
    res.setHeader('Vary', 'Accept-Language');
    next();
  });
  const byOrg = new Map(o.institutions.map((i) => [organizationId(i.id), i]));
  const ctx = (req: Request): ShapeContext => ({ lang: preferredLanguage(req), baseUrl: `${req.protocol}://${req.get('host') ?? 'localhost'}` });
  const send = (req: Request, res: Response, body: unknown) => {
    res.setHeader('Content-Language', preferredLanguage(req));
    res.json(body);
  };

  const item = async (kind: CatalogueKind, id: string, what: string): Promise<CatalogueItem> => {
    const found = UUID.test(id) ? await o.store.get(kind, id) : undefined;
    if (!found) throw new NotFoundError(`no ${what} ${id}`);
    return found;
  };
  const shape = async (it: CatalogueItem, c: ShapeContext, expand: string[] = []): Promise<JsonObject> => {
    if (it.kind === 'course') {
      const out = courseOf(it, c);
      if (expand.includes('organization')) {
        const inst = o.institutions.find((i) => i.id === it.institution);
        if (inst) out.organization = organizationOf(inst);
      }
      if (expand.includes('programs')) {
        out.programs = (await o.store.programmesOf(it, c.lang === 'en' ? 'en' : 'lv')).map((p) => programOf(p, c));
      }
      return out;
    }
    if (it.kind === 'programme') {
      const out = programOf(it, c);
      if (expand.includes('organization')) {
        const inst = o.institutions.find((i) => i.id === it.institution);
        if (inst) out.organization = organizationOf(inst);
      }
      return out;
    }
    if (it.kind === 'academic-term') return academicSessionOf(it, c);
    const courseKey = refKey(it.record.course, it.institution);
    const [course] = courseKey ? await o.store.byKeys('course', [courseKey]) : [];
    const termKey = refKey(it.record.term, it.institution);
    const [term] = termKey ? await o.store.byKeys('academic-term', [termKey]) : [];
    const out = offeringOf(it, course, term, c);
    if (expand.includes('course') && course) out.course = courseOf(course, c);
    if (expand.includes('academicSession') && term) out.academicSession = academicSessionOf(term, c);
    return out;
  };
  const page = async (req: Request, res: Response, q: CatalogueQuery & { pageSize: number; pageNumber: number }, extra: Partial<CatalogueQuery> = {}) => {
    const c = ctx(req);
    const result = await o.store.search({ ...q, ...extra, lang: c.lang === 'en' ? 'en' : 'lv' });
    const totalPages = Math.max(1, Math.ceil(result.total / q.pageSize));
    const items = await Promise.all(result.items.map((it) => shape(it, c)));
    send(req, res, { pageSize: q.pageSize, pageNumber: q.pageNumber, hasPreviousPage: q.pageNumber > 1, hasNextPage: q.pageNumber < totalPages, totalPages, items });
  };
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);
  const orgOf = (id: string): Institution => {
    const inst = byOrg.get(id);
    if (!inst) throw new NotFoundError(`no organization ${id}`);
    return inst;
  };

  r.get(
    '/',
    handle(async (req, res) => {
      onlyParams(req, []);
      const base = ctx(req).baseUrl;
      send(req, res, {
        contactEmail: o.contactEmail,
        specification: 'https://open-education-api.github.io/specification/v5/docs.html',
        documentation: `${base}/catalogue/about`,
      });
    }),
  );

  r.get(
    '/organizations',
    handle(async (req, res) => {
      const q = collectionQuery(req, 'programme', 'organizationId', { filters: false, expand: [] });
      const all = o.institutions.filter((i) => !q.q || i.name.toLowerCase().includes(q.q.toLowerCase()) || i.id.includes(q.q.toLowerCase()));
      const items = all.slice(q.offset, q.offset + q.pageSize).map(organizationOf);
      const totalPages = Math.max(1, Math.ceil(all.length / q.pageSize));
      send(req, res, { pageSize: q.pageSize, pageNumber: q.pageNumber, hasPreviousPage: q.pageNumber > 1, hasNextPage: q.pageNumber < totalPages, totalPages, items });
    }),
  );
  r.get(
    '/organizations/:id',
    handle(async (req, res) => {
      onlyParams(req, ['expand']);
      expands(req, ['parent', 'children']);
      send(req, res, organizationOf(orgOf(req.params.id!)));
    }),
  );
  for (const [path, kind, idName] of [
    ['programs', 'programme', 'programId'],
    ['courses', 'course', 'courseId'],
    ['offerings', 'offering', 'offeringId'],
  ] as const) {
    r.get(
      `/organizations/:id/${path}`,
      handle(async (req, res) => {
        const inst = orgOf(req.params.id!);
        await page(req, res, collectionQuery(req, kind, idName, { filters: true, expand: [] }), { institutions: [inst.id] });
      }),
    );
  }

  r.get(
    '/academic-sessions',
    handle(async (req, res) => page(req, res, collectionQuery(req, 'academic-term', 'academicSessionId', { filters: false, expand: [] }))),
  );
  r.get(
    '/academic-sessions/:id',
    handle(async (req, res) => {
      onlyParams(req, ['expand']);
      expands(req, ['parent', 'children', 'year']);
      send(req, res, await shape(await item('academic-term', req.params.id!, 'academic session'), ctx(req)));
    }),
  );
  r.get(
    '/academic-sessions/:id/offerings',
    handle(async (req, res) => {
      const term = await item('academic-term', req.params.id!, 'academic session');
      await page(req, res, collectionQuery(req, 'offering', 'offeringId', { filters: true, expand: [] }), { parent: { kind: 'academic-term', id: term.id } });
    }),
  );

  r.get(
    '/programs',
    handle(async (req, res) => page(req, res, collectionQuery(req, 'programme', 'programId', { filters: true, expand: [] }))),
  );
  r.get(
    '/programs/:id',
    handle(async (req, res) => {
      onlyParams(req, ['expand', 'returnTimelineOverrides']);
      const ex = expands(req, ['parent', 'children', 'coordinators', 'organization', 'educationSpecification']);
      send(req, res, await shape(await item('programme', req.params.id!, 'program'), ctx(req), ex));
    }),
  );
  r.get(
    '/programs/:id/courses',
    handle(async (req, res) => {
      const prog = await item('programme', req.params.id!, 'program');
      await page(req, res, collectionQuery(req, 'course', 'courseId', { filters: true, expand: [] }), { parent: { kind: 'programme', id: prog.id } });
    }),
  );

  r.get(
    '/courses',
    handle(async (req, res) => page(req, res, collectionQuery(req, 'course', 'courseId', { filters: true, expand: [] }))),
  );
  r.get(
    '/courses/:id',
    handle(async (req, res) => {
      onlyParams(req, ['expand', 'returnTimelineOverrides']);
      const ex = expands(req, ['programs', 'coordinators', 'organization', 'educationSpecification']);
      send(req, res, await shape(await item('course', req.params.id!, 'course'), ctx(req), ex));
    }),
  );
  r.get(
    '/courses/:id/offerings',
    handle(async (req, res) => {
      const course = await item('course', req.params.id!, 'course');
      await page(req, res, collectionQuery(req, 'offering', 'offeringId', { filters: true, expand: [] }), { parent: { kind: 'course', id: course.id } });
    }),
  );
  r.get(
    '/offerings/:id',
    handle(async (req, res) => {
      onlyParams(req, ['expand']);
      const ex = expands(req, ['program', 'programOffering', 'course', 'courseOffering', 'component', 'organization', 'academicSession']);
      send(req, res, await shape(await item('offering', req.params.id!, 'offering'), ctx(req), ex));
    }),
  );

  r.use((req, res) => problem(res, 404, 'Not found', `the catalogue serves no ${req.path}`));
  r.use((err: unknown, _req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    if (err instanceof NotFoundError) return problem(res, 404, 'Resource not found', err.message);
    if (err instanceof BadRequestError) return problem(res, 400, 'Bad request', err.message, { parameter: String(err.extra.parameter) });
    o.logger.error({ err }, 'catalogue request failed');
    problem(res, 500, 'Internal server error');
  });
  return r;
}
