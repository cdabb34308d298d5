import express, { type NextFunction, type Request, type Response, type Router } from 'express';
import { html, type Html } from '../admin/html.ts';
import { pageLang } from '../api/page-lang.ts';
import { rateLimit } from '../api/rate-limit.ts';
import { PUBLIC_PAGES_CSP, securityHeaders } from '../api/security-headers.ts';
import type { Verdict as ElmoVerdict } from '../emrex/verify.ts';
import type { Check, CheckName, VerifyOptions } from './verify.ts';
import { verifyCredential } from './verify.ts';

type Lang = 'lv' | 'en';

const WORDS = {
  title: { lv: 'Digitālā diploma pārbaude', en: 'Verify a digital credential' },
  intro: {
    lv: 'Ielīmējiet Eiropas digitālo apliecinājumu (zīmogotu JSON), ko saņēmāt no absolventa, un pārbaudiet, vai to izdevusi zināma augstskola un vai tas nav mainīts vai atsaukts. Nekas netiek saglabāts.',
    en: 'Paste a European Digital Credential (sealed JSON) a graduate gave you, and check that a known institution issued it and that it was neither changed nor revoked. Nothing is stored.',
  },
  introElmo: {
    lv: 'Vai ielīmējiet EMREX sekmju izrakstu (ELMO XML dokumentu) un pārbaudiet tā parakstu un to, kas to parakstījis. Līdz 2 MB; lielākus dokumentus pārbauda ar API (POST /api/v1/elmo/verify).',
    en: 'Or paste an EMREX transcript (an ELMO XML document) and check its signature and who sealed it. Up to 2 MB; larger documents are checked through the API (POST /api/v1/elmo/verify).',
  },
  label: { lv: 'Zīmogotais apliecinājums (JSON) vai ELMO dokuments (XML)', en: 'Sealed credential (JSON) or ELMO document (XML)' },
  check: { lv: 'Pārbaudīt', en: 'Verify' },
  valid: { lv: 'Derīgs: visas pārbaudes izturētas.', en: 'Valid: every check passed.' },
  invalid: { lv: 'Nav derīgs: skatiet, kura pārbaude neizdevās.', en: 'Not valid: see which check failed.' },
  passed: { lv: 'izturēta', en: 'passed' },
  failed: { lv: 'neizdevās', en: 'failed' },
  issuer: { lv: 'Izdevējs', en: 'Issuer' },
  signedAt: { lv: 'Zīmogots', en: 'Sealed at' },
  tooLarge: {
    lv: 'Pārāk liels: šeit var pārbaudīt līdz 2 MB. Lielākus ELMO dokumentus pārbauda ar API (POST /api/v1/elmo/verify).',
    en: 'Too large: this page checks up to 2 MB. Larger ELMO documents are checked through the API (POST /api/v1/elmo/verify).',
  },
  elmoTitle: { lv: 'ELMO sekmju izraksts', en: 'ELMO transcript' },
  learner: { lv: 'Students', en: 'Learner' },
  born: { lv: 'dzimis', en: 'born' },
  issuerCol: { lv: 'Izdevējs', en: 'Issuer' },
  results: { lv: 'Rezultāti', en: 'Results' },
  sealedBy: { lv: 'Zīmoga sertifikāts', en: 'Seal certificate' },
  validUntil: { lv: 'derīgs līdz', en: 'valid until' },
  switchTo: { lv: 'English', en: 'Latviski' },
} as const;

const CHECK_NAMES: Record<CheckName, Record<Lang, string>> = {
  format: { lv: 'Formāts (JAdES zīmogs)', en: 'Format (JAdES seal)' },
  signature: { lv: 'Zīmoga paraksts', en: 'Seal signature' },
  chain: { lv: 'Sertifikātu ķēde', en: 'Certificate chain' },
  issuer: { lv: 'Izdevējs ir zināma augstskola', en: 'Issuer is a known institution' },
  integrity: { lv: 'Integritāte', en: 'Integrity' },
  schema: { lv: 'Saturs (EDC)', en: 'Content (EDC)' },
  revocation: { lv: 'Nav atsaukts', en: 'Not revoked' },
  validity: { lv: 'Derīguma termiņi', en: 'Validity dates' },
};

