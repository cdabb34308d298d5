import { sha256Hex } from '../../core/ids.ts';
import { transcriptPdf } from '../../emrex/pdf.ts';
import type { Rec } from '../data.ts';
import type { EwpHei } from '../settings.ts';
import { el, type XmlElement } from '../xml/build.ts';

/** A result of the transcript with its course (tors.ts TorResult). */
interface TorResult {
  attainment: Rec;
  course: Rec | undefined;
}

/** File API ids of ToR transcripts: `tor-pdf/<omobility id>/<first 32 hex digits of a SHA-256 of what the PDF shows>`. */
export const TOR_FILE_ID = /^tor-pdf\/(.+)\/([0-9a-f]{32})$/;

/** Changes when the PDF's layout does, so a transcript made by another layout gets another id. */
const LAYOUT = 'transcript-pdf/1';

const byDateThenId = (a: TorResult, b: TorResult) => String(a.attainment.data.date).localeCompare(String(b.attainment.data.date)) || a.attainment.id.localeCompare(b.attainment.id);

/** A transcript's File API id, and the PDF made only when it is asked for (src/ewp/apis/file.ts). */
export interface TorFile {
  fileId: string;
  hash: string;
  render(): Promise<Buffer>;
}

/**
 * The human-readable transcript of an incoming mobility's ToR (the PDF the EMREX side makes,
 * src/emrex/pdf.ts, in English, without the seal sentence: this PDF is not sealed) and its File API
 * id. The PDF is a function of the records it shows: dated by the latest change among them, its
 * results in a fixed order, so its id is a hash of those records (and the layout) and is known without
 * making the PDF: a ToR get names the file, the File API makes it. The same ToR gives the same id and
 * any change a new one (the spec's file immutability): a changed result is announced by the ToR CNR; a
 * changed name of the student or of a course reaches the partner at its next ToR get.
 */
export function torFile(hei: EwpHei, m: Rec, person: Rec, results: readonly TorResult[]): TorFile {
  const sorted = [...results].sort(byDateThenId);
  const shown = [person, ...sorted.flatMap((r) => (r.course ? [r.attainment, r.course] : [r.attainment]))];
  const latest = Math.max(...shown.map((r) => Date.parse(r.updatedAt)).filter(Number.isFinite));
  const now = new Date(Number.isFinite(latest) ? latest : 0);
  const hash = sha256Hex(JSON.stringify([LAYOUT, hei.id, hei.institution, now.toISOString(), shown.map((r) => [r.id, r.data])])).slice(0, 32);
  const record = { person, institutions: [{ institution: hei.id, results: sorted, awards: [] }], records: [] };
  return {
    fileId: `tor-pdf/${String(m.data.omobilityId)}/${hash}`,
    hash,
    render: () => transcriptPdf(record, { institutions: [hei.institution], lang: 'en', now, sealed: false }),
  };
}

/**
 * The ELMO report attachment that names the transcript PDF by its File API id. ELMO carries attachment
 * content inline only (a data URI) and ToRs 3 has no file element: the id goes in the attachment's
 * `identifier` with type `ewp-file-id`, without content; a partner fetches the PDF from the File API.
 */
export function torAttachment(fileId: string): XmlElement {
  return el(
    'emrex:attachment',
    {},
    el('emrex:identifier', { type: 'ewp-file-id' }, fileId),
    el('emrex:title', { 'xml:lang': 'en' }, 'Transcript of Records'),
    el('emrex:type', {}, 'Transcript of Records'),
    el('emrex:description', { 'xml:lang': 'en' }, 'PDF from the EWP File API of the issuing HEI: file_id is the ewp-file-id identifier of this attachment.'),
  );
}
