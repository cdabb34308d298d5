import { readFileSync } from 'node:fs';
import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { html } from '../../admin/html.ts';
import { BadRequestError } from '../../core/errors.ts';
import { securityHeaders, PUBLIC_PAGES_CSP } from '../../api/security-headers.ts';
import { learningOpportunityOf } from '../elm.ts';
import type { CatalogueItem, CatalogueKind } from '../model.ts';
import { refKey, textIn } from '../project.ts';
import { pageLang } from '../../api/page-lang.ts';
import { rateLimit } from '../../api/rate-limit.ts';
import type { CatalogueStore } from '../store.ts';
import type { Institution } from '../ooapi/shapes.ts';
import { t, type Lang } from './i18n.ts';
import { itemPage } from './item-page.ts';
import { layout, link } from './layout.ts';
import { filterOf, PAGE_SIZE, searchPage, type SearchParams } from './search-page.ts';

export interface CataloguePagesOptions {
  store: CatalogueStore;
  institutions: readonly Institution[];
  logger: Logger;
  requestsPerMinute: number;
  maxAgeSeconds: number;
}

const CSS = readFileSync(new URL('./catalogue.css', import.meta.url), 'utf8');
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;

/** A bad query parameter of a page: 400 with the reason. */
const badParam = (parameter: string, message: string) => new BadRequestError(message, { extra: { parameter } });

const langOf = (req: Request): Lang => pageLang(req, req.query.lang);

function param(req: Request, name: string, max = 200): string {
  const v = req.query[name];
  if (v === undefined) return '';
  if (typeof v !== 'string') throw badParam(name, `${name} must be given once`);
  if (v.length > max) throw badParam(name, `${name} is longer than ${max} characters`);
  if (CONTROL.test(v)) throw badParam(name, `${name} contains control characters`);
  return v.trim();
}

function params(req: Request): SearchParams {
  const kind = param(req, 'kind');
  if (kind && kind !== 'course' && kind !== 'programme') throw badParam('kind', 'kind is course or programme');
  const num = (name: string) => {
    const v = param(req, name, 10);
    if (v && !/^\d{1,4}(\.\d+)?$/.test(v)) throw badParam(name, `${name} must be a number`);
    return v;
  };
  const page = param(req, 'page', 7);
  if (page && !/^[1-9]\d{0,5}$/.test(page)) throw badParam('page', 'page must be a positive whole number');
  return {
    q: param(req, 'q'),
    kind: kind === 'programme' ? 'programme' : 'course',
    institution: param(req, 'institution'),
    level: param(req, 'level'),
    language: param(req, 'language'),
    mode: param(req, 'mode'),
    term: param(req, 'term'),
    field: param(req, 'field'),
    minCredits: num('minCredits'),
    maxCredits: num('maxCredits'),
    open: param(req, 'open') === 'on',
    micro: param(req, 'micro') === 'on',
    page: page ? Number(page) : 1,
  };
}

/**
 * The catalogue's pages for students and employers (/catalogue): search with filters and facet counts,
 * a course page, a programme page, an about page, lv/en; server-rendered, no script, every value escaped;
 * and each item as a Europass learning opportunity (ELM 3 JSON-LD) under /catalogue/elm. Public and
 * rate-limited per address like OOAPI.
 */
