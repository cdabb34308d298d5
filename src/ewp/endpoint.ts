import { EwpRequestError } from '../core/errors.ts';
import type { Rec } from './data.ts';
import type { EwpServices } from './services.ts';
import type { Params } from './params.ts';
import type { Caller } from './security/verify.ts';
import type { EwpHei } from './settings.ts';
import type { XmlElement } from './xml/build.ts';

/** What an EWP endpoint handler gets: the served HEI, the verified caller and the parameters. */
export interface EwpContext {
  node: EwpServices;
  hei: EwpHei;
  caller: Caller;
  params: Params;
  body: Buffer;
  contentType: string | undefined;
  /** Records with personal data the response hands over, per partner HEI (the router logs them before answering). */
  disclosed: Disclosed[];
}

export interface Disclosed {
  /** The partner HEI that gets the data. */
  recipient: string;
  record: Rec;
  /** The record fields the response carries. */
  fields: readonly string[];
}

/** Notes that the response hands these fields of a record to a partner HEI (the disclosure log). */
export function disclose(ctx: EwpContext, recipient: string, record: Rec | undefined, fields: readonly string[]): void {
  if (record) ctx.disclosed.push({ recipient, record, fields });
}

/** What a File API answer carries instead of XML: the file's bytes, media type and name, and its immutable id as ETag. */
export interface FileAnswer {
  file: { contentType: string; body: Buffer; etag: string; name: string };
}

export interface Endpoint {
  /** Path below /ewp/{heiId}/, e.g. `iias/get`. */
  path: string;
  methods: readonly ('GET' | 'POST')[];
  /** The request body is an XML document (update endpoints), not form parameters. */
  xmlBody?: boolean;
  handle(ctx: EwpContext): Promise<XmlElement | FileAnswer>;
}

/** The caller must cover this HEI (e.g. the receiving HEI of a mobility it asks about). */
export function callerCovers(ctx: EwpContext, heiId: string | undefined): boolean {
  return heiId !== undefined && ctx.caller.heis.includes(heiId);
}

/** Statistics endpoints answer only the configured statistics clients (ewp.statsClients; the EWP Stats Portal by default): 403 for others. */
export function requireStatsClient(ctx: EwpContext): void {
  if (!ctx.caller.heis.some((h) => ctx.node.settings.statsClients.includes(h))) {
    throw new EwpRequestError(`statistics are answered to ${ctx.node.settings.statsClients.join(', ')} only`, { status: 403 });
  }
}
