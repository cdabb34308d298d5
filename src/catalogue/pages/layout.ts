import { html, type Html } from '../../admin/html.ts';
import { t, type Lang } from './i18n.ts';

/** A URL of the catalogue pages with the query given (empty values left out). */
export function link(path: string, query: Record<string, string | undefined>): string {
  const q = Object.entries(query).filter((e): e is [string, string] => e[1] !== undefined && e[1] !== '');
  return `/catalogue${path}${q.length ? `?${new URLSearchParams(q).toString()}` : ''}`;
}

/**
 * The page shell: language attribute, a skip link, a header with the language switch, one main
 * landmark and a footer. No script anywhere: every page works without JavaScript.
 */
export function layout(o: { lang: Lang; title: string; switchHref: string; body: Html }): Html {
  const other = o.lang === 'lv' ? 'en' : 'lv';
  return html`<!doctype html>
<html lang="${o.lang}">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${o.title} – ${t(o.lang, 'title')}</title>
<link rel="stylesheet" href="/catalogue/static/catalogue.css">
</head>
<body>
<a class="skip" href="#main">${t(o.lang, 'skip')}</a>
<header class="top">
  <p class="brand"><a href="${link('', { lang: o.lang })}">${t(o.lang, 'title')}</a></p>
  <nav aria-label="${t(o.lang, 'languageSwitch')}"><a href="${o.switchHref}" lang="${other}" hreflang="${other}">${t(o.lang, 'switchTo')}</a></nav>
</header>
<main id="main">
${o.body}
</main>
<footer class="bottom"><p><a href="${link('/about', { lang: o.lang })}">${t(o.lang, 'about')}</a> · OOAPI 5: <a href="/ooapi/v5/courses">/ooapi/v5</a></p></footer>
</body>
</html>`;
}
