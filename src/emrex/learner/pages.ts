import { html, type Html } from '../../admin/html.ts';
import type { InstitutionConfig } from '../../config/types.ts';
import type { JsonObject } from '../../core/types.ts';
import { texts, type LearnerRecord } from '../learner-record.ts';
import { TRANSFER_TEXT } from '../contact-point/transfer.ts';
import { t, type Lang } from './i18n.ts';
import type { LearnerCredential } from './types.ts';

/** Where the pages' stylesheet and the answer's one script are (served by the contact point's router). */
export const STATIC = '/emrex/static';

/**
 * The page shell of the contact point and the learner's page: language attribute, a skip link, a header
 * with the language switch (a link to the same page in the other language; none where the page is the
 * answer to a form), one main landmark. No inline script or style.
 */
export function shell(o: { lang: Lang; title: string; brand: string; switchHref?: string; body: Html; script?: string }): Html {
  const other = o.lang === 'lv' ? 'en' : 'lv';
  return html`<!doctype html>
<html lang="${o.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="referrer" content="no-referrer">
<title>${o.title} – ${o.brand}</title>
<link rel="stylesheet" href="${STATIC}/learner.css">
${o.script ? html`<script src="${o.script}" defer></script>` : ''}
</head>
<body>
<a class="skip" href="#main">${t(o.lang, 'skip')}</a>
<header class="top">
  <p class="brand">${o.brand}</p>
  ${o.switchHref ? html`<nav aria-label="${t(o.lang, 'languageSwitch')}"><a href="${o.switchHref}" lang="${other}" hreflang="${other}">${t(o.lang, 'switchTo')}</a></nav>` : ''}
</header>
<main id="main">
${o.body}
</main>
</body>
</html>`;
}

/** A page that only says something: a refusal, an expired session, the about text. */
export function messagePage(o: { lang: Lang; brand: string; title: string; text: string; switchHref?: string; extra?: Html }): string {
  return shell({ lang: o.lang, brand: o.brand, title: o.title, ...(o.switchHref ? { switchHref: o.switchHref } : {}), body: html`<h1>${o.title}</h1><p class="message">${o.text}</p>${o.extra ?? ''}` })
    .value;
}

const obj = (v: unknown) => (v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined);
const str = (v: unknown) => (typeof v === 'string' ? v : '');

/** A canonical localized text in the page's language (else English, else the first). */
export function pick(v: unknown, lang: Lang, fallback: string): string {
  const all = texts(v);
  return (all.find((x) => x.lang === lang) ?? all.find((x) => x.lang === 'en') ?? all[0])?.text ?? fallback;
}

export const institutionName = (institutions: readonly InstitutionConfig[], id: string): string => institutions.find((i) => i.id === id)?.name ?? id;

/** The learner's record with a checkbox per award and result (all ticked), confirm and cancel. */
export function choosePage(o: { lang: Lang; client: string; record: LearnerRecord; institutions: readonly InstitutionConfig[]; csrf: string; error?: string }): string {
  const { lang } = o;
  const box = (id: string) => html`<input type="checkbox" name="entry" value="${id}" id="e-${id}" checked>`;
  const sections = o.record.institutions.map(
    (i) => html`<section aria-labelledby="i-${i.institution}">
<h2 id="i-${i.institution}">${institutionName(o.institutions, i.institution)}</h2>
${
  i.awards.length
    ? html`<table><caption>${t(lang, 'awards')}</caption><thead><tr><th scope="col">${t(lang, 'send')}</th><th scope="col">${t(lang, 'title')}</th><th scope="col">${t(lang, 'date')}</th></tr></thead><tbody>
${i.awards.map((a) => {
  const title = pick(a.award.data.title, lang, str(a.award.data.likCode) || a.award.sourceId);
  return html`<tr><td>${box(a.award.id)}</td><td><label for="e-${a.award.id}">${title}</label></td><td>${str(a.award.data.awardedAt)}</td></tr>`;
})}
</tbody></table>`
    : ''
}
${
  i.results.length
    ? html`<table><caption>${t(lang, 'results')}</caption><thead><tr><th scope="col">${t(lang, 'send')}</th><th scope="col">${t(lang, 'course')}</th><th scope="col">${t(lang, 'date')}</th><th scope="col">${t(lang, 'grade')}</th><th scope="col">${t(lang, 'credits')}</th></tr></thead><tbody>
${i.results.map((r) => {
  const a = r.attainment.data;
  const title = pick(r.course?.data.name, lang, str(r.course?.data.code) || r.attainment.sourceId);
  const credits = obj(a.credits)?.value;
  return html`<tr><td>${box(r.attainment.id)}</td><td><label for="e-${r.attainment.id}">${title}</label></td><td>${str(a.date)}</td><td>${str(obj(a.grade)?.value)}</td><td>${typeof credits === 'number' ? String(credits) : ''}</td></tr>`;
})}
</tbody></table>`
    : ''
}
</section>`,
  );
  return shell({
    lang,
    brand: t(lang, 'cpTitle'),
    title: t(lang, 'chooseTitle'),
    switchHref: `/emrex/choose?lang=${lang === 'lv' ? 'en' : 'lv'}`,
    body: html`<h1>${t(lang, 'chooseTitle')}</h1>
<p>${t(lang, 'chooseIntro', { client: o.client })}</p>
${o.error ? html`<p class="error" role="alert">${o.error}</p>` : ''}
<form method="post" action="/emrex/answer">
<input type="hidden" name="_csrf" value="${o.csrf}">
<input type="hidden" name="lang" value="${lang}">
${sections}
<p class="consent">${t(lang, 'consentText')} <q>${TRANSFER_TEXT[lang]}</q></p>
<p class="actions"><button type="submit" name="action" value="send">${t(lang, 'confirm')}</button> <button type="submit" name="action" value="cancel" class="secondary">${t(lang, 'cancel')}</button></p>
</form>`,
  }).value;
}

