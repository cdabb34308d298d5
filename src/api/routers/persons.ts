import express, { type Request, type Router } from 'express';
import { BadRequestError } from '../../core/errors.ts';
import { isValidPersonalCode } from '../../core/personal-code.ts';
import { sealedElmo } from '../../emrex/document.ts';
import { learnerRecord } from '../../emrex/learner-record.ts';
import { sealKey } from '../../emrex/seal-key.ts';
import type { ApiDeps } from '../deps.ts';
import { logServedRecords } from '../../privacy/ewp-disclosure.ts';
import { RecordReader } from '../../store/records.ts';
import { asyncHandler, param, scope } from '../context.ts';

/** An integer query parameter in [min, max], or the default. */
export function intParam(req: Request, name: string, dflt: number, min: number, max: number): number {
  const q = req.query[name];
  if (q === undefined) return dflt;
  const n = typeof q === 'string' && /^\d+$/.test(q) ? Number(q) : NaN;
  if (!Number.isSafeInteger(n) || n < min || n > max) {
    throw new BadRequestError(`query parameter '${name}' must be an integer from ${min} to ${max}`, { violations: [{ path: `/query/${name}`, message: `integer ${min}..${max}` }] });
  }
  return n;
}

/**
 * Subject access and erasure (admin scope): a person's records across institutions, every disclosure
 * the hub logged about them, and the erasure of their personal data. {id} is the hub UUID of a
 * person record; a personal code is looked up in a POST body, never in a URL.
 */
export function personsRouter(hub: Pick<ApiDeps, 'config' | 'env' | 'logger' | 'store' | 'privacy' | 'credentials'>): Router {
  const r = express.Router();
  r.use('/persons', scope('admin'));

  r.post(
    '/persons/lookup',
    asyncHandler(async (req, res) => {
      const body: unknown = req.body;
      const code = body && typeof body === 'object' && !Array.isArray(body) ? (body as { personalCode?: unknown }).personalCode : undefined;
      if (typeof code !== 'string') {
        throw new BadRequestError('body must be {"personalCode": "DDMMYY-NNNNN"}', { violations: [{ path: '/personalCode', message: 'required, a string' }] });
      }
      // The message never repeats the code: it is personal data.
      if (!isValidPersonalCode(code))
        throw new BadRequestError('personalCode is not a valid Latvian personal code', { violations: [{ path: '/personalCode', message: 'must be a valid personal code (DDMMYY-NNNNN)' }] });
      const persons = await hub.privacy.subjectAccess.lookup(code);
      res.json({ persons });
    }),
  );

  r.get(
    '/persons/:id/records',
    asyncHandler(async (req, res) => {
      const out = await hub.privacy.subjectAccess.records(param(req, 'id'));
      res.json({
        person: out.person,
        persons: out.persons,
        records: out.records.map((x) => ({
          id: x.id,
          entity: x.entity,
          institution: x.institution,
          sourceId: x.sourceId,
          version: x.version,
          deleted: x.deleted,
          updatedAt: x.updatedAt,
          record: x.data,
        })),
        kept: out.kept,
      });
    }),
  );

  r.get(
    '/persons/:id/elmo',
    asyncHandler(async (req, res) => {
      const institution = req.query.institution;
      if (institution !== undefined && (typeof institution !== 'string' || !hub.config.institutions.some((i) => i.id === institution))) {
        throw new BadRequestError("institution must be one of the configuration's institutions", { violations: [{ path: '/query/institution', message: 'a configured institution (SCHAC code)' }] });
      }
      const reader = new RecordReader(hub.store.sql);
      const record = await learnerRecord({ persons: hub.privacy.persons, reader }, param(req, 'id'), institution);
      const xml = await sealedElmo({ reader, institutions: hub.config.institutions, key: await sealKey(hub), diplomas: (awards) => hub.credentials.diplomasOf(awards) }, record);
      // The transcript is a disclosure of every record in it, to whoever asked (admin token).
      const who = req.principal ? `${req.principal.name} (token ${req.principal.tokenId})` : 'unknown';
      await logServedRecords(hub.privacy, {
        recipient: `admin:${who}`,
        route: 'api:persons/elmo',
        legalBasis: 'legal-obligation',
        purpose: "transcript of the learner's record (ELMO), asked for by an administrator",
        records: record.records.map((r) => ({ ...r, fields: Object.keys(r.data) })),
      });
      res.type('application/xml').send(xml);
    }),
  );

  r.get(
    '/persons/:id/disclosures',
    asyncHandler(async (req, res) => {
      const after = intParam(req, 'after', 0, 0, Number.MAX_SAFE_INTEGER);
      const limit = intParam(req, 'limit', 1000, 1, 10_000);
      res.json(await hub.privacy.subjectAccess.disclosures(param(req, 'id'), after, limit));
    }),
  );

  r.post(
    '/persons/:id/erasure',
    asyncHandler(async (req, res) => {
      const by = req.principal ? `${req.principal.name} (token ${req.principal.tokenId})` : 'unknown';
      const report = await hub.privacy.erase(param(req, 'id'), by);
      res.status(200).json(report);
    }),
  );
  return r;
}
