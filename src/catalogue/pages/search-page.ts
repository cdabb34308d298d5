import { html, type Html } from '../../admin/html.ts';
import type { CatalogueFilter, CatalogueItem, CatalogueResult, FacetCount, FacetName } from '../model.ts';
import { textIn } from '../project.ts';
import { LANGUAGE_NAMES, LEVEL_NAMES, MODE_NAMES, nameOf, t, type Lang } from './i18n.ts';
import { link } from './layout.ts';

export interface SearchParams {
  q: string;
  kind: 'course' | 'programme';
  institution: string;
  level: string;
  language: string;
  mode: string;
  term: string;
  field: string;
  minCredits: string;
  maxCredits: string;
  open: boolean;
  micro: boolean;
  page: number;
}

export const PAGE_SIZE = 20;

/** The page's query without the page number and UI language, for links that keep the search. */
export function queryOf(p: SearchParams, lang: Lang, page?: number): Record<string, string | undefined> {
  return {
    q: p.q,
    kind: p.kind === 'course' ? undefined : p.kind,
    institution: p.institution,
    level: p.level,
    language: p.language,
    mode: p.mode,
    term: p.term,
    field: p.field,
    minCredits: p.minCredits,
    maxCredits: p.maxCredits,
    open: p.open ? 'on' : undefined,
    micro: p.micro ? 'on' : undefined,
    page: page && page > 1 ? String(page) : undefined,
    lang,
  };
}

export function filterOf(p: SearchParams): CatalogueFilter {
  const f: CatalogueFilter = { kind: p.kind };
  if (p.q) f.q = p.q;
  if (p.institution) f.institutions = [p.institution];
  if (p.level) f.levelOfStudy = p.level;
  if (p.language) f.language = p.language;
  if (p.mode) f.mode = p.mode;
  if (p.term) f.term = p.term;
  if (p.field) f.iscedF = p.field;
  if (p.minCredits) f.minCredits = Number(p.minCredits);
  if (p.maxCredits) f.maxCredits = Number(p.maxCredits);
  if (p.open) f.openToOtherInstitutions = true;
  if (p.micro) f.microCredential = true;
  return f;
}

function select(id: string, label: string, name: string, current: string, options: { value: string; label: string; count?: number }[], anyLabel: string): Html {
  return html`<label for="${id}">${label}</label>
<select id="${id}" name="${name}">
  <option value="">${anyLabel}</option>
  ${options.map((o) => html`<option value="${o.value}"${o.value === current ? html` selected` : ''}>${o.label}${o.count !== undefined ? ` (${o.count})` : ''}</option>`)}
</select>`;
}

export interface SearchView {
  lang: Lang;
  params: SearchParams;
  result: CatalogueResult;
  facets: Partial<Record<FacetName, FacetCount[]>>;
  institutions: Map<string, string>;
  termNames: Map<string, string>;
}

function snippet(item: CatalogueItem, lang: Lang): string | undefined {
  const d = textIn(item.record.description, lang);
  return d && d.length > 220 ? `${d.slice(0, 217)}…` : d;
}

function hit(item: CatalogueItem, v: SearchView): Html {
  const lang = v.lang;
  const r = item.record;
  const title = lang === 'en' ? item.titleEn : item.titleLv;
  const credits = r.credits as { value?: number; scheme?: string } | undefined;
  const langs = Array.isArray(r.teachingLanguages) ? (r.teachingLanguages as string[]) : typeof r.language === 'string' ? [r.language] : [];
  const path = item.kind === 'programme' ? `/programmes/${item.id}` : `/courses/${item.id}`;
  return html`<li>
  <h3><a href="${link(path, { lang })}">${title}</a>${r.microCredential === true ? html`<span class="badge">${t(lang, 'micro')}</span>` : ''}</h3>
  <p class="meta">${v.institutions.get(item.institution) ?? item.institution} · ${item.code ?? item.sourceId}${credits?.value !== undefined ? ` · ${credits.value} ${credits.scheme === 'ECTS' ? 'ECTS' : 'KP'}` : ''}${typeof r.levelOfStudy === 'string' ? ` · ${nameOf(LEVEL_NAMES, r.levelOfStudy, lang)}` : ''}${langs.length ? ` · ${langs.map((l) => nameOf(LANGUAGE_NAMES, l, lang)).join(', ')}` : ''}</p>
  ${snippet(item, lang) ? html`<p>${snippet(item, lang)}</p>` : ''}
</li>`;
}

