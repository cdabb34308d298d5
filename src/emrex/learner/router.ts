import express, { type Request, type Response, type Router } from 'express';
import { errorMessage } from '../../core/errors.ts';
import { asyncHandler } from '../../api/context.ts';
import { recordOf, TRANSFER_ROUTE } from '../contact-point/transfer.ts';
import type { LearnerRecord } from '../learner-record.ts';
import { pageLang } from '../../api/page-lang.ts';
import { t, type Lang } from './i18n.ts';
import { callbackUrl, formErrors, pageHeaders, pagesRateLimit, readCookie, sendMessage, sendPage, sessionCookie } from './http.ts';
import { learnerPage, pick, signInPage, type TransferView } from './pages.ts';
import { EmrexSessions, sameSecret, type EmrexSession } from './sessions.ts';
import { LearnerSignIn, SignInFailed } from './sign-in.ts';
import type { LearnerPagesDeps } from './types.ts';

const COOKIE = 'hub_learner_session';
const brand = (lang: Lang) => t(lang, 'learnerTitle');

/** Titles of the results and awards of a record, by record id (what the learner's page names a sent record by). */
function titlesOf(record: LearnerRecord | undefined, lang: Lang): Map<string, string> {
  const out = new Map<string, string>();
  for (const i of record?.institutions ?? []) {
    for (const a of i.awards) out.set(a.award.id, pick(a.award.data.title, lang, a.award.sourceId));
    for (const r of i.results) out.set(r.attainment.id, `${pick(r.course?.data.name, lang, r.attainment.sourceId)}${typeof r.attainment.data.date === 'string' ? ` (${r.attainment.data.date})` : ''}`);
  }
  return out;
}

/**
 * The learner's own page at /learner/ (docs/emrex.md): signed in the same way as at the contact point
 * (OpenID Connect; the person from the ID token's personal code), it lists what the contact point sent
 * where and when (from the disclosure log, as subject access shows it) and, when the digital-diploma
 * part is given, the learner's credentials with a download link each. A learner sees only their own:
 * everything is looked up by the person ids of their session, never by anything in the URL.
 */
