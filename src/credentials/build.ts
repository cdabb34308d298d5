import { CredentialDataError, type Violation } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { BASE64, CREDENTIAL_TYPE, ECTS, EDC_CONTEXT, EDC_SHAPES, VC_V1_CONTEXT, country, eqfLevel, fileType, iscedF, isoSeconds, issuerUri, language, type LanguageMap, type Node } from './vocab.ts';

/** A canonical localized string: `[{lang, text}]` (schemas/common.schema.json#/$defs/localizedString). */
export type Localized = { lang: string; text: string }[];

/** The institution that issues and seals the credential. */
export interface IssuerInfo {
  /** SCHAC code (EWP hei_id), e.g. lu.lv; written as `urn:schac:homeOrganization:<heiId>`. */
  heiId: string;
  /** Legal name (lv and/or en). */
  name: Localized;
  /** ISO 3166-1 alpha-2 country of the seat; default LV. */
  country?: string;
  /** Postal address as one line per language. */
  address?: Localized;
  /** http(s) homepage. */
  homepage?: string;
}

/** Where the credential's revocation bit lives (W3C Bitstring Status List). */
export interface StatusListEntry {
  /** URL of the status list credential. */
  url: string;
  /** Index of this credential's bit. */
  index: number;
}

/** An attainment of the degree's programme, with its course when known (for the title). */
export interface AttainmentEntry {
  attainment: JsonObject;
  course?: JsonObject | undefined;
}

interface Common {
  person: JsonObject;
  issuer: IssuerInfo;
  /** The credential's id: an absolute URI, e.g. urn:credential:<uuid>. */
  credentialId: string;
  issuedAt: string | Date;
  statusListEntry?: StatusListEntry | undefined;
}

export interface DegreeInput extends Common {
  award: JsonObject;
  programme?: JsonObject | undefined;
  /** Plain attainment records or {attainment, course} entries; each becomes a part of the achievement. */
  attainments?: (JsonObject | AttainmentEntry)[] | undefined;
}

export interface MicroCredentialInput extends Common {
  /** The attainment, flagged by an identifier of scheme `micro-credential` (its value: the offer's code). */
  attainment: JsonObject;
  /** The course the attainment is of: its name is the credential's title. */
  course?: JsonObject | undefined;
  /** A rendering of the credential (EDC requires one page image); a blank placeholder when absent. */
  displayImage?: { contentType: 'image/png' | 'image/jpeg'; base64: string } | undefined;
}

/** The scheme that flags an attainment as a micro-credential (no field of the canonical model says so). */
export const MICRO_CREDENTIAL_SCHEME = 'micro-credential';

/** A 1×1 white PNG: the display image when the caller gives none (a rendering is the lead's to add). */
const PLACEHOLDER_PNG = 'iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8/x8AAwMCAO+ip1sAAAAASUVORK5CYII=';

const LANGS = ['lv', 'en'] as const;
const DATE = /^\d{4}-\d{2}-\d{2}$/;
const URI = /^[A-Za-z][A-Za-z0-9+.-]*:[^\s]+$/;

/** Collects what is missing, then throws one CredentialDataError naming every field. */
class Needs {
  readonly violations: Violation[] = [];
  missing(path: string, message = 'is required'): void {
    this.violations.push({ path, message, keyword: 'required' });
  }
  text(obj: JsonObject | undefined, path: string, key: string): string | undefined {
    const v = obj?.[key];
    if (typeof v === 'string' && v.trim()) return v.trim();
    this.missing(`${path}/${key}`);
    return undefined;
  }
  langMap(obj: JsonObject | undefined, path: string, key: string): LanguageMap | undefined {
    const m = languageMap(obj?.[key]);
    if (m) return m;
    this.missing(`${path}/${key}`, 'needs a Latvian or English text');
    return undefined;
  }
  date(obj: JsonObject | undefined, path: string, key: string): string | undefined {
    const v = obj?.[key];
    if (typeof v === 'string' && DATE.test(v) && !Number.isNaN(Date.parse(v))) return `${v}T00:00:00Z`;
    this.missing(`${path}/${key}`, v === undefined ? 'is required' : 'must be a date (YYYY-MM-DD)');
    return undefined;
  }
  check(what: string): void {
    if (this.violations.length) throw new CredentialDataError(`cannot build the ${what} credential: ${this.violations.map((v) => v.path).join(', ')}`, { violations: this.violations });
  }
}

