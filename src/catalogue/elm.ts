import type { JsonObject } from '../core/types.ts';
import type { CatalogueItem } from './model.ts';
import { ectsOf, texts } from './project.ts';

/**
 * A programme or course as a Europass learning opportunity in ELM 3 (JSON-LD with the EDC application
 * profile context, ../shared/standards/elm/elm-v3/edc-ap-context.jsonld): the opportunity, what it leads
 * to (a Qualification for a programme, a LearningAchievementSpecification for a course) with credits,
 * EQF level, ISCED-F field, languages and learning outcomes (ESCO skills attached), and its provider.
 * Controlled vocabularies are the EU ones the official samples use (EQF, ISCED-F, ECTS, language).
 */
export const ELM_CONTEXT = 'http://data.europa.eu/snb/model/context/edc-ap';

type LangMap = Record<string, string>;

function langMap(v: unknown): LangMap | undefined {
  const all = texts(v);
  return all.length ? Object.fromEntries(all.map((t) => [t.lang, t.text])) : undefined;
}

const concept = (id: string, scheme: string, label?: LangMap): JsonObject => ({ id, type: 'Concept', inScheme: { id: scheme, type: 'ConceptScheme' }, ...(label ? { prefLabel: label } : {}) });

const LANGUAGE_AUTHORITY: Record<string, string> = { lv: 'LAV', en: 'ENG', ru: 'RUS', de: 'DEU', fr: 'FRA', et: 'EST', lt: 'LIT' };

function clean(o: JsonObject): JsonObject {
  return Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && !(Array.isArray(v) && v.length === 0)));
}

export function learningOpportunityOf(item: CatalogueItem, provider: { id: string; name: string }, baseUrl: string): JsonObject {
  const r = item.record;
  const path = item.kind === 'programme' ? 'programmes' : 'courses';
  const id = `${baseUrl}/catalogue/elm/${path}/${item.id}`;
  const ects = ectsOf(r.credits);
  const langs = [...new Set([...(typeof r.language === 'string' ? [r.language] : []), ...(Array.isArray(r.teachingLanguages) ? (r.teachingLanguages as string[]) : [])])];
  const outcomes = Array.isArray(r.learningOutcomes) ? r.learningOutcomes : [];
  const skills = Array.isArray(r.escoSkills) ? (r.escoSkills as string[]) : [];
  const spec = clean({
    id: `${id}#specification`,
    type: item.kind === 'programme' ? 'Qualification' : 'LearningAchievementSpecification',
    title: langMap(r.name),
    description: langMap(r.description),
    creditPoint:
      ects !== undefined
        ? [
            {
              id: `${id}#credits`,
              type: 'CreditPoint',
              framework: concept('http://data.europa.eu/snb/education-credit/6fcec5c5af', 'http://data.europa.eu/snb/education-credit/25831c2', { en: 'European Credit Transfer System' }),
              point: String(ects),
            },
          ]
        : undefined,
    eqfLevel: typeof r.eqfLevel === 'number' ? concept(`http://data.europa.eu/snb/eqf/${r.eqfLevel}`, 'http://data.europa.eu/snb/eqf/25831c2', { en: `Level ${r.eqfLevel}` }) : undefined,
    thematicArea: typeof r.iscedF === 'string' ? [concept(`http://data.europa.eu/snb/isced-f/${r.iscedF}`, 'http://data.europa.eu/snb/isced-f/25831c2')] : undefined,
    language: langs
      .filter((l) => LANGUAGE_AUTHORITY[l])
      .map((l) => concept(`http://publications.europa.eu/resource/authority/language/${LANGUAGE_AUTHORITY[l]}`, 'http://publications.europa.eu/resource/authority/language')),
    learningOutcome: outcomes.map((o, i) =>
      clean({
        id: `${id}#outcome-${i + 1}`,
        type: 'LearningOutcome',
        title: langMap(o),
        relatedESCOSkill: i === 0 ? skills.map((s) => concept(s, 'http://data.europa.eu/esco/concept-scheme/skills')) : undefined,
      }),
    ),
    entryRequirement: langMap(r.admission ?? r.prerequisites) ? { id: `${id}#entry`, type: 'Note', noteLiteral: langMap(r.admission ?? r.prerequisites) } : undefined,
    ...(item.kind === 'programme' ? { isPartialQualification: false } : {}),
  });
  const homepage = Array.isArray(r.links) ? (r.links as { url: string }[]).filter((l) => /^https?:\/\//.test(l.url)).map((l) => ({ id: l.url, type: 'WebResource', contentURL: l.url })) : [];
  return clean({
    // The EDC context has no aliases for @id and @type (credentials take them from the W3C credentials context).
    '@context': [ELM_CONTEXT, { id: '@id', type: '@type' }],
    id,
    type: 'LearningOpportunity',
    title: langMap(r.name),
    description: langMap(r.description),
    learningAchievementSpecification: spec,
    providedBy: { id: `urn:schac:personalHomeOrganization:${provider.id}`, type: 'Organisation', legalName: { lv: provider.name } },
    homepage,
  });
}
