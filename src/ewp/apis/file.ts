import { EwpRequestError } from '../../core/errors.ts';
import { disclose, type Endpoint, type EwpContext, type FileAnswer } from '../endpoint.ts';
import { isEwpIdentifier } from '../params.ts';
import { mobilitiesById } from './mobility.ts';
import { TOR_FILE_ID, torFile } from './tor-file.ts';
import { torItems } from './tors.ts';

const TOR_PDF_FIELDS = ['givenNames', 'familyName', 'birthDate'] as const;
const RESULT_FIELDS = ['course', 'date', 'grade', 'credits'] as const;

/**
 * File API 1: a file by its `file_id` (GET or POST, required, not repeatable). The files are the PDF
 * transcripts the hub's ToRs name (src/ewp/apis/tor-file.ts), served to the callers that may get that
 * ToR: the sending HEI of the incoming mobility. An unknown id, an id the caller may not see, and the id
 * of a transcript that has changed since (it has a new id) are all a 404 that says no more.
 */
async function file(ctx: EwpContext): Promise<FileAnswer> {
  const id = ctx.params.required('file_id');
  const notFound = new EwpRequestError('no file with that file_id is shared with the caller', { status: 404 });
  const parsed = TOR_FILE_ID.exec(id);
  const omobilityId = parsed?.[1];
  if (!omobilityId || !isEwpIdentifier(omobilityId)) throw notFound;
  const mobilities = (await mobilitiesById(ctx.node, ctx.hei, omobilityId, 'receiving')).filter((m) => ctx.caller.heis.includes(String(m.data.sendingInstitution)));
  for (const m of mobilities) {
    const { person, items } = await torItems(ctx.node, ctx.hei, m);
    if (!person || !items.length) continue;
    const f = torFile(ctx.hei, m, person, items);
    if (f.fileId !== id) continue;
    const partner = String(m.data.sendingInstitution);
    disclose(ctx, partner, person, TOR_PDF_FIELDS);
    for (const i of items) disclose(ctx, partner, i.attainment, RESULT_FIELDS);
    return { file: { contentType: 'application/pdf', body: await f.render(), etag: f.hash, name: 'transcript-of-records.pdf' } };
  }
  throw notFound;
}

export const fileEndpoints: Endpoint[] = [{ path: 'file', methods: ['GET', 'POST'], handle: file }];