/** The lv and en texts of a canonical localized string, or undefined when it has neither. */
export function languageMap(v: unknown): LanguageMap | undefined {
  if (!Array.isArray(v)) return undefined;
  const out: LanguageMap = {};
  for (const lang of LANGS) {
    const t = (v as unknown[]).find((x): x is { lang: string; text: string } => !!x && typeof x === 'object' && (x as JsonObject).lang === lang && typeof (x as JsonObject).text === 'string');
    if (t && t.text.trim()) out[lang] = t.text.trim();
  }
  return Object.keys(out).length ? out : undefined;
}

function both(text: string): LanguageMap {
  return { lv: text, en: text };
}

function obj(v: unknown): JsonObject | undefined {
  return v && typeof v === 'object' && !Array.isArray(v) ? (v as JsonObject) : undefined;
}

function identifier(rec: JsonObject | undefined, scheme: string): string | undefined {
  const ids = rec?.identifiers;
  if (!Array.isArray(ids)) return undefined;
  const hit = ids.find((i) => obj(i)?.scheme === scheme && typeof obj(i)?.value === 'string');
  return hit ? String((hit as JsonObject).value) : undefined;
}

/** Credits in ECTS (legacy Latvian credit points count 1.5), or undefined. */
function ects(v: unknown): number | undefined {
  const c = obj(v);
  if (!c || typeof c.value !== 'number') return undefined;
  if (c.scheme === 'ECTS') return c.value;
  if (c.scheme === 'LV_KP_LEGACY') return c.value * 1.5;
  return undefined;
}

function creditPoint(id: string, points: number): Node {
  return { id, type: 'CreditPoint', framework: ECTS, point: String(points) };
}

/** The grade as a note: "10 (izcili)" in both languages (grades are not translated). */
function gradeNote(id: string, grade: JsonObject): Node {
  const label = typeof grade.label === 'string' ? ` (${grade.label})` : '';
  return { id, type: 'Note', noteLiteral: both(`${String(grade.value)}${label}`) };
}

function commonChecks(n: Needs, input: Common): { issuedAt?: string; person: JsonObject | undefined } {
  const person = obj(input.person);
  if (!person) n.missing('/person');
  if (typeof input.credentialId !== 'string' || !URI.test(input.credentialId)) n.missing('/credentialId', 'must be an absolute URI (e.g. urn:credential:<uuid>)');
  const issued = input.issuedAt instanceof Date ? input.issuedAt : typeof input.issuedAt === 'string' ? new Date(input.issuedAt) : undefined;
  let issuedAt: string | undefined;
  if (!issued || Number.isNaN(issued.getTime())) n.missing('/issuedAt', 'must be a date-time');
  else issuedAt = isoSeconds(issued);
  const issuer = obj(input.issuer);
  if (!issuer || typeof issuer.heiId !== 'string' || !/^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$/.test(issuer.heiId)) n.missing('/issuer/heiId', 'must be a SCHAC code');
  if (!languageMap(issuer?.name)) n.missing('/issuer/name', 'needs a Latvian or English text');
  if (issuer?.country !== undefined && !country(String(issuer.country))) n.missing('/issuer/country', 'is not a known country code');
  if (issuer?.homepage !== undefined && !/^https?:\/\/\S+$/.test(String(issuer.homepage))) n.missing('/issuer/homepage', 'must be an http(s) URL');
  const s = input.statusListEntry;
  if (s !== undefined) {
    if (typeof s?.url !== 'string' || !/^https?:\/\/\S+$/.test(s.url)) n.missing('/statusListEntry/url', 'must be an http(s) URL');
    if (!Number.isSafeInteger(s?.index) || s.index < 0) n.missing('/statusListEntry/index', 'must be a non-negative integer');
  }
  return { ...(issuedAt ? { issuedAt } : {}), person };
}

