import express, { type ErrorRequestHandler, type Request, type RequestHandler, type Response, type Router } from 'express';
import { BadRequestError, isHubError, SchemaValidationError, type HubError, type Violation } from '../../core/errors.ts';
import { DEFAULT_MAX_DEPTH } from '../../core/json-walk.ts';
import type { ApiDeps } from '../deps.ts';
import { decodeJson } from '../../pipeline/decode.ts';
import type { RecordResult } from '../../pipeline/pipeline.ts';
import { asyncHandler, param, scope } from '../context.ts';
import { fromBodyParserError, problemOf, sendProblem } from '../problem.ts';

/** A source id or entity name in an ingest path: the config's id shape (schemas/config.schema.json#/$defs/name). */
const PATH_NAME = /^[a-z0-9][a-z0-9_-]{0,62}$/;

/**
 * The ingest path names a source of the config: a malformed name is a 400, an unknown source a 404,
 * and nothing is stored for either (raw input is kept for known sources only, so a caller cannot
 * make the hub store messages under ids it invents). Runs before the body is read.
 */
function knownSource(hub: Pick<ApiDeps, 'config' | 'pipeline'>): RequestHandler {
  return (req, _res, next) => {
    const violations: Violation[] = [];
    for (const name of ['sourceId', 'entity']) {
      if (!PATH_NAME.test(param(req, name))) violations.push({ path: `/path/${name}`, message: 'must be 1 to 63 characters a-z, 0-9, _ and -, starting with a letter or digit' });
    }
    try {
      if (violations.length) throw new BadRequestError(`the ingest path must be /ingest/{sourceId}/{entity} with ids of the configuration's shape`, { violations });
      hub.pipeline.source(param(req, 'sourceId'));
      next();
    } catch (e) {
      next(e);
    }
  };
}

/**
 * POST /api/v1/ingest/{sourceId}/{entity}: one record or an array, in the source's own format.
 * Whatever arrives is kept: bad input becomes a rejected message before the error is answered.
 */
export function ingestRouter(hub: Pick<ApiDeps, 'config' | 'pipeline'>): Router {
  const r = express.Router();
  const limits = hub.config.limits ?? {};
  const bodyLimit = limits.bodyBytes ?? 5 * 1024 * 1024;
  const maxRecords = limits.recordsPerRequest ?? 5000;
  const maxDepth = limits.maxDepth ?? DEFAULT_MAX_DEPTH;

  const keepRejected = async (sourceId: string, entity: string, raw: Buffer | null, contentType: string | null, e: HubError) => {
    const m = await hub.pipeline.rejectRaw(sourceId, entity, raw, contentType, e);
    return m.id;
  };

  /**
   * POST `route`: the body read raw, the target checked and the body decoded by `take` (which returns
   * the call's results); a body that cannot be taken is kept as a rejected message and answered with a problem.
   */
  const ingestRoute = (route: string, take: (raw: Buffer, contentType: string | null, sourceId: string, entity: string) => () => Promise<[RecordResult[], boolean]>) =>
    r.post(
      route,
      scope((req) => `ingest:${param(req, 'sourceId')}`),
      knownSource(hub),
      express.raw({ type: () => true, limit: bodyLimit }),
      asyncHandler(async (req, res) => {
        const sourceId = param(req, 'sourceId');
        const entity = param(req, 'entity');
        const contentType = req.headers['content-type'] ?? null;
        const raw = Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0);
        let run: () => Promise<[RecordResult[], boolean]>;
        try {
          hub.pipeline.checkTarget(sourceId, entity);
          run = take(raw, contentType, sourceId, entity);
        } catch (e) {
          if (!isHubError(e)) throw e;
          const messageId = await keepRejected(sourceId, entity, raw.length ? raw : null, contentType, e);
          sendProblem(res, problemOf(e, req.originalUrl, { messageId }));
          return;
        }
        const [results, isArray] = await run();
        answer(req, res, results, isArray);
      }),
    );

  const path = '/ingest/:sourceId/:entity';
  ingestRoute(path, (raw, contentType, sourceId, entity) => {
    const { value } = decodeJson(raw, contentType ?? undefined, { maxDepth, records: true });
    const isArray = Array.isArray(value);
    const records = isArray ? (value as unknown[]) : [value];
    if (records.length === 0) throw new BadRequestError('the array is empty: send at least one record');
    if (records.length > maxRecords) throw new BadRequestError(`${records.length} records in one request; at most ${maxRecords}`);
    return async () => [await hub.pipeline.ingest(sourceId, entity, records, contentType), isArray];
  });
  // POST …/delete: the records of these source ids deleted, each a message of its own (Pipeline.remove).
  ingestRoute(`${path}/delete`, (raw, contentType, sourceId, entity) => {
    const sourceIds = deletionIds(decodeJson(raw, contentType ?? undefined, { maxDepth }).value, maxRecords);
    return async () => [await hub.pipeline.remove(sourceId, entity, sourceIds), true];
  });

  // Body-parser failures (too large, aborted) reach here: keep what can be kept, then answer.
  const onBodyError: ErrorRequestHandler = (err, req, res, next) => {
    const e = isHubError(err) ? undefined : fromBodyParserError(err as object);
    if (!e) return next(err);
    keepRejected(param(req, 'sourceId'), param(req, 'entity'), null, req.headers['content-type'] ?? null, e)
      .then((messageId) => sendProblem(res, problemOf(e, req.originalUrl, { messageId })))
      .catch(next);
  };
  r.use(path, onBodyError);
  return r;
}

