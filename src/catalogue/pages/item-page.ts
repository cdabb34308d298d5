import { html, type Html } from '../../admin/html.ts';
import type { JsonObject } from '../../core/types.ts';
import type { CatalogueItem } from '../model.ts';
import { ectsOf, textIn } from '../project.ts';
import { LANGUAGE_NAMES, LEVEL_NAMES, MODE_NAMES, nameOf, t, type Lang } from './i18n.ts';
import { link } from './layout.ts';

export interface ItemView {
  lang: Lang;
  item: CatalogueItem;
  institutionName: string;
  /** A course's offerings with their term names; a programme's courses; a course's programmes. */
  offerings: { item: CatalogueItem; termName: string | undefined }[];
  related: CatalogueItem[];
}

const yesNo = (v: unknown, lang: Lang) => (v === true ? t(lang, 'yes') : v === false ? t(lang, 'no') : undefined);

function fact(label: string, value: string | Html | undefined): Html {
  return value === undefined || value === '' ? html`` : html`<dt>${label}</dt><dd>${value}</dd>`;
}

function section(title: string, body: Html | string | undefined): Html {
  return body === undefined || body === '' ? html`` : html`<section><h2>${title}</h2>${typeof body === 'string' ? html`<p class="text">${body}</p>` : body}</section>`;
}

function credits(r: JsonObject, lang: Lang): string | undefined {
  const c = r.credits as { value?: number; scheme?: string } | undefined;
  if (c?.value === undefined) return undefined;
  const ects = ectsOf(c);
  if (c.scheme === 'ECTS') return `${c.value} ECTS (${c.value} KP)`;
  return ects !== undefined ? `${c.value} KP (${ects} ECTS${lang === 'lv' ? ', līdz 2022. g. 11. oktobrim' : ', before 11 October 2022'})` : `${c.value} ${c.scheme ?? ''}`;
}