/** The issuer as an ELM Organisation (the shape both EDC schemas accept). */
function organisation(issuer: IssuerInfo): Node {
  const address = languageMap(issuer.address);
  return {
    id: issuerUri(issuer.heiId),
    type: 'Organisation',
    location: {
      id: 'urn:epass:location:1',
      type: 'Location',
      address: {
        id: 'urn:epass:address:1',
        type: 'Address',
        countryCode: country(issuer.country ?? 'LV'),
        ...(address ? { fullAddress: { id: 'urn:epass:note:address', type: 'Note', noteLiteral: address } } : {}),
      },
    },
    legalName: languageMap(issuer.name),
    ...(issuer.homepage ? { homepage: { id: 'urn:epass:webResource:1', type: 'WebResource', contentURL: issuer.homepage } } : {}),
  };
}

/** The W3C `credentialStatus` of a revocation bit (nothing without one); the issuer adds it once the bit is given out. */
export function credentialStatus(s: StatusListEntry | undefined): Node {
  if (!s) return {};
  return {
    credentialStatus: { id: `${s.url}#${s.index}`, type: 'BitstringStatusListEntry', statusPurpose: 'revocation', statusListIndex: String(s.index), statusListCredential: s.url },
  };
}

function subjectId(person: JsonObject): string {
  const esi = identifier(person, 'esi');
  if (esi && URI.test(esi)) return esi;
  if (typeof person.id === 'string' && /^[0-9a-f-]{36}$/i.test(person.id)) return `urn:uuid:${person.id.toLowerCase()}`;
  return 'urn:epass:person:1';
}

function displayLanguages(): Node {
  return { language: language('lv'), primaryLanguage: language('lv') };
}

/**
 * A European Digital Credential for a degree (award): the graduate, the qualification awarded (title,
 * EQF level, diploma number, date), the programme and, when given, the results it is made of. Texts in
 * Latvian and English where the records have them. Personal codes never enter the credential. Throws
 * CredentialDataError naming every missing field (`/award/title`, `/person/familyName`, …).
 */
export function buildDegreeCredential(input: DegreeInput): JsonObject {
  const n = new Needs();
  const { issuedAt, person } = commonChecks(n, input);
  const award = obj(input.award);
  if (!award) n.missing('/award');
  const given = n.text(person, '/person', 'givenNames');
  const family = n.text(person, '/person', 'familyName');
  const title = n.langMap(award, '/award', 'title');
  const awardedAt = n.date(award, '/award', 'awardedAt');
  const diplomaNumber = n.text(award, '/award', 'diplomaNumber');
  const level = award?.eqfLevel;
  if (!Number.isInteger(level) || (level as number) < 1 || (level as number) > 8) n.missing('/award/eqfLevel', 'must be an EQF level 1–8');
  const programme = obj(input.programme);
  if (input.programme !== undefined && !programme) n.missing('/programme');
  const programmeTitle = programme ? n.langMap(programme, '/programme', 'name') : undefined;
  const parts = (input.attainments ?? []).map((a, i) => attainmentPart(n, a, i));
  n.check('degree');
  // n.check threw if anything above was missing: the values below are set.
  const p = person as JsonObject;
  const a = award as JsonObject;
  const body = organisation(input.issuer);
  const qualification = languageMap(a.qualification);
  const summary = obj(a.gradesSummary);
  const total = ects(summary?.totalCredits);
  const birth = typeof p.birthDate === 'string' && DATE.test(p.birthDate) ? `${p.birthDate}T00:00:00Z` : undefined;
  const studentNumber = identifier(p, 'student-number');
  const description: LanguageMap = {};
  if (qualification?.lv) description.lv = `Profesionālā kvalifikācija: ${qualification.lv}`;
  if (qualification?.en) description.en = `Professional qualification: ${qualification.en}`;
  if (a.withDistinction === true) {
    description.lv = [description.lv, 'Diploms ar izcību'].filter(Boolean).join('. ');
    description.en = [description.en, 'Diploma with distinction'].filter(Boolean).join('. ');
  }
  const claim: Node = {
    id: 'urn:epass:learningAchievement:1',
    type: 'LearningAchievement',
    title,
    ...(Object.keys(description).length ? { description } : {}),
    identifier: [{ id: 'urn:epass:identifier:diploma', type: 'Identifier', notation: diplomaNumber, schemeName: 'diploma-number' }],
    awardedBy: { id: 'urn:epass:awardingProcess:1', type: 'AwardingProcess', awardingBody: body, awardingDate: awardedAt },
    specifiedBy: {
      id: 'urn:epass:qualification:1',
      type: 'Qualification',
      title,
      eqfLevel: eqfLevel(level as number),
      ...(typeof a.likCode === 'string' ? { qualificationCode: a.likCode } : {}),
      ...(typeof programme?.iscedF === 'string' ? { thematicArea: iscedF(programme.iscedF) } : {}),
      ...(total !== undefined ? { creditPoint: [creditPoint('urn:epass:creditPoint:1', total)] } : {}),
    },
    ...(total !== undefined ? { creditReceived: [creditPoint('urn:epass:creditPoint:received', total)] } : {}),
    ...(parts.length ? { hasPart: parts } : {}),
  };
  const degreeProgramme = programme
    ? {
        degreeProgramme: {
          id: typeof programme.id === 'string' ? `urn:uuid:${programme.id}` : 'urn:epass:degreeProgramme:1',
          type: 'DegreeProgramme',
          programmeTitle,
          status: 'withDegree',
          ...(ects(programme.credits) !== undefined ? { maxEcts: ects(programme.credits) } : {}),
          ...(total !== undefined ? { currentEcts: total } : {}),
        },
      }
    : {};
  return {
    '@context': [VC_V1_CONTEXT, EDC_CONTEXT],
    id: input.credentialId,
    type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
    credentialProfiles: CREDENTIAL_TYPE.qualificationAward,
    credentialSchema: { id: EDC_SHAPES, type: 'ShaclValidator2017' },
    issuer: body,
    issued: issuedAt,
    issuanceDate: issuedAt,
    validFrom: awardedAt,
    credentialSubject: {
      id: subjectId(p),
      type: 'Person',
      fullName: both(`${given} ${family}`),
      ...(studentNumber ? { studentNumber } : {}),
      ...(birth ? { dateOfBirth: birth } : {}),
      ...degreeProgramme,
      hasClaim: claim,
      // The simplified EDC degree schema requires this node with exactly these values.
      contactPoint: { id: 'urn:epass:contactPoint:1', type: 'ContactPoint', emailAddress: { id: 'mailto:', type: 'Mailbox' } },
    },
    displayParameter: {
      id: 'urn:epass:displayParameter:1',
      type: 'DisplayParameter',
      title: title as LanguageMap,
      ...displayLanguages(),
    },
    ...credentialStatus(input.statusListEntry),
  };
}