/** The answer to the client: a form POSTed to its returnUrl by the one script (or by the learner's button without script). */
export function answerPage(o: { lang: Lang; client: string; returnUrl: string; fields: Record<string, string> }): string {
  return shell({
    lang: o.lang,
    brand: t(o.lang, 'cpTitle'),
    title: t(o.lang, 'returning'),
    script: `${STATIC}/submit.js`,
    body: html`<h1>${t(o.lang, 'returning')}</h1>
<form method="post" action="${o.returnUrl}" id="emrex-answer">
${Object.entries(o.fields).map(([k, v]) => html`<input type="hidden" name="${k}" value="${v}">`)}
<p>${t(o.lang, 'returningText', { client: o.client })}</p>
<p><button type="submit">${t(o.lang, 'continue')}</button></p>
</form>`,
  }).value;
}

/** One transfer as the learner's page lists it. */
export interface TransferView {
  at: string;
  recipient: string;
  titles: string[];
}

/** The signed-in learner's page: what was sent where and when; the digital diplomas when that part is there. */
export function learnerPage(o: {
  lang: Lang;
  name: string;
  transfers: TransferView[];
  credentials: LearnerCredential[] | undefined;
  institutions: readonly InstitutionConfig[];
  csrf: string;
}): string {
  const { lang } = o;
  const when = (iso: string) => html`<time datetime="${iso}">${iso.slice(0, 10)} ${iso.slice(11, 16)} UTC</time>`;
  return shell({
    lang,
    brand: t(lang, 'learnerTitle'),
    title: t(lang, 'learnerTitle'),
    switchHref: `/learner/?lang=${lang === 'lv' ? 'en' : 'lv'}`,
    body: html`<h1>${t(lang, 'learnerTitle')}</h1>
<form method="post" action="/learner/sign-out" class="who"><input type="hidden" name="_csrf" value="${o.csrf}"><input type="hidden" name="lang" value="${lang}"><span>${t(lang, 'signedInAs')}: ${o.name}</span> <button type="submit" class="secondary">${t(lang, 'signOut')}</button></form>
<section aria-labelledby="transfers"><h2 id="transfers">${t(lang, 'transfers')}</h2>
${
  o.transfers.length
    ? html`<table><thead><tr><th scope="col">${t(lang, 'when')}</th><th scope="col">${t(lang, 'recipient')}</th><th scope="col">${t(lang, 'what')}</th></tr></thead><tbody>
${o.transfers.map((x) => html`<tr><td>${when(x.at)}</td><td>${x.recipient}</td><td><ul>${x.titles.map((s) => html`<li>${s}</li>`)}</ul></td></tr>`)}
</tbody></table>`
    : html`<p>${t(lang, 'noTransfers')}</p>`
}
</section>
${
  o.credentials
    ? html`<section aria-labelledby="credentials"><h2 id="credentials">${t(lang, 'credentials')}</h2>
${
  o.credentials.length
    ? html`<table><thead><tr><th scope="col">${t(lang, 'title')}</th><th scope="col">${t(lang, 'institution')}</th><th scope="col">${t(lang, 'issued')}</th><th scope="col">${t(lang, 'status')}</th><th scope="col">${t(lang, 'download')}</th></tr></thead><tbody>
${o.credentials.map((c) => {
  const title = (lang === 'en' ? (c.title.en ?? c.title.lv) : (c.title.lv ?? c.title.en)) ?? c.id;
  return html`<tr><td>${title}</td><td>${institutionName(o.institutions, c.institution)}</td><td>${c.issuedAt.slice(0, 10)}</td><td>${t(lang, c.status === 'revoked' ? 'revoked' : 'active')}</td><td><a href="/learner/credentials/${encodeURIComponent(c.id)}">${t(lang, 'download')}<span class="visually-hidden">: ${title}</span></a></td></tr>`;
})}
</tbody></table>`
    : html`<p>${t(lang, 'noCredentials')}</p>`
}
</section>`
    : ''
}`,
  }).value;
}

/** The learner's page before sign-in. */
export function signInPage(lang: Lang, error?: string): string {
  return shell({
    lang,
    brand: t(lang, 'learnerTitle'),
    title: t(lang, 'signInTitle'),
    switchHref: `/learner/?lang=${lang === 'lv' ? 'en' : 'lv'}`,
    body: html`<h1>${t(lang, 'learnerTitle')}</h1>
${error ? html`<p class="error" role="alert">${error}</p>` : ''}
<p>${t(lang, 'signInText')}</p>
<p><a class="button" href="/learner/sign-in?lang=${lang}">${t(lang, 'signIn')}</a></p>`,
  }).value;
}
