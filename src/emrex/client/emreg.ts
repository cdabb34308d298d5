import { readFile } from 'node:fs/promises';
import type { Logger } from 'pino';
import { MalformedInputError, TransportError } from '../../core/errors.ts';
import type { ValidateFunction } from 'ajv/dist/2020.js';
import { createAjv, toViolations } from '../../schemas/registry.ts';
import { acceptableUrl, certificatePem, type ContactPoint } from '../../ewp/registry/contact-points.ts';

/**
 * The shape of an EMREG list (the EMREX registry before the EWP registry listed contact points): `emps` (url,
 * acronym, countryCode, institutions, pubKey — the contact point's certificate, PEM) and `countries`
 * (countryCode, countryName, singleFetch), no other properties. The same rules as the official EMREG JSON
 * Schema (draft-06); the tests check both agree on the same lists.
 */
export const EMREG_SCHEMA = {
  type: 'object',
  additionalProperties: false,
  required: ['countries', 'emps'],
  properties: {
    emps: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['acronym', 'countryCode', 'institutions', 'pubKey', 'url'],
        properties: {
          url: { type: 'string', format: 'uri' },
          acronym: { type: 'string' },
          countryCode: { type: 'string' },
          institutions: { type: 'array', items: { type: 'string' } },
          pubKey: { type: 'string' },
        },
      },
    },
    countries: {
      type: 'array',
      items: {
        type: 'object',
        additionalProperties: false,
        required: ['countryCode', 'countryName', 'singleFetch'],
        properties: { countryCode: { type: 'string' }, countryName: { type: 'string' }, singleFetch: { type: 'boolean' } },
      },
    },
  },
} as const;

interface Emp {
  url: string;
  acronym: string;
  countryCode: string;
  institutions: string[];
  pubKey: string;
}

/** Compiled at the first list read, not when the module loads (~0.1 s of CPU at every hub start otherwise). */
let compiled: ValidateFunction<{ emps: Emp[] }> | undefined;
const validator = () => (compiled ??= createAjv().compile<{ emps: Emp[] }>(EMREG_SCHEMA));

/** A list larger than this is not an EMREG list. */
const MAX_BYTES = 5 * 1024 * 1024;

/**
 * The contact points of an EMREG list: the list must have the EMREG shape (else MalformedInputError with every
 * violation); an entry whose URL is not https (loopback excepted) or whose pubKey is no readable certificate
 * is left out.
 */
export function contactPointsOfEmreg(doc: unknown): ContactPoint[] {
  const validate = validator();
  if (!validate(doc)) throw new MalformedInputError('not an EMREG list of contact points', { violations: toViolations(validate.errors) });
  const out: ContactPoint[] = [];
  for (const e of doc.emps) {
    const pem = certificatePem(e.pubKey);
    if (!pem || !acceptableUrl(e.url) || out.some((o) => o.url === e.url)) continue;
    out.push({ url: e.url, name: e.acronym, countryCode: e.countryCode.toUpperCase(), institutions: e.institutions, certificates: [pem], listedIn: 'emreg' });
  }
  return out;
}

/** Reads an EMREG list from a file or an https URL (at most 5 MB, 15 s). */
export async function readEmreg(source: string, logger: Logger): Promise<ContactPoint[]> {
  let text: string;
  if (/^[a-z]+:\/\//i.test(source)) {
    let res: Response;
    try {
      res = await fetch(source, { headers: { accept: 'application/json' }, signal: AbortSignal.timeout(15_000), redirect: 'error' });
    } catch (e) {
      throw new TransportError(`the EMREG list ${source} cannot be read: ${(e as Error).message}`);
    }
    if (!res.ok) throw new TransportError(`the EMREG list ${source} answered HTTP ${res.status}`);
    const body = Buffer.from(await res.arrayBuffer());
    if (body.length > MAX_BYTES) throw new MalformedInputError(`the EMREG list ${source} is over ${MAX_BYTES} bytes`);
    text = body.toString('utf8');
  } else {
    text = await readFile(source, 'utf8');
    if (text.length > MAX_BYTES) throw new MalformedInputError(`the EMREG list ${source} is over ${MAX_BYTES} bytes`);
  }
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (e) {
    throw new MalformedInputError(`the EMREG list ${source} is not JSON: ${(e as Error).message}`);
  }
  const points = contactPointsOfEmreg(doc);
  logger.debug({ source, contactPoints: points.length }, 'read the EMREG list');
  return points;
}