function attainmentPart(n: Needs, entry: JsonObject | AttainmentEntry, i: number): Node {
  const e = obj(entry);
  const isEntry = !!e && 'attainment' in e;
  const att = isEntry ? obj(e.attainment) : e;
  const course = isEntry ? obj(e.course) : undefined;
  const at = isEntry ? `/attainments/${i}/attainment` : `/attainments/${i}`;
  if (!att) {
    n.missing(at);
    return {};
  }
  const grade = obj(att.grade);
  if (!grade || typeof grade.value !== 'string') n.missing(`${at}/grade`);
  const date = n.date(att, at, 'date');
  const credits = ects(att.credits);
  const title = languageMap(course?.name) ?? (typeof course?.code === 'string' ? both(course.code) : typeof att.sourceId === 'string' ? both(att.sourceId) : undefined);
  return {
    id: `urn:epass:learningAchievement:${i + 2}`,
    type: 'LearningAchievement',
    ...(title ? { title } : {}),
    provenBy: {
      id: `urn:epass:learningAssessment:${i + 2}`,
      type: 'LearningAssessment',
      ...(title ? { title } : {}),
      ...(grade ? { grade: gradeNote(`urn:epass:note:grade:${i + 2}`, grade) } : {}),
      ...(date ? { dateIssued: date } : {}),
    },
    ...(credits !== undefined ? { creditReceived: [creditPoint(`urn:epass:creditPoint:${i + 2}`, credits)] } : {}),
  };
}

/**
 * A European Digital Credential for a micro-credential: one attainment flagged by an identifier of
 * scheme `micro-credential`, with the course's name as title, the grade, date and credits (ECTS). Throws
 * CredentialDataError naming every missing field (`/attainment/identifiers`, `/course/name`, …).
 */