/** A course or programme page: facts, texts, and what it links to. Every value is text (escaped). */
export function itemPage(v: ItemView): Html {
  const { lang, item } = v;
  const r = item.record;
  const title = lang === 'en' ? item.titleEn : item.titleLv;
  const langs = [...new Set([...(typeof r.language === 'string' ? [r.language] : []), ...(Array.isArray(r.teachingLanguages) ? (r.teachingLanguages as string[]) : [])])];
  const modes = Array.isArray(r.modesOfDelivery) ? (r.modesOfDelivery as string[]) : [];
  const outcomes = Array.isArray(r.learningOutcomes) ? r.learningOutcomes.map((o) => textIn(o, lang)).filter((o): o is string => !!o) : [];
  const contact = r.contact as JsonObject | undefined;
  // Only http(s) links become links (the schema allows no other; a page never trusts that alone).
  const links = Array.isArray(r.links) ? (r.links as { url: string; title?: unknown }[]).filter((l) => /^https?:\/\//i.test(l.url)) : [];
  const fees = Array.isArray(r.fees) ? (r.fees as { amount: number; currency: string; per: string }[]) : [];
  const isProgramme = item.kind === 'programme';
  const api = isProgramme ? `/ooapi/v5/programs/${item.id}` : `/ooapi/v5/courses/${item.id}`;
  const elm = isProgramme ? `/catalogue/elm/programmes/${item.id}` : `/catalogue/elm/courses/${item.id}`;
  return html`<p><a href="${link('', { lang, kind: isProgramme ? 'programme' : undefined })}">← ${t(lang, 'back')}</a></p>
<h1>${title}${r.microCredential === true ? html` <span class="badge">${t(lang, 'micro')}</span>` : ''}</h1>
<p class="meta">${v.institutionName}</p>
<dl class="facts">
  ${fact(t(lang, 'code'), item.code ?? item.sourceId)}
  ${fact(t(lang, 'credits'), credits(r, lang))}
  ${fact(t(lang, 'eqf'), typeof r.eqfLevel === 'number' ? `${r.eqfLevel}${typeof r.lkiLevel === 'number' ? ` / ${r.lkiLevel}` : ''}` : undefined)}
  ${fact(t(lang, 'level'), typeof r.levelOfStudy === 'string' ? nameOf(LEVEL_NAMES, r.levelOfStudy, lang) : undefined)}
  ${fact(t(lang, 'field'), typeof r.iscedF === 'string' ? r.iscedF : undefined)}
  ${fact(t(lang, 'language'), langs.map((l) => nameOf(LANGUAGE_NAMES, l, lang)).join(', '))}
  ${fact(t(lang, 'mode'), modes.map((m) => nameOf(MODE_NAMES, m, lang)).join(', '))}
  ${fact(t(lang, 'duration'), typeof r.durationYears === 'number' ? `${r.durationYears} ${t(lang, 'years')}` : undefined)}
  ${fact(t(lang, 'seats'), typeof r.seats === 'number' ? String(r.seats) : undefined)}
  ${fact(t(lang, 'fees'), fees.map((f) => `${f.amount} ${f.currency}${f.per === 'year' ? ` ${t(lang, 'perYear')}` : ` / ${f.per}`}`).join('; '))}
  ${fact(t(lang, 'open'), yesNo(r.openToOtherInstitutions, lang))}
  ${fact(t(lang, 'micro'), yesNo(r.microCredential, lang))}
</dl>
${section(t(lang, 'description'), textIn(r.description, lang))}
${section(t(lang, 'outcomes'), outcomes.length ? html`<ul>${outcomes.map((o) => html`<li>${o}</li>`)}</ul>` : undefined)}
${section(t(lang, 'admission'), textIn(r.admission, lang))}
${section(t(lang, 'prerequisites'), textIn(r.prerequisites, lang))}
${section(t(lang, 'assessment'), textIn(r.assessment, lang))}
${section(
  t(lang, 'skills'),
  Array.isArray(r.escoSkills) && r.escoSkills.length
    ? html`<ul>${(r.escoSkills as string[]).filter((s) => /^https?:\/\//i.test(s)).map((s) => html`<li><a href="${s}">${s}</a></li>`)}</ul>`
    : undefined,
)}
${section(
  t(lang, 'offerings'),
  v.offerings.length
    ? html`<ul>${v.offerings.map((o) => html`<li>${o.termName ?? o.item.code ?? o.item.sourceId}${typeof o.item.record.capacity === 'number' ? ` · ${o.item.record.capacity} ${t(lang, 'capacity')}` : ''}${typeof o.item.record.modeOfDelivery === 'string' ? ` · ${nameOf(MODE_NAMES, o.item.record.modeOfDelivery, lang)}` : ''}</li>`)}</ul>`
    : undefined,
)}
${section(
  isProgramme ? t(lang, 'programmeCourses') : t(lang, 'inProgrammes'),
  v.related.length
    ? html`<ul>${v.related.map((c) => html`<li><a href="${link(c.kind === 'programme' ? `/programmes/${c.id}` : `/courses/${c.id}`, { lang })}">${lang === 'en' ? c.titleEn : c.titleLv}</a> (${c.code ?? c.sourceId})</li>`)}</ul>`
    : undefined,
)}
${section(
  t(lang, 'contact'),
  contact
    ? html`<p>${textIn(contact.office, lang) ?? ''}${typeof contact.email === 'string' ? html`<br><a href="mailto:${contact.email}">${contact.email}</a>` : ''}${typeof contact.phone === 'string' ? html`<br>${contact.phone}` : ''}</p>`
    : undefined,
)}
${section(t(lang, 'links'), links.length ? html`<ul>${links.map((l) => html`<li><a href="${l.url}">${textIn(l.title, lang) ?? l.url}</a></li>`)}</ul>` : undefined)}
<section><h2>${t(lang, 'machine')}</h2><ul><li><a href="${api}">OOAPI 5 (JSON)</a></li><li><a href="${elm}">Europass / ELM 3 (JSON-LD)</a></li></ul></section>`;
}
