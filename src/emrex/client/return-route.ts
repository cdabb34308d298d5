import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import type { Logger } from 'pino';
import { html, type Html } from '../../admin/html.ts';
import { pageLang } from '../../api/page-lang.ts';
import { problemOf, sendProblem } from '../../api/problem.ts';
import { rateLimit } from '../../api/rate-limit.ts';
import { PUBLIC_PAGES_CSP, securityHeaders } from '../../api/security-headers.ts';
import { EmrexRefusedError, PayloadTooLargeError } from '../../core/errors.ts';
import type { ReceivedDocument } from './store.ts';
import type { EmrexClient, ReturnOutcome } from './service.ts';

/** Answers one client address may post a minute (a learner's browser posts one per session). */
export const RETURNS_PER_MINUTE = 30;

/** The largest form a contact point may post back (base64 of the gzipped document); more is refused unread with 413. */
export const RETURN_BODY_BYTES = 16 * 1024 * 1024;

type Lang = 'lv' | 'en';

const WORDS = {
  title: { lv: 'Rezultāti no ārvalstu augstskolas', en: 'Results from abroad' },
  accepted: {
    lv: 'Rezultāti saņemti un pārbaudīti. Jūsu augstskola lems par to atzīšanu.',
    en: 'Your results were received and checked. Your institution will decide on their recognition.',
  },
  'no-results': { lv: 'Kontaktpunkts nenosūtīja rezultātus.', en: 'The contact point sent no results.' },
  cancelled: { lv: 'Jūs atcēlāt rezultātu nosūtīšanu.', en: 'You cancelled sending your results.' },
  error: { lv: 'Kontaktpunkts ziņoja par kļūdu.', en: 'The contact point reported an error.' },
  refused: { lv: 'Dokuments netika pieņemts.', en: 'The document was not accepted.' },
  tooLarge: { lv: 'Pārāk liels: dokuments netika pieņemts.', en: 'Too large: the document was not accepted.' },
  unavailable: { lv: 'EMREX rezultātu saņemšana šeit nav ieslēgta.', en: 'Receiving EMREX results is not enabled here.' },
  reference: { lv: 'Atsauce', en: 'Reference' },
} as const;

function page(lang: Lang, heading: string, body: Html): string {
  return html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${WORDS.title[lang]}</title><link rel="stylesheet" href="/catalogue/static/catalogue.css"></head>
<body><main id="main"><h1>${WORDS.title[lang]}</h1><h2 role="status">${heading}</h2>${body}</main></body>
</html>`.toString();
}

/** Whether the caller asked for JSON (a contact point's server, a test) rather than a page (the learner's browser). */
const wantsJson = (req: Request) => req.accepts(['html', 'json']) === 'json';

function answer(req: Request, res: Response, o: ReturnOutcome): void {
  const r: ReceivedDocument = o.received;
  res.setHeader('Cache-Control', 'no-store');
  if (wantsJson(req)) {
    if (o.status === 200) {
      res.status(200).json({ received: r.id, verdict: r.verdict, results: r.results, detail: r.detail });
      return;
    }
    const e = new EmrexRefusedError(r.detail, { status: o.status as 404 | 409 | 413 | 422, extra: { reason: r.reason, received: r.id } });
    sendProblem(res, problemOf(e, req.originalUrl.split('?')[0]));
    return;
  }
  const lang = pageLang(req);
  const heading = WORDS[r.verdict][lang];
  res
    .status(o.status)
    .type('text/html; charset=utf-8')
    .setHeader('Content-Language', lang)
    .send(page(lang, heading, html`<p>${r.detail}</p><p class="muted small">${WORDS.reference[lang]}: ${r.id}</p>`));
}

/**
 * `POST /emrex/return/{ref}` (public): where a foreign EMREX contact point posts the learner's results back
 * (application/x-www-form-urlencoded: sessionId, returnCode, returnMessage, elmo). A form over RETURN_BODY_BYTES
 * is refused with 413 before it is read; everything else is checked and kept by the client (EmrexClient.receive)
 * and answered as a page for the learner's browser (lv/en) or, to a caller that asks for JSON, as JSON or
 * problem+json. Rate-limited per client address (RETURNS_PER_MINUTE). The `client` is read on each request (built when the hub starts).
 */
export function emrexReturnRouter(o: { client: () => EmrexClient | undefined; logger: Logger; requestsPerMinute?: number }): Router {
  const r = express.Router();
  r.use(securityHeaders(PUBLIC_PAGES_CSP));
  r.use(
    rateLimit(o.requestsPerMinute ?? RETURNS_PER_MINUTE, (res, retryAfter) => {
      res.setHeader('Retry-After', String(retryAfter));
      res.status(429).type('text/plain; charset=utf-8').send(`Too many requests; try again in ${retryAfter} s.`);
    }),
  );
  // A declared length over the limit is answered at once (the body parser would read the whole body off first).
  r.post('/:ref', (req, _res, next) => {
    const length = Number(req.headers['content-length'] ?? 0);
    next(length > RETURN_BODY_BYTES ? Object.assign(new Error('too large'), { type: 'entity.too.large', status: 413 }) : undefined);
  });
  r.post('/:ref', express.urlencoded({ extended: false, limit: RETURN_BODY_BYTES, parameterLimit: 20, type: 'application/x-www-form-urlencoded' }), (req, res, next) => {
    const client = o.client();
    if (!client) {
      const lang = pageLang(req);
      res
        .status(404)
        .type('text/html; charset=utf-8')
        .send(page(lang, WORDS.unavailable[lang], html``));
      return;
    }
    const body = (req.body ?? {}) as Record<string, unknown>;
    client
      .receive(String(req.params.ref ?? ''), body)
      .then((outcome) => answer(req, res, outcome))
      .catch(next);
  });
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const status = (err as { status?: number; type?: string }).type === 'entity.too.large' ? 413 : undefined;
    if (status !== 413) return next(err);
    o.logger.warn({ limit: RETURN_BODY_BYTES }, 'an EMREX return form over the size limit was refused unread');
    res.setHeader('Connection', 'close');
    if (wantsJson(req)) {
      sendProblem(res, problemOf(new PayloadTooLargeError(`the form is over ${RETURN_BODY_BYTES} bytes`, { extra: { limit: RETURN_BODY_BYTES } }), req.originalUrl.split('?')[0]));
      return;
    }
    const lang = pageLang(req);
    res
      .status(413)
      .type('text/html; charset=utf-8')
      .send(
        page(
          lang,
          WORDS.tooLarge[lang],
          html`<p>${lang === 'lv' ? `Lielākais pieņemamais apjoms ir ${RETURN_BODY_BYTES / 1024 / 1024} MB.` : `The largest accepted is ${RETURN_BODY_BYTES / 1024 / 1024} MB.`}</p>`,
        ),
      );
  });
  return r;
}
