import { gzipSync } from 'node:zlib';
import { InternalError, NotFoundError } from '../../core/errors.ts';
import { uuidv7 } from '../../core/ids.ts';
import { logServedRecords } from '../../privacy/ewp-disclosure.ts';
import { sealedElmo } from '../document.ts';
import { learnerRecord, selectEntries, type LearnerRecord } from '../learner-record.ts';
import type { LearnerPagesDeps } from '../learner/types.ts';

/** The disclosure log's channel and the consent's purpose of a transfer. */
export const TRANSFER_ROUTE = 'emrex:contact-point';
export const TRANSFER_PURPOSE = 'emrex-transfer';

/** What the learner agrees to by sending (the consent record's legalText). */
export const TRANSFER_TEXT = {
  lv: 'Piekrītu, ka EMREX kontaktpunkts nosūta manis izvēlētos studiju rezultātus ar elektronisko zīmogu norādītajai iestādei.',
  en: 'I agree that the EMREX contact point sends the study results I chose, sealed electronically, to the institution named.',
};

/** The learner's whole record, from the first of their person records the hub still holds. */
export async function recordOf(deps: Pick<LearnerPagesDeps, 'privacy' | 'reader'>, persons: readonly string[]): Promise<LearnerRecord | undefined> {
  for (const id of persons) {
    try {
      return await learnerRecord({ persons: deps.privacy.persons, reader: deps.reader }, id);
    } catch (e) {
      if (!(e instanceof NotFoundError)) throw e;
    }
  }
  return undefined;
}

/** Whether a record has anything to send. */
export const hasEntries = (r: LearnerRecord | undefined): r is LearnerRecord => !!r && r.institutions.some((i) => i.results.length || i.awards.length);

export interface Transfer {
  id: string;
  /** The sealed ELMO document, gzipped and base64-encoded (the EMREX `elmo` parameter). */
  elmo: string;
  /** How many results and awards it carries. */
  entries: number;
}

/**
 * One transfer: the part of the learner's record they chose as a sealed ELMO document, written first
 * as the learner's consent (purpose emrex-transfer, recipient the client, through the configured
 * source; valid for this transfer only: validUntil is its own time) and in the disclosure log (one
 * entry per record sent, the person record first), so subject access and the learner's page show it.
 * Undefined when the choice holds nothing of the learner's record.
 */
export async function transfer(deps: LearnerPagesDeps, o: { record: LearnerRecord; chosen: ReadonlySet<string>; client: string; lang: 'lv' | 'en' }): Promise<Transfer | undefined> {
  const selected = selectEntries(o.record, o.chosen);
  const entries = selected.institutions.reduce((n, i) => n + i.results.length + i.awards.length, 0);
  if (!entries) return undefined;
  const now = new Date(deps.now?.() ?? Date.now());
  const xml = await sealedElmo({ reader: deps.reader, institutions: deps.institutions, key: await deps.sealKey(), diplomas: deps.credentials?.forAwards }, selected, now);
  const id = uuidv7();
  const source = deps.settings.consentSource;
  if (!source) throw new InternalError('no emrex.consentSource configured');
  const at = now.toISOString();
  const [consent] = await deps.ingest(source, 'consent', [
    {
      sourceId: `emrex-transfer-${id}`,
      identifiers: [],
      person: { id: o.record.person.id },
      purpose: TRANSFER_PURPOSE,
      recipient: o.client,
      scope: [...new Set(selected.records.map((r) => r.entity))].sort(),
      status: 'given',
      grantedAt: at,
      validUntil: at,
      channel: 'portal',
      legalText: [
        { lang: 'lv', text: TRANSFER_TEXT.lv },
        { lang: 'en', text: TRANSFER_TEXT.en },
      ],
      legalTextVersion: 'emrex-1',
    },
  ]);
  if (!consent || consent.error || consent.status === 'rejected') throw new InternalError(`the transfer's consent could not be recorded: ${consent?.error?.detail ?? 'no answer'}`);
  await logServedRecords(deps.privacy, {
    recipient: o.client,
    route: TRANSFER_ROUTE,
    legalBasis: 'consent',
    purpose: TRANSFER_PURPOSE,
    records: selected.records.map((r) => ({ ...r, fields: Object.keys(r.data) })),
  });
  return { id, elmo: gzipSync(Buffer.from(xml, 'utf8')).toString('base64'), entries };
}