const ELMO_CHECK_NAMES: Record<ElmoVerdict['checks'][number]['name'], Record<Lang, string>> = {
  'well-formed': { lv: 'Korekts XML (bez DOCTYPE)', en: 'Well-formed XML (no DOCTYPE)' },
  elmo: { lv: 'ELMO dokuments', en: 'ELMO document' },
  signature: { lv: 'Paraksts pār visu dokumentu', en: 'Signature over the whole document' },
  certificate: { lv: 'Uzticams, derīgs sertifikāts', en: 'Trusted, current certificate' },
  attachments: { lv: 'Pielikumi (PDF)', en: 'Attachments (PDF)' },
};

const t = (lang: Lang, w: keyof typeof WORDS) => WORDS[w][lang];

const langOf = (req: Request): Lang => pageLang(req, req.query.lang ?? (req.body as Record<string, unknown> | undefined)?.lang);

function page(lang: Lang, body: Html): string {
  const other = lang === 'lv' ? 'en' : 'lv';
  return html`<!doctype html>
<html lang="${lang}">
<head><meta charset="utf-8"><meta name="viewport" content="width=device-width, initial-scale=1"><title>${t(lang, 'title')}</title><link rel="stylesheet" href="/catalogue/static/catalogue.css"></head>
<body>
<header class="top"><p class="brand">${t(lang, 'title')}</p><nav aria-label="${lang === 'lv' ? 'Valoda' : 'Language'}"><a href="/verify?lang=${other}" lang="${other}" hreflang="${other}">${t(lang, 'switchTo')}</a></nav></header>
<main id="main">${body}</main>
</body>
</html>`.toString();
}

function form(lang: Lang, value = ''): Html {
  return html`<h1>${t(lang, 'title')}</h1>
<p>${t(lang, 'intro')}</p>
<p>${t(lang, 'introElmo')}</p>
<form method="post" action="/verify">
  <input type="hidden" name="lang" value="${lang}">
  <label for="credential">${t(lang, 'label')}</label>
  <textarea id="credential" name="credential" rows="12" spellcheck="false">${value}</textarea>
  <p><button type="submit">${t(lang, 'check')}</button></p>
</form>`;
}

function result(lang: Lang, checks: Check[], valid: boolean, issuer: string | undefined, signedAt: string | undefined): Html {
  return html`<section aria-labelledby="verdict"><h2 id="verdict" role="status">${valid ? t(lang, 'valid') : t(lang, 'invalid')}</h2>
${issuer ? html`<p>${t(lang, 'issuer')}: ${issuer}${signedAt ? html` · ${t(lang, 'signedAt')}: ${signedAt}` : ''}</p>` : ''}
<table><caption class="visually-hidden">${t(lang, 'title')}</caption><tbody>
${checks.map((c) => html`<tr><th scope="row">${CHECK_NAMES[c.name][lang]}</th><td>${c.passed ? `✔ ${t(lang, 'passed')}` : `✘ ${t(lang, 'failed')}`}</td><td>${c.reason}</td></tr>`)}
</tbody></table></section>`;
}

/**
 * What an ELMO document says, shown with its checks: the learner's name and date of birth (never an identifier: the
 * verdict holds none), each issuer with its number of results, the seal's certificate.
 */