export function learnerRouter(deps: LearnerPagesDeps): Router {
  const s = deps.settings;
  const sessions = new EmrexSessions(deps.sql, s.sessionMs, deps.now);
  const signIn = s.oidc ? new LearnerSignIn(s.oidc, deps.privacy.persons) : undefined;
  const log = deps.logger.child({ component: 'learner-pages' });
  const r = express.Router();
  const pages = [pagesRateLimit(s.requestsPerMinute, brand), pageHeaders()];
  const lang = (req: Request) => pageLang(req, req.query.lang ?? (req.body as Record<string, unknown> | undefined)?.lang);
  const message = (res: Response, status: number, l: Lang, text: string) => sendMessage(res, status, { lang: l, brand: brand(l), title: t(l, 'refused'), text });

  /** The signed-in session of the cookie (not expired), or undefined. */
  const signedIn = async (req: Request): Promise<EmrexSession | undefined> => {
    const session = await sessions.get(readCookie(req, COOKIE), 'learner');
    return session && !session.expired && session.state === 'signed-in' ? session : undefined;
  };

  r.get(
    '/',
    ...pages,
    asyncHandler(async (req, res) => {
      const l = lang(req);
      const session = await signedIn(req);
      if (!session) return sendPage(res, 200, signInPage(l));
      const record = await recordOf(deps, session.persons);
      const titles = titlesOf(record, l);
      // The log entries about any of the learner's person records; each transfer's entries start with the person record.
      const persons = (await Promise.all(session.persons.map((id) => deps.privacy.persons.byId(id)))).filter((x) => x !== undefined);
      const pseudonyms = deps.privacy.pseudonyms.candidates(deps.privacy.persons.setOf(persons));
      const transfers: TransferView[] = [];
      for (const d of pseudonyms.length ? await deps.privacy.log.forPersons(pseudonyms, 0, 10_000) : []) {
        if (d.route !== TRANSFER_ROUTE || d.kind !== 'disclosure') continue;
        const last = transfers[transfers.length - 1];
        if (d.entity === 'person' || !last || last.recipient !== (d.recipient ?? '')) transfers.push({ at: d.at, recipient: d.recipient ?? '', titles: [] });
        if (d.entity !== 'person' && d.recordId) transfers[transfers.length - 1]!.titles.push(titles.get(d.recordId) ?? `${d.entity ?? ''} ${d.recordId}`);
      }
      const credentials = deps.credentials ? await deps.credentials.ofPersons(session.persons) : undefined;
      const p = record?.person.data;
      const name = p ? `${typeof p.givenNames === 'string' ? p.givenNames : ''} ${typeof p.familyName === 'string' ? p.familyName : ''}`.trim() : t(l, 'noRecord');
      sendPage(res, 200, learnerPage({ lang: l, name, transfers: transfers.reverse(), credentials, institutions: deps.institutions, csrf: session.csrf }));
    }),
  );

  r.get(
    '/sign-in',
    ...pages,
    asyncHandler(async (req, res) => {
      const l = lang(req);
      if (!signIn) return message(res, 503, l, t(l, 'notConfigured'));
      try {
        const { pending, url } = await signIn.begin(callbackUrl(req, '/learner/callback'), l);
        const { id } = await sessions.create({ kind: 'learner', lang: l, oidc: pending });
        res.append('Set-Cookie', sessionCookie(COOKIE, id, { path: '/learner', secure: req.secure, maxAgeS: Math.ceil(s.sessionMs / 1000) }));
        res.redirect(303, url);
      } catch (e) {
        if (!(e instanceof SignInFailed)) throw e;
        log.warn(errorMessage(e));
        sendPage(res, 503, signInPage(l, t(l, 'signInFailed')));
      }
    }),
  );

  r.get(
    '/callback',
    ...pages,
    asyncHandler(async (req, res) => {
      const session = await sessions.get(readCookie(req, COOKIE), 'learner');
      const l = session?.lang ?? lang(req);
      if (!session?.oidc) return message(res, 400, l, t(l, 'noSession'));
      if (session.expired) return message(res, 410, l, t(l, 'expired'));
      if (session.state !== 'signing-in') return message(res, 409, l, t(l, 'replayed'));
      try {
        const persons = await signIn!.finish(callbackUrl(req, '/learner/callback'), new URLSearchParams(req.originalUrl.split('?')[1] ?? ''), session.oidc);
        if (!(await sessions.advance(session.idHash, 'signing-in', 'signed-in', persons))) return message(res, 409, l, t(l, 'replayed'));
      } catch (e) {
        if (!(e instanceof SignInFailed)) throw e;
        await sessions.end(session.idHash);
        if (!e.cancelled) log.warn(e.message);
        return sendPage(res, e.cancelled ? 200 : 502, signInPage(l, e.cancelled ? undefined : t(l, 'signInFailed')));
      }
      res.redirect(303, `/learner/?lang=${l}`);
    }),
  );

  r.post(
    '/sign-out',
    ...pages,
    express.urlencoded({ extended: false, limit: '4kb', parameterLimit: 10 }),
    asyncHandler(async (req, res) => {
      const l = lang(req);
      const session = await signedIn(req);
      const body = req.body as Record<string, unknown>;
      if (session && !sameSecret(session.csrf, typeof body._csrf === 'string' ? body._csrf : undefined)) return message(res, 403, l, t(l, 'csrf'));
      if (session) await sessions.end(session.idHash);
      res.append('Set-Cookie', sessionCookie(COOKIE, '', { path: '/learner', secure: req.secure, maxAgeS: 0 }));
      res.redirect(303, `/learner/?lang=${l}`);
    }),
  );

  r.get(
    '/credentials/:id',
    ...pages,
    asyncHandler(async (req, res) => {
      const l = lang(req);
      const session = await signedIn(req);
      if (!session) return message(res, 401, l, t(l, 'noSession'));
      const file = deps.credentials ? await deps.credentials.download(session.persons, String(req.params.id)) : undefined;
      if (!file) return sendMessage(res, 404, { lang: l, brand: brand(l), title: t(l, 'notFound'), text: t(l, 'noCredentials') });
      res
        .status(200)
        .set('Cache-Control', 'no-store')
        // attachment() sets the type from the file name: the part's own type comes after it.
        .attachment(file.filename.replace(/[^\w.-]/g, '_'))
        .type(file.contentType)
        .send(file.body);
    }),
  );
  r.use(formErrors(brand));
  return r;
}
