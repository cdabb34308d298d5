import { sha256Hex } from '../../core/ids.ts';
import type { JsonObject } from '../../core/types.ts';
import { GENDER_OF_CODE } from '../apis/mobility.ts';
import { NS } from '../xml/ns.ts';
import { attr, child, childText, children, elements, type XElem } from '../xml/parse.ts';

const compact = (o: JsonObject): JsonObject => Object.fromEntries(Object.entries(o).filter(([, v]) => v !== undefined && v !== null && !(Array.isArray(v) && v.length === 0)));
const ESI = /^urn:schac:personalUniqueCode:int:esi:[A-Za-z0-9.-]+:\S+$/;
const CEFR = new Set(['A1', 'A2', 'B1', 'B2', 'C1', 'C2']);
const TYPE_OF_LIST: Record<string, string> = {
  'components-studied': 'studied',
  'components-recognized': 'recognized',
  'virtual-components': 'virtual',
  'blended-mobility-components': 'blended',
  'short-term-doctoral-components': 'doctoral',
};
const STATUS_OF: Record<string, string> = { pending: 'nominated', approved: 'approved', rejected: 'rejected', cancelled: 'cancelled' };

/** A gYearMonth period bound as a date: the first day of the start month, the last day of the end month. */
const monthStart = (ym: string | undefined) => (ym && /^\d{4}-\d{2}$/.test(ym) ? `${ym}-01` : undefined);
const monthEnd = (ym: string | undefined) => {
  if (!ym || !/^\d{4}-\d{2}$/.test(ym)) return undefined;
  const [y, m] = ym.split('-').map(Number) as [number, number];
  return new Date(Date.UTC(y, m, 0)).toISOString().slice(0, 10);
};

/** Source ids of partner copies: never a personal identifier in clear (a person is keyed by a hash of its ESI). */
export const copyIds = {
  person: (sending: string, globalId: string) => `person/${sending}/${sha256Hex(globalId).slice(0, 32)}`,
  mobility: (sending: string, id: string) => `omobility/${sending}/${id}`,
  la: (sending: string, id: string, version: string) => `la/${sending}/${id}/${version}`,
};

export interface MobilityCopy {
  person: JsonObject | undefined;
  mobility: JsonObject;
  las: JsonObject[];
}

function student(s: XElem | undefined, ns: string): { globalId?: string; person: JsonObject } {
  if (!s) return { person: {} };
  const t = (n: string) => childText(s, n, ns);
  const globalId = t('global-id');
  return {
    ...(globalId ? { globalId } : {}),
    person: compact({
      givenNames: t('given-names'),
      familyName: t('family-name'),
      birthDate: t('birth-date'),
      gender: GENDER_OF_CODE[t('gender') ?? ''],
      citizenship: t('citizenship') ?? t('nationality'),
      email: t('email'),
      identifiers: globalId ? [{ scheme: ESI.test(globalId) ? 'esi' : 'ewp-global-id', value: globalId }] : [],
    }),
  };
}

function signature(x: XElem | undefined): JsonObject | undefined {
  if (!x) return undefined;
  const t = (n: string) => childText(x, n, NS.lasGet);
  const timestamp = t('timestamp');
  if (!timestamp) return undefined;
  // The canonical signature needs a name; EWP makes it optional (a student often signs in an app).
  const name = t('signer-name') ?? (t('signer-app') ? `(signed in ${t('signer-app')!})` : '(no name given)');
  return compact({ name, position: t('signer-position'), email: t('signer-email'), timestamp });
}

