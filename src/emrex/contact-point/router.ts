import express, { type Request, type Response, type Router } from 'express';
import { ConflictError, errorMessage } from '../../core/errors.ts';
import { asyncHandler } from '../../api/context.ts';
import { pageLang } from '../../api/page-lang.ts';
import { t, type Lang } from '../learner/i18n.ts';
import { answerCsp, callbackUrl, formErrors, pageHeaders, pagesRateLimit, readCookie, sendMessage, sendPage, sessionCookie, staticFiles } from '../learner/http.ts';
import { answerPage, choosePage, messagePage } from '../learner/pages.ts';
import { EmrexSessions, sameSecret, type EmrexSession } from '../learner/sessions.ts';
import { LearnerSignIn, SignInFailed } from '../learner/sign-in.ts';
import type { LearnerPagesDeps } from '../learner/types.ts';
import { clientOf } from './settings.ts';
import { hasEntries, recordOf, transfer } from './transfer.ts';

/** The EMREX return codes (the current names; the older NCP_* ones are not sent). */
export type ReturnCode = 'EMP_OK' | 'EMP_NO_RESULTS' | 'EMP_CANCEL' | 'EMP_ERROR';

const COOKIE = 'hub_emrex_session';
const MAX_SESSION_ID = 32;
// eslint-disable-next-line no-control-regex
const CONTROL = /[\u0000-\u001f\u007f]/;
const brand = (lang: Lang) => t(lang, 'cpTitle');

/**
 * The EMREX contact point at /emrex/ (docs/emrex.md). A client (a receiving institution's system) sends
 * the learner here with a form POST of `sessionId` (up to 32 characters) and `returnUrl`
 * (application/x-www-form-urlencoded); the returnUrl must start with the prefix of a configured client,
 * else the learner gets a refusal page and nothing goes to that address. The learner signs in with
 * OpenID Connect, sees their results in lv or en, chooses some or all and confirms or cancels; the answer
 * is a form POSTed back to the returnUrl (by a script of this origin, or by the learner's button):
 * `sessionId`, `returnCode`, `returnMessage` and, with EMP_OK, `elmo` (the sealed ELMO document of the
 * chosen results, gzipped, base64). Each transfer is the learner's consent and a disclosure (transfer.ts).
 */