export function buildMicroCredential(input: MicroCredentialInput): JsonObject {
  const n = new Needs();
  const { issuedAt, person } = commonChecks(n, input);
  const att = obj(input.attainment);
  if (!att) n.missing('/attainment');
  const given = n.text(person, '/person', 'givenNames');
  const family = n.text(person, '/person', 'familyName');
  const code = identifier(att, MICRO_CREDENTIAL_SCHEME);
  if (att && !code) n.missing('/attainment/identifiers', `needs an identifier of scheme ${MICRO_CREDENTIAL_SCHEME} (the attainment is not flagged as a micro-credential)`);
  const course = obj(input.course);
  const title = n.langMap(course, '/course', 'name');
  const grade = obj(att?.grade);
  if (att && (!grade || typeof grade.value !== 'string')) n.missing('/attainment/grade');
  const date = n.date(att, '/attainment', 'date');
  const credits = ects(att?.credits);
  if (att && credits === undefined) n.missing('/attainment/credits', 'needs credits in ECTS or LV_KP_LEGACY');
  const img = input.displayImage;
  if (img !== undefined && (!/^image\/(png|jpeg)$/.test(String(img?.contentType)) || typeof img?.base64 !== 'string' || !img.base64))
    n.missing('/displayImage', 'needs contentType image/png or image/jpeg and base64 content');
  n.check('micro-credential');
  const p = person as JsonObject;
  const body = organisation(input.issuer);
  const awardedBy = { id: 'urn:epass:awardingProcess:1', type: 'AwardingProcess', awardingBody: body, awardingDate: date };
  const birth = typeof p.birthDate === 'string' && DATE.test(p.birthDate) ? `${p.birthDate}T00:00:00Z` : undefined;
  const t = title as LanguageMap;
  return {
    '@context': [VC_V1_CONTEXT, EDC_CONTEXT],
    id: input.credentialId,
    type: ['VerifiableCredential', 'EuropeanDigitalCredential'],
    credentialProfiles: CREDENTIAL_TYPE.generic,
    credentialSchema: { id: EDC_SHAPES, type: 'ShaclValidator2017' },
    issuer: body,
    issued: issuedAt,
    issuanceDate: issuedAt,
    validFrom: date,
    credentialSubject: {
      id: subjectId(p),
      type: 'Person',
      fullName: both(`${given} ${family}`),
      ...(birth ? { dateOfBirth: birth } : {}),
      hasClaim: {
        id: 'urn:epass:learningAchievement:1',
        type: 'LearningAchievement',
        title: t,
        identifier: [{ id: 'urn:epass:identifier:micro-credential', type: 'Identifier', notation: code, schemeName: MICRO_CREDENTIAL_SCHEME }],
        awardedBy,
        provenBy: {
          id: 'urn:epass:learningAssessment:1',
          type: 'LearningAssessment',
          title: t,
          grade: gradeNote('urn:epass:note:grade', grade as JsonObject),
          dateIssued: date,
          awardedBy,
        },
        // The simplified schema's specifiedBy.creditPoint can never validate (an enum of strings on a
        // language map), so the credits are the achievement's creditReceived (ELM LearningAchievement).
        creditReceived: [creditPoint('urn:epass:creditPoint:1', credits as number)],
        specifiedBy: {
          id: 'urn:epass:qualification:1',
          type: 'Qualification',
          title: t,
          ...(typeof course?.language === 'string' && (course.language === 'lv' || course.language === 'en') ? { language: language(course.language) } : {}),
        },
      },
    },
    displayParameter: {
      id: 'urn:epass:displayParameter:1',
      type: 'DisplayParameter',
      title: t,
      description: { lv: 'Mikrokvalifikācija', en: 'Micro-credential' },
      ...displayLanguages(),
      individualDisplay: {
        id: 'urn:epass:individualDisplay:1',
        type: 'IndividualDisplay',
        language: language('lv'),
        displayDetail: {
          id: 'urn:epass:displayDetail:1',
          type: 'DisplayDetail',
          page: 1,
          image: {
            id: 'urn:epass:mediaObject:1',
            type: 'MediaObject',
            content: img?.base64 ?? PLACEHOLDER_PNG,
            contentEncoding: BASE64,
            contentType: fileType(img?.contentType === 'image/jpeg' ? 'JPEG' : 'PNG'),
          },
        },
      },
    },
    ...credentialStatus(input.statusListEntry),
  };
}
