import type { JsonObject } from '../../core/types.ts';
import { arr, obj, str, type Rec } from '../data.ts';
import { el, opt, type XmlElement } from '../xml/build.ts';
import { ectsOf } from './courses.ts';

/** Canonical component type → component list of the LA (in the XSD's order). */
export const LIST_OF: Record<string, string> = {
  studied: 'components-studied',
  recognized: 'components-recognized',
  virtual: 'virtual-components',
  blended: 'blended-mobility-components',
  doctoral: 'short-term-doctoral-components',
};
const EWP_REASONS = new Set(['not-available', 'language-mismatch', 'timetable-conflict', 'substituting-deleted', 'extending-mobility', 'adding-virtual-component']);
const LOS_ID = /^(CR|CLS|MOD|DEP)\/.{1,40}$/;

/** One version of a mobility's LA, as the canonical records say (grouped by changes id). */
export interface LaVersion {
  changesId: string;
  state: 'draft' | 'approved' | 'rejected';
  record: Rec;
}

/**
 * The versions of an LA from all its records (the source's own and the decisions the node
 * wrote): per changes id the most advanced state (approved > rejected > draft), in the order
 * they first appeared.
 */
export function laVersions(records: Rec[]): LaVersion[] {
  const rank = { draft: 0, rejected: 1, approved: 2 } as const;
  const by = new Map<string, LaVersion>();
  for (const r of [...records].sort((a, b) => a.seq - b.seq)) {
    const changesId = String(r.data.changesId);
    const state = (['draft', 'approved', 'rejected'].includes(String(r.data.status)) ? r.data.status : 'draft') as LaVersion['state'];
    const prev = by.get(changesId);
    if (!prev || rank[state] >= rank[prev.state]) by.set(changesId, { changesId, state, record: r });
  }
  return [...by.values()];
}

function signature(name: string, s: JsonObject | undefined): XmlElement | undefined {
  if (!s || !str(s.timestamp)) return undefined;
  return el(name, {}, opt('signer-name', str(s.name)), opt('signer-position', str(s.position)), opt('signer-email', str(s.email)), el('timestamp', {}, String(s.timestamp)));
}

function component(c: JsonObject, withStatus: boolean): XmlElement {
  const term = /^\d{4}\/\d{4}-(\d)\/(\d)$/.exec(str(c.termId) ?? '');
  const ects = ectsOf(c.credits);
  const reason = str(c.reasonCode);
  return el(
    'component',
    withStatus && str(c.status)
      ? { status: String(c.status), 'reason-code': reason && EWP_REASONS.has(reason) ? reason : undefined, 'reason-text': str(c.reasonText) ?? (reason === 'other' ? 'other' : undefined) }
      : {},
    opt('los-id', str(c.losId) && LOS_ID.test(String(c.losId)) ? String(c.losId) : undefined),
    opt('los-code', str(c.courseCode)),
    el('title', {}, String(c.title)),
    term ? el('term-id', {}, el('trm:term-number', {}, term[1]!), el('trm:total-terms', {}, term[2]!)) : undefined,
    ects !== undefined ? el('credit', {}, el('scheme', {}, 'ects'), el('value', {}, ects)) : undefined,
    opt('recognition-conditions', str(c.recognitionConditions)),
  );
}

/**
 * A ListOf_Components element (first-version, approved-changes, changes-proposal) of a
 * version; undefined when the student's or the sending HEI's signature is missing (the XSD
 * requires both).
 */
export function componentList(name: string, v: LaVersion, attrs: Record<string, string> = {}, withStatus = false): XmlElement | undefined {
  const sig = obj(v.record.data.signatures) ?? {};
  const student = signature('student-signature', obj(sig.student));
  const sending = signature('sending-hei-signature', obj(sig.sending));
  if (!student || !sending) return undefined;
  const comps = arr(v.record.data.components);
  return el(
    name,
    attrs,
    Object.entries(LIST_OF).map(([type, list]) => {
      const items = comps.filter((c) => c.type === type);
      return items.length
        ? el(
            list,
            {},
            items.map((c) => component(c, withStatus)),
          )
        : undefined;
    }),
    student,
    sending,
    signature('receiving-hei-signature', obj(sig.receiving)),
  );
}

/** first-version, approved-changes and changes-proposal of an LA; the current proposal id too. */
export function laLists(versions: LaVersion[]): { elements: XmlElement[]; proposal: LaVersion | undefined } {
  const approved = versions.filter((v) => v.state === 'approved');
  const first = approved[0];
  const latest = approved[approved.length - 1];
  const lastIndex = latest ? versions.indexOf(latest) : -1;
  const pending = versions
    .slice(lastIndex + 1)
    .filter((v) => v.state === 'draft')
    .pop();
  const out: XmlElement[] = [];
  const firstEl = first ? componentList('first-version', first) : undefined;
  if (firstEl) out.push(firstEl);
  if (latest && latest !== first) {
    const x = componentList('approved-changes', latest, {}, true);
    if (x) out.push(x);
  }
  const proposal = pending ? componentList('changes-proposal', pending, { id: pending.changesId }, !!first) : undefined;
  if (proposal) out.push(proposal);
  return { elements: out, proposal: proposal ? pending : undefined };
}