export function contactPointRouter(deps: LearnerPagesDeps): Router {
  const s = deps.settings;
  const sessions = new EmrexSessions(deps.sql, s.sessionMs, deps.now);
  const signIn = s.oidc ? new LearnerSignIn(s.oidc, deps.privacy.persons) : undefined;
  const log = deps.logger.child({ component: 'emrex-contact-point' });
  const r = express.Router();
  r.use(staticFiles());
  const limit = pagesRateLimit(s.requestsPerMinute, brand);
  const pages = [limit, pageHeaders()];
  const form = express.urlencoded({ extended: false, limit: '16kb', parameterLimit: 1000 });
  const message = (res: Response, status: number, lang: Lang, text: string, title = t(lang, 'refused')) => sendMessage(res, status, { lang, brand: brand(lang), title, text });

  /** The answer to the client; the session is past its last step already. */
  const answer = (res: Response, session: EmrexSession, lang: Lang, code: ReturnCode, returnMessage: string, elmo?: string) => {
    const returnUrl = session.returnUrl!;
    log.debug({ client: session.client, returnCode: code }, 'EMREX session answered');
    res.set('Content-Security-Policy', answerCsp(new URL(returnUrl).origin));
    sendPage(res, 200, answerPage({ lang, client: session.client ?? '', returnUrl, fields: { sessionId: session.clientSessionId ?? '', returnCode: code, returnMessage, ...(elmo ? { elmo } : {}) } }));
  };

  /** The session of the cookie in the state the step needs, or a refusal page (none, expired, past that step). */
  const current = async (req: Request, res: Response, lang: Lang, state: EmrexSession['state']): Promise<EmrexSession | undefined> => {
    const session = await sessions.get(readCookie(req, COOKIE), 'cp');
    if (!session) return void message(res, 400, lang, t(lang, 'noSession'));
    if (session.expired) return void message(res, 410, lang, t(lang, 'expired'));
    if (session.state !== state) return void message(res, 409, lang, t(lang, 'replayed'));
    return session;
  };

  r.get('/', ...pages, (req, res) => {
    const lang = pageLang(req, req.query.lang);
    sendPage(res, 200, messagePage({ lang, brand: brand(lang), title: t(lang, 'cpTitle'), text: t(lang, 'about'), switchHref: `/emrex/?lang=${lang === 'lv' ? 'en' : 'lv'}` }));
  });

  r.post(
    '/',
    ...pages,
    form,
    asyncHandler(async (req, res) => {
      const lang = pageLang(req);
      if (!req.is('application/x-www-form-urlencoded')) return message(res, 415, lang, t(lang, 'badRequest'));
      const body = req.body as Record<string, unknown>;
      const { sessionId, returnUrl } = body;
      let url: URL | undefined;
      try {
        url = typeof returnUrl === 'string' ? new URL(returnUrl) : undefined;
      } catch {
        url = undefined;
      }
      const client = url && (url.protocol === 'https:' || url.protocol === 'http:') && !url.username && !url.password ? clientOf(s.clients, url) : undefined;
      if (!client) {
        // Never a redirect to an unknown client, and its address is not repeated.
        log.warn({ returnOrigin: url?.origin }, 'EMREX session refused: the returnUrl belongs to no configured client');
        return message(res, 400, lang, t(lang, 'unknownClient'));
      }
      if (typeof sessionId !== 'string' || sessionId.length < 1 || sessionId.length > MAX_SESSION_ID || CONTROL.test(sessionId)) {
        return message(res, 400, lang, `${t(lang, 'badRequest')}: sessionId (1–${MAX_SESSION_ID})`);
      }
      if (!signIn || !s.consentSource) return message(res, 503, lang, t(lang, 'notConfigured'));
      let started;
      try {
        const { pending, url: providerUrl } = await signIn.begin(callbackUrl(req, '/emrex/callback'), lang);
        started = { providerUrl, ...(await sessions.create({ kind: 'cp', lang, oidc: pending, client: client.name, clientSessionId: sessionId, returnUrl: url!.href })) };
      } catch (e) {
        if (e instanceof ConflictError) return message(res, 409, lang, t(lang, 'replayed'));
        if (e instanceof SignInFailed) {
          log.warn({ client: client.name }, errorMessage(e));
          return message(res, 503, lang, t(lang, 'signInFailed'));
        }
        throw e;
      }
      res.append('Set-Cookie', sessionCookie(COOKIE, started.id, { path: '/emrex', secure: req.secure, maxAgeS: Math.ceil(s.sessionMs / 1000) }));
      res.redirect(303, started.providerUrl);
    }),
  );

  r.get(
    '/callback',
    ...pages,
    asyncHandler(async (req, res) => {
      const lang0 = pageLang(req);
      const session = await current(req, res, lang0, 'signing-in');
      if (!session?.oidc) return;
      const lang = session.lang;
      let persons: string[];
      try {
        persons = await signIn!.finish(callbackUrl(req, '/emrex/callback'), new URLSearchParams(req.originalUrl.split('?')[1] ?? ''), session.oidc);
      } catch (e) {
        if (!(e instanceof SignInFailed)) throw e;
        if (!(await sessions.advance(session.idHash, 'signing-in', 'answered'))) return message(res, 409, lang, t(lang, 'replayed'));
        if (!e.cancelled) log.warn({ client: session.client }, e.message);
        return e.cancelled ? answer(res, session, lang, 'EMP_CANCEL', 'The learner cancelled the sign-in.') : answer(res, session, lang, 'EMP_ERROR', 'The learner could not be signed in.');
      }
      if (!(await sessions.advance(session.idHash, 'signing-in', 'signed-in', persons))) return message(res, 409, lang, t(lang, 'replayed'));
      if (!hasEntries(await recordOf(deps, persons))) {
        if (!(await sessions.advance(session.idHash, 'signed-in', 'answered'))) return message(res, 409, lang, t(lang, 'replayed'));
        return answer(res, session, lang, 'EMP_NO_RESULTS', 'The contact point holds no results of this learner.');
      }
      res.redirect(303, `/emrex/choose?lang=${lang}`);
    }),
  );

  r.get(
    '/choose',
    ...pages,
    asyncHandler(async (req, res) => {
      const lang = pageLang(req, req.query.lang);
      const session = await current(req, res, lang, 'signed-in');
      if (!session) return;
      const record = await recordOf(deps, session.persons);
      if (!hasEntries(record)) return message(res, 404, lang, t(lang, 'noRecord'));
      sendPage(res, 200, choosePage({ lang, client: session.client ?? '', record, institutions: deps.institutions, csrf: session.csrf }));
    }),
  );

  r.post(
    '/answer',
    ...pages,
    form,
    asyncHandler(async (req, res) => {
      const body = req.body as Record<string, unknown>;
      const lang = pageLang(req, body.lang);
      const session = await current(req, res, lang, 'signed-in');
      if (!session) return;
      if (!sameSecret(session.csrf, typeof body._csrf === 'string' ? body._csrf : undefined)) return message(res, 403, lang, t(lang, 'csrf'));
      if (body.action === 'cancel') {
        if (!(await sessions.advance(session.idHash, 'signed-in', 'answered'))) return message(res, 409, lang, t(lang, 'replayed'));
        return answer(res, session, lang, 'EMP_CANCEL', 'The learner cancelled.');
      }
      if (body.action !== 'send') return message(res, 400, lang, t(lang, 'badRequest'));
      const record = await recordOf(deps, session.persons);
      if (!hasEntries(record)) return message(res, 404, lang, t(lang, 'noRecord'));
      const picked = ([] as unknown[]).concat(body.entry ?? []).filter((x): x is string => typeof x === 'string');
      const own = new Set(record.institutions.flatMap((i) => [...i.results.map((x) => x.attainment.id), ...i.awards.map((x) => x.award.id)]));
      const chosen = new Set(picked.filter((id) => own.has(id)));
      if (!chosen.size) return sendPage(res, 422, choosePage({ lang, client: session.client ?? '', record, institutions: deps.institutions, csrf: session.csrf, error: t(lang, 'chooseNone') }));
      // The session is answered before the document is made: a second submit finds it so.
      if (!(await sessions.advance(session.idHash, 'signed-in', 'answered'))) return message(res, 409, lang, t(lang, 'replayed'));
      try {
        const sent = await transfer(deps, { record, chosen, client: session.client ?? '', lang });
        if (!sent) return answer(res, session, lang, 'EMP_NO_RESULTS', 'The learner chose nothing the contact point holds.');
        return answer(res, session, lang, 'EMP_OK', `${sent.entries} result(s) sent.`, sent.elmo);
      } catch (e) {
        log.error({ err: e, client: session.client }, 'EMREX transfer failed');
        return answer(res, session, lang, 'EMP_ERROR', 'The contact point could not make the document.');
      }
    }),
  );
  r.use(formErrors(brand));
  return r;
}