function components(list: XElem, year: string): JsonObject[] {
  const out: JsonObject[] = [];
  for (const l of elements(list)) {
    const type = TYPE_OF_LIST[l.local];
    if (!type) continue;
    for (const c of children(l, 'component', NS.lasGet)) {
      const t = (n: string) => childText(c, n, NS.lasGet);
      const term = child(c, 'term-id', NS.lasGet);
      const n = term ? childText(term, 'term-number', NS.termV2) : undefined;
      const total = term ? childText(term, 'total-terms', NS.termV2) : undefined;
      const ects = children(c, 'credit', NS.lasGet).find((x) => childText(x, 'scheme', NS.lasGet)?.toLowerCase() === 'ects');
      const reason = attr(c, 'reason-code');
      out.push(
        compact({
          type,
          courseCode: t('los-code'),
          losId: t('los-id'),
          title: t('title'),
          credits: ects ? { value: Number(childText(ects, 'value', NS.lasGet)), scheme: 'ECTS' } : undefined,
          termId: n && total ? `${year}-${n}/${total}` : undefined,
          status: attr(c, 'status'),
          reasonCode: reason,
          reasonText: attr(c, 'reason-text'),
          recognitionConditions: t('recognition-conditions'),
        }),
      );
    }
  }
  return out;
}

/**
 * A partner's LA (Outgoing Mobility LAs 1) and, when known, its nomination (Outgoing
 * Mobilities 3) as canonical copies at the receiving HEI: the student (person), the mobility and
 * one learning-agreement record per version (first-version, approved-changes, changes-proposal
 * with its id as changesId).
 */
export function mobilityFromXml(la: XElem, nomination: XElem | undefined): MobilityCopy | undefined {
  const ns = NS.lasGet;
  const id = childText(la, 'omobility-id', ns);
  const sending = child(la, 'sending-hei', ns);
  const receiving = child(la, 'receiving-hei', ns);
  const sendingHei = sending ? childText(sending, 'hei-id', ns) : undefined;
  if (!id || !sendingHei || !receiving) return undefined;
  const year = childText(la, 'receiving-academic-year-id', ns) ?? '';
  const s = student(child(la, 'student', ns), ns);
  const nomStudent = nomination ? student(child(nomination, 'student', NS.omobilitiesGet), NS.omobilitiesGet) : undefined;
  const globalId = s.globalId ?? nomStudent?.globalId;
  const personSourceId = globalId ? copyIds.person(sendingHei, globalId) : undefined;
  const person = personSourceId ? compact({ ...nomStudent?.person, ...s.person, sourceId: personSourceId }) : undefined;
  const lang = child(la, 'student-language-skill', ns);
  const cefr = lang ? childText(lang, 'cefr-level', ns) : undefined;
  const nom = nomination ? child(nomination, 'nomination', NS.omobilitiesGet) : undefined;
  const status = nomination ? STATUS_OF[childText(nomination, 'status', NS.omobilitiesGet) ?? ''] : undefined;
  const mobility = compact({
    sourceId: copyIds.mobility(sendingHei, id),
    identifiers: [{ scheme: 'omobility-id', value: id }],
    person: personSourceId ? { sourceId: personSourceId } : undefined,
    omobilityId: id,
    sendingInstitution: sendingHei,
    sendingOunitId: childText(sending!, 'ounit-id', ns),
    receivingInstitution: childText(receiving, 'hei-id', ns),
    receivingOunitId: childText(receiving, 'ounit-id', ns),
    iiaId: nom ? childText(child(nom, 'sending-hei', NS.omobilitiesGet) ?? nom, 'iia-id', NS.omobilitiesGet) : undefined,
    start: childText(la, 'start-date', ns) ?? monthStart(childText(la, 'start-year-month', ns)),
    end: childText(la, 'end-date', ns) ?? monthEnd(childText(la, 'end-year-month', ns)),
    status: status ?? 'nominated',
    mobilityType: 'student-studies',
    activityAttributes: nom ? childText(nom, 'activity-attributes', NS.omobilitiesGet) : undefined,
    subjectArea: childText(la, 'isced-f-code', ns),
    iscedClarification: childText(la, 'isced-clarification', ns),
    eqfLevel: childText(la, 'eqf-level-studied-at-departure', ns) ? Number(childText(la, 'eqf-level-studied-at-departure', ns)) : undefined,
    receivingAcademicYear: year,
    languageSkill: lang ? compact({ language: childText(lang, 'language', ns)?.toLowerCase(), cefrLevel: cefr && CEFR.has(cefr) ? cefr : undefined }) : undefined,
  });
  const las: JsonObject[] = [];
  const version = (name: string, x: XElem | undefined, changesId: string, withReceiving: boolean) => {
    if (!x) return;
    const signatures = compact({
      student: signature(child(x, 'student-signature', ns)),
      sending: signature(child(x, 'sending-hei-signature', ns)),
      receiving: signature(child(x, 'receiving-hei-signature', ns)),
    });
    las.push(
      compact({
        sourceId: copyIds.la(sendingHei, id, name === 'changes-proposal' ? `proposal/${changesId}` : name),
        identifiers: [{ scheme: 'omobility-id', value: id }],
        mobility: { sourceId: copyIds.mobility(sendingHei, id) },
        omobilityId: id,
        changesId,
        status: withReceiving && signatures.receiving ? 'approved' : 'draft',
        components: components(x, year),
        signatures,
      }),
    );
  };
  version('first-version', child(la, 'first-version', ns), 'first-version', true);
  version('approved-changes', child(la, 'approved-changes', ns), 'approved-changes', true);
  const proposal = child(la, 'changes-proposal', ns);
  version('changes-proposal', proposal, proposal ? (attr(proposal, 'id') ?? 'proposal') : '', false);
  return { person, mobility, las };
}