export function searchPage(v: SearchView): Html {
  const { lang, params: p, result, facets } = v;
  const counts = (name: FacetName) => new Map((facets[name] ?? []).map((f) => [f.value, f.count]));
  const inst = counts('institution');
  const pages = Math.max(1, Math.ceil(result.total / PAGE_SIZE));
  const opts = (name: FacetName, label: (v: string) => string) => (facets[name] ?? []).map((f) => ({ value: f.value, label: label(f.value), count: f.count }));
  return html`<h1>${t(lang, 'title')}</h1>
<p>${t(lang, 'tagline')}</p>
<form method="get" action="/catalogue" role="search">
  <input type="hidden" name="lang" value="${lang}">
  <div class="search">
    <label for="q" class="visually-hidden">${t(lang, 'query')}</label>
    <input id="q" type="search" name="q" value="${p.q}" maxlength="200" placeholder="${t(lang, 'query')}">
    <button type="submit">${t(lang, 'search')}</button>
  </div>
  <div class="layout">
    <div class="filters">
      <h2>${t(lang, 'filters')}</h2>
      <fieldset>
        <legend>${t(lang, 'what')}</legend>
        ${select('kind', t(lang, 'what'), 'kind', p.kind, [{ value: 'programme', label: t(lang, 'programmes') }], t(lang, 'courses'))}
      </fieldset>
      <fieldset>
        <legend>${t(lang, 'filters')}</legend>
        ${select(
          'institution',
          t(lang, 'institution'),
          'institution',
          p.institution,
          [...v.institutions].map(([id, name]) => ({ value: id, label: name, count: inst.get(id) ?? 0 })),
          t(lang, 'any'),
        )}
        ${select(
          'level',
          t(lang, 'level'),
          'level',
          p.level,
          opts('levelOfStudy', (x) => nameOf(LEVEL_NAMES, x, lang)),
          t(lang, 'any'),
        )}
        ${select(
          'language',
          t(lang, 'language'),
          'language',
          p.language,
          opts('language', (x) => nameOf(LANGUAGE_NAMES, x, lang)),
          t(lang, 'any'),
        )}
        ${select(
          'mode',
          t(lang, 'mode'),
          'mode',
          p.mode,
          opts('mode', (x) => nameOf(MODE_NAMES, x, lang)),
          t(lang, 'any'),
        )}
        ${
          p.kind === 'course'
            ? select(
                'term',
                t(lang, 'term'),
                'term',
                p.term,
                opts('term', (x) => v.termNames.get(x) ?? x.split('|')[1] ?? x),
                t(lang, 'any'),
              )
            : ''
        }
        ${select(
          'field',
          t(lang, 'field'),
          'field',
          p.field,
          opts('iscedF', (x) => x),
          t(lang, 'any'),
        )}
        <label for="minCredits">${t(lang, 'minCredits')}</label>
        <input id="minCredits" type="number" name="minCredits" min="0" max="1000" value="${p.minCredits}">
        <label for="maxCredits">${t(lang, 'maxCredits')}</label>
        <input id="maxCredits" type="number" name="maxCredits" min="0" max="1000" value="${p.maxCredits}">
        <div class="check"><input id="open" type="checkbox" name="open"${p.open ? html` checked` : ''}><label for="open">${t(lang, 'open')} (${counts('open').get('true') ?? 0})</label></div>
        <div class="check"><input id="micro" type="checkbox" name="micro"${p.micro ? html` checked` : ''}><label for="micro">${t(lang, 'micro')} (${counts('micro').get('true') ?? 0})</label></div>
      </fieldset>
      <button type="submit">${t(lang, 'apply')}</button>
    </div>
    <section class="results" aria-labelledby="results-h">
      <h2 id="results-h">${t(lang, 'results')}</h2>
      <p role="status">${t(lang, 'found')}: ${result.total}</p>
      ${result.items.length ? html`<ol>${result.items.map((i) => hit(i, v))}</ol>` : html`<p>${t(lang, 'none')}</p>`}
      ${
        pages > 1
          ? html`<nav class="pager" aria-label="${t(lang, 'pages')}">
        ${p.page > 1 ? html`<a href="${link('', queryOf(p, lang, p.page - 1))}" rel="prev">${t(lang, 'previous')}</a>` : ''}
        <span>${t(lang, 'page')} ${p.page} / ${pages}</span>
        ${p.page < pages ? html`<a href="${link('', queryOf(p, lang, p.page + 1))}" rel="next">${t(lang, 'next')}</a>` : ''}
      </nav>`
          : ''
      }
    </section>
  </div>
</form>`;
}