/** `{"sourceIds": [...]}`: 1 to maxRecords source ids (strings of 1 to 256 characters, no duplicates). */
function deletionIds(value: unknown, maxRecords: number): string[] {
  const ids = value && typeof value === 'object' && !Array.isArray(value) ? (value as { sourceIds?: unknown }).sourceIds : undefined;
  const shape = 'the body must be {"sourceIds": [...]}: the source ids (business keys) of the records to delete';
  if (!Array.isArray(ids) || ids.length === 0) throw new BadRequestError(shape, { violations: [{ path: '/sourceIds', message: 'a non-empty array of strings' }] });
  if (ids.length > maxRecords) throw new BadRequestError(`${ids.length} source ids in one request; at most ${maxRecords}`);
  const violations: Violation[] = ids.flatMap((x, i) => (typeof x === 'string' && x.length >= 1 && x.length <= 256 ? [] : [{ path: `/sourceIds/${i}`, message: 'a string of 1 to 256 characters' }]));
  if (violations.length) throw new BadRequestError(shape, { violations });
  return [...new Set(ids as string[])];
}

/** The answer to an ingest or deletion call: 202 when every record was taken, else a problem listing each message. */
function answer(req: Request, res: Response, results: RecordResult[], isArray: boolean): void {
  const rejected = results.filter((x) => x.status === 'rejected');
  const messages = results.map((x) => ({
    index: x.index,
    messageId: x.messageId,
    status: x.status,
    duplicate: x.duplicate,
    ...(x.recordId ? { recordId: x.recordId, version: x.version } : {}),
    ...(x.error ? { error: { code: x.error.code, detail: x.error.detail } } : {}),
  }));
  if (rejected.length === 0) {
    res.status(202).json({ accepted: results.length, messages });
    return;
  }
  const violations: Violation[] = rejected.flatMap((x) => (x.error?.violations ?? []).map((v) => ({ ...v, path: (isArray ? `/${x.index}` : '') + v.path })));
  const first = rejected[0]!.error!;
  const detail = rejected.length === 1 && !isArray ? first.detail : `${rejected.length} of ${results.length} records were rejected (the others were accepted); see messages[].error`;
  const err = new SchemaValidationError(detail, { violations });
  sendProblem(res, {
    ...problemOf(err, req.originalUrl),
    status: rejected.length === 1 && first.code === 'HUB_ERR_FORBIDDEN' ? 403 : 422,
    code: rejected.length === 1 ? first.code : err.code,
    accepted: results.length - rejected.length,
    messages,
  });
}