export function cataloguePagesRouter(o: CataloguePagesOptions): Router {
  const r = express.Router();
  const names = new Map(o.institutions.map((i) => [i.id, i.name]));
  r.use(securityHeaders(PUBLIC_PAGES_CSP));
  r.use(
    rateLimit(o.requestsPerMinute, (res, retryAfter) => {
      res.setHeader('Retry-After', String(retryAfter));
      res.status(429).type('text/plain; charset=utf-8').send(`Too many requests; try again in ${retryAfter} s.`);
    }),
  );
  r.use((req, res, next) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.setHeader('Allow', 'GET, HEAD');
      res.status(405).type('text/plain; charset=utf-8').send('The catalogue is read-only.');
      return;
    }
    res.setHeader('Cache-Control', `public, max-age=${o.maxAgeSeconds}`);
    res.setHeader('Vary', 'Accept-Language');
    next();
  });
  const handle = (fn: (req: Request, res: Response) => Promise<void>) => (req: Request, res: Response, next: NextFunction) => void fn(req, res).catch(next);
  const page = (req: Request, res: Response, lang: Lang, title: string, body: ReturnType<typeof html>, switchPath = req.path, status = 200) => {
    const q = { ...(req.query as Record<string, string>), lang: lang === 'lv' ? 'en' : 'lv' };
    res
      .status(status)
      .type('text/html; charset=utf-8')
      .setHeader('Content-Language', lang)
      .send(layout({ lang, title, switchHref: link(switchPath === '/' ? '' : switchPath, q), body }).toString());
  };
  const termNames = async (lang: Lang): Promise<Map<string, string>> => {
    const terms = await o.store.search({ kind: 'academic-term', limit: 500, offset: 0 });
    return new Map(terms.items.map((x) => [x.key, `${textIn(x.record.name, lang) ?? x.code ?? x.sourceId} (${names.get(x.institution) ?? x.institution})`]));
  };
  const find = async (kind: CatalogueKind, id: string): Promise<CatalogueItem | undefined> => (UUID.test(id) ? o.store.get(kind, id) : undefined);
  const notFound = (req: Request, res: Response, lang: Lang) =>
    page(req, res, lang, t(lang, 'notFound'), html`<h1>${t(lang, 'notFound')}</h1><p>${t(lang, 'notFoundText')}</p><p><a href="${link('', { lang })}">${t(lang, 'back')}</a></p>`, req.path, 404);

  r.get('/static/catalogue.css', (_req, res) => {
    res.type('text/css').send(CSS);
  });

  r.get(
    '/',
    handle(async (req, res) => {
      const lang = langOf(req);
      const p = params(req);
      const filter = filterOf(p);
      const [result, facets, terms] = await Promise.all([
        o.store.search({ ...filter, sort: p.q ? 'relevance' : 'name', lang, limit: PAGE_SIZE, offset: (p.page - 1) * PAGE_SIZE }),
        o.store.facets(filter),
        termNames(lang),
      ]);
      page(req, res, lang, p.q ? `${p.q}` : t(lang, 'title'), searchPage({ lang, params: p, result, facets, institutions: names, termNames: terms }));
    }),
  );

  r.get(
    '/courses/:id',
    handle(async (req, res) => {
      const lang = langOf(req);
      const item = await find('course', req.params.id!);
      if (!item) return notFound(req, res, lang);
      const [offerings, terms, inProgrammes] = await Promise.all([
        o.store.search({ kind: 'offering', parent: { kind: 'course', id: item.id }, limit: 100, offset: 0, sort: 'code' }),
        termNames(lang),
        o.store.programmesOf(item, lang),
      ]);
      page(
        req,
        res,
        lang,
        lang === 'en' ? item.titleEn : item.titleLv,
        itemPage({
          lang,
          item,
          institutionName: names.get(item.institution) ?? item.institution,
          offerings: offerings.items.map((x) => ({
            item: x,
            termName: terms.get(refKey(x.record.term, x.institution) ?? ''),
          })),
          related: inProgrammes,
        }),
      );
    }),
  );

  r.get(
    '/programmes/:id',
    handle(async (req, res) => {
      const lang = langOf(req);
      const item = await find('programme', req.params.id!);
      if (!item) return notFound(req, res, lang);
      const courses = await o.store.search({ kind: 'course', parent: { kind: 'programme', id: item.id }, limit: 250, offset: 0, sort: 'name', lang });
      page(
        req,
        res,
        lang,
        lang === 'en' ? item.titleEn : item.titleLv,
        itemPage({ lang, item, institutionName: names.get(item.institution) ?? item.institution, offerings: [], related: courses.items }),
      );
    }),
  );

  for (const [path, kind] of [
    ['courses', 'course'],
    ['programmes', 'programme'],
  ] as const) {
    r.get(
      `/elm/${path}/:id`,
      handle(async (req, res) => {
        const item = await find(kind, req.params.id!);
        if (!item) {
          res
            .status(404)
            .type('application/problem+json')
            .json({ status: 404, title: 'Not found', detail: `no ${kind} ${req.params.id}` });
          return;
        }
        const base = `${req.protocol}://${req.get('host') ?? 'localhost'}`;
        res.type('application/ld+json').send(JSON.stringify(learningOpportunityOf(item, { id: item.institution, name: names.get(item.institution) ?? item.institution }, base), null, 2));
      }),
    );
  }

  r.get(
    '/about',
    handle(async (req, res) => {
      const lang = langOf(req);
      const [courses, programmes] = await Promise.all([o.store.count('course'), o.store.count('programme')]);
      page(
        req,
        res,
        lang,
        t(lang, 'about'),
        html`<h1>${t(lang, 'about')}</h1>
<p>${lang === 'lv' ? `Katalogā ir ${programmes} studiju programmas un ${courses} kursi no ${o.institutions.length} augstskolām; dati nāk no augstskolu studiju informācijas sistēmām un tiek atjaunināti dažu sekunžu laikā.` : `The catalogue holds ${programmes} programmes and ${courses} courses of ${o.institutions.length} institutions; the data comes from the institutions' study systems and is current within seconds.`}</p>
<p>${lang === 'lv' ? 'Portāli un lietotnes var lasīt tos pašus datus caur Open Education API (OOAPI 5):' : 'Portals and apps read the same data through the Open Education API (OOAPI 5):'} <a href="/ooapi/v5/">/ooapi/v5/</a>, <a href="/ooapi/v5/courses">/ooapi/v5/courses</a>, <a href="/ooapi/v5/programs">/ooapi/v5/programs</a>.</p>
<p>${lang === 'lv' ? 'Katrs kurss un programma ir pieejama arī kā Europass mācību iespēja (ELM 3).' : 'Every course and programme is also available as a Europass learning opportunity (ELM 3).'}</p>`,
      );
    }),
  );

  r.use((req, res) => notFound(req, res, langOf(req)));
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const lang = langOf(req);
    if (err instanceof BadRequestError) {
      page(req, res, lang, t(lang, 'badInput'), html`<h1>${t(lang, 'badInput')}</h1><p>${err.message}</p><p><a href="${link('', { lang })}">${t(lang, 'back')}</a></p>`, '/', 400);
      return;
    }
    o.logger.error({ err }, 'catalogue page failed');
    res.status(500).type('text/plain; charset=utf-8').send('The catalogue could not answer; try again later.');
  });
  return r;
}