function elmoResult(lang: Lang, v: ElmoVerdict): Html {
  const l = v.learner;
  return html`<section aria-labelledby="verdict"><h2 id="verdict" role="status">${v.valid ? t(lang, 'valid') : t(lang, 'invalid')}</h2>
${l ? html`<p>${t(lang, 'learner')}: ${l.givenNames} ${l.familyName}${l.birthDate ? html` (${t(lang, 'born')} ${l.birthDate})` : ''}</p>` : ''}
${v.certificate ? html`<p>${t(lang, 'sealedBy')}: ${v.certificate.subject}, ${t(lang, 'validUntil')} ${v.certificate.validTo.slice(0, 10)}</p>` : ''}
<table><caption>${t(lang, 'elmoTitle')}</caption><tbody>
${v.checks.map((c) => html`<tr><th scope="row">${ELMO_CHECK_NAMES[c.name][lang]}</th><td>${c.passed ? `✔ ${t(lang, 'passed')}` : `✘ ${t(lang, 'failed')}`}</td><td>${c.reason}</td></tr>`)}
</tbody></table>
${
  v.reports?.length
    ? html`<table><thead><tr><th scope="col">${t(lang, 'issuerCol')}</th><th scope="col">${t(lang, 'results')}</th></tr></thead><tbody>
${v.reports.map((r) => html`<tr><td>${r.issuer}</td><td>${r.results}</td></tr>`)}
</tbody></table>`
    : ''
}</section>`;
}

export interface VerifyPageOptions {
  verifyOptions: () => Omit<VerifyOptions, 'now'>;
  /** Checks an ELMO document (text starting with `<`) as `POST /api/v1/elmo/verify` does, with the same trusted certificates. */
  verifyElmo: (xml: string) => Promise<ElmoVerdict>;
  requestsPerMinute: number;
}

/**
 * `/verify`: the public page where an employer or another university checks a sealed credential or an EMREX
 * transcript (an ELMO document) (lv/en, no script). A POSTed form with the text (up to 2 MB); every check shown
 * with its reason, and of an ELMO document what it says; nothing stored.
 */
export function verifyPageRouter(o: VerifyPageOptions): Router {
  const r = express.Router();
  r.use(securityHeaders(PUBLIC_PAGES_CSP));
  r.use(
    rateLimit(o.requestsPerMinute, (res, retryAfter) => {
      res.setHeader('Retry-After', String(retryAfter));
      res.status(429).type('text/plain; charset=utf-8').send(`Too many requests; try again in ${retryAfter} s.`);
    }),
  );
  r.get('/', (req, res) => {
    const lang = langOf(req);
    res
      .type('text/html; charset=utf-8')
      .setHeader('Content-Language', lang)
      .send(page(lang, form(lang)));
  });
  r.post('/', express.urlencoded({ extended: false, limit: '2mb' }), (req, res, next) => {
    const lang = langOf(req);
    const text = typeof (req.body as Record<string, unknown>).credential === 'string' ? ((req.body as Record<string, string>).credential ?? '') : '';
    // An ELMO document is XML: it starts with '<' (after a byte-order mark or white space); anything else is a credential.
    // An ELMO document is not echoed back into the form: it may carry the learner's national identifier.
    const elmo = /^[\uFEFF\s]*</.test(text);
    const shown = elmo
      ? o.verifyElmo(text.replace(/^\uFEFF/, '')).then((v) => elmoResult(lang, v))
      : verifyCredential(text, { ...o.verifyOptions(), now: new Date() }).then((v) => result(lang, v.checks, v.valid, v.heiId, v.signedAt));
    shown
      .then((verdict) => {
        res
          .type('text/html; charset=utf-8')
          .setHeader('Content-Language', lang)
          .setHeader('Cache-Control', 'no-store')
          .send(page(lang, html`${verdict}${form(lang, !elmo && text.length <= 200_000 ? text : '')}`));
      })
      .catch(next);
  });
  r.use((err: unknown, req: Request, res: Response, next: NextFunction) => {
    if (res.headersSent) return next(err);
    const lang = langOf(req);
    const status = (err as { status?: number }).status === 413 ? 413 : 400;
    res
      .status(status)
      .type('text/html; charset=utf-8')
      .send(page(lang, html`<h1>${t(lang, 'title')}</h1><p>${status === 413 ? t(lang, 'tooLarge') : t(lang, 'invalid')}</p>${form(lang)}`));
  });
  return r;
}