/**
 * A partner's nomination (Outgoing Mobilities 3) before there is any learning agreement: the student and
 * the mobility as canonical copies at the receiving HEI, with the nomination's status (pending →
 * nominated). A nomination names no dates: the copy has none until the LA brings them.
 */
export function mobilityFromNomination(studentMobility: XElem): MobilityCopy | undefined {
  const ns = NS.omobilitiesGet;
  const id = childText(studentMobility, 'omobility-id', ns);
  const nom = child(studentMobility, 'nomination', ns);
  if (!id || !nom) return undefined;
  const sending = child(nom, 'sending-hei', ns);
  const receiving = child(nom, 'receiving-hei', ns);
  const sendingHei = sending ? childText(sending, 'hei-id', ns) : undefined;
  const receivingHei = receiving ? childText(receiving, 'hei-id', ns) : undefined;
  const year = childText(nom, 'receiving-academic-year-id', ns);
  if (!sendingHei || !receivingHei || !year) return undefined;
  const s = student(child(studentMobility, 'student', ns), ns);
  const personSourceId = s.globalId ? copyIds.person(sendingHei, s.globalId) : undefined;
  const eqf = childText(nom, 'eqf-level-studied-at-departure', ns);
  const mobility = compact({
    sourceId: copyIds.mobility(sendingHei, id),
    identifiers: [{ scheme: 'omobility-id', value: id }],
    person: personSourceId ? { sourceId: personSourceId } : undefined,
    omobilityId: id,
    sendingInstitution: sendingHei,
    sendingOunitId: childText(sending!, 'ounit-id', ns),
    receivingInstitution: receivingHei,
    receivingOunitId: childText(receiving!, 'ounit-id', ns),
    iiaId: childText(sending!, 'iia-id', ns),
    status: STATUS_OF[childText(studentMobility, 'status', ns) ?? ''] ?? 'nominated',
    mobilityType: 'student-studies',
    activityAttributes: childText(nom, 'activity-attributes', ns),
    subjectArea: childText(nom, 'agreement-isced-f-code', ns),
    iscedClarification: childText(nom, 'comment', ns),
    eqfLevel: eqf ? Number(eqf) : undefined,
    receivingAcademicYear: year,
  });
  return { person: personSourceId ? compact({ ...s.person, sourceId: personSourceId }) : undefined, mobility, las: [] };
}
