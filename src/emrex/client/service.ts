import { promisify } from 'node:util';
import { gunzip } from 'node:zlib';
import type { Logger } from 'pino';
import { BadRequestError, EmrexRefusedError, ForbiddenError, NotFoundError, type EmrexRefusal } from '../../core/errors.ts';
import type { JsonObject } from '../../core/types.ts';
import type { RecordResult } from '../../pipeline/pipeline.ts';
import type { SqlDb } from '../../store/sql.ts';
import { RecordReader } from '../../store/records.ts';
import { parseXml } from '../../ewp/xml/parse.ts';
import type { ContactPoint } from '../../ewp/registry/contact-points.ts';
import { verifyElmo, type Check } from '../verify.ts';
import { incomingResults } from './attainments.ts';
import type { ContactPointDirectory } from './directory.ts';
import { personMismatch } from './person-match.ts';
import type { EmrexClientSettings } from './settings.ts';
import { ClientStore, type ClientSession, type ReceivedDocument, type ReceivedVerdict } from './store.ts';

const unzip = promisify(gunzip);

/** The largest ELMO document taken, unpacked (the form itself is limited before it is read: RETURN_BODY_BYTES). */
export const MAX_DOCUMENT_BYTES = 32 * 1024 * 1024;

/**
 * How much of an answer that is not a session's first (an unknown reference, a replay) is kept: anyone can post
 * to the public route, so only a session's first answer (bounded by the sessions admins start) is kept whole.
 */
export const KEEP_UNSOLICITED_BYTES = 1024 * 1024;

/** What the return route answers: the verdict kept, and the status to answer with. */
export interface ReturnOutcome {
  received: ReceivedDocument;
  status: 200 | 404 | 409 | 413 | 422;
}

/** A session as the admin API answers it: where the learner's browser goes and with what. */
export interface StartedSession {
  id: string;
  institution: string;
  contactPoint: Pick<ContactPoint, 'url' | 'name' | 'countryCode' | 'listedIn'>;
  expiresAt: string;
  /** The form the learner's browser POSTs (application/x-www-form-urlencoded) to the contact point. */
  form: { action: string; method: 'POST'; fields: { sessionId: string; returnUrl: string } };
}

export interface EmrexClientDeps {
  settings: EmrexClientSettings;
  sql: SqlDb;
  directory: ContactPointDirectory;
  /** The pipeline's ingest of canonical JSON through a source. */
  ingest(sourceId: string, entity: string, records: JsonObject[]): Promise<RecordResult[]>;
  logger: Logger;
  now?: () => Date;
}

const OK = new Set(['EMP_OK', 'NCP_OK']);
const NO_RESULTS = new Set(['EMP_NO_RESULTS', 'NCP_NO_RESULTS']);
const CANCEL = new Set(['EMP_CANCEL', 'NCP_CANCEL']);
const ERROR = new Set(['EMP_ERROR', 'NCP_ERROR']);

/** The fields a contact point posts back (EMREX: sessionId, returnCode, returnMessage, elmo). */
export interface ReturnForm {
  sessionId?: unknown;
  returnCode?: unknown;
  returnMessage?: unknown;
  elmo?: unknown;
}

const field = (v: unknown, max: number): string | null => (typeof v === 'string' ? v.slice(0, max) : null);

/**
 * The hub as an EMREX client of its institutions (docs/emrex.md, "Results coming in"): it starts sessions with
 * foreign contact points for a student, takes the ELMO document the contact point posts back to the session's
 * return URL, checks it (a known session, answered once and in time; the document unpacked within its limits,
 * well-formed without a DOCTYPE, sealed with a certificate the registry or EMREG list gives for that contact
 * point; the learner the session's person) and takes its results in as transfer attainments awaiting
 * recognition through the institution's canonical source. Every document that arrives is kept with its verdict.
 */
export class EmrexClient {
  readonly store: ClientStore;
  private readonly reader: RecordReader;

  private constructor(private readonly d: EmrexClientDeps) {
    this.store = new ClientStore(d.sql);
    this.reader = new RecordReader(d.sql);
  }

  static async start(d: EmrexClientDeps): Promise<EmrexClient> {
    const c = new EmrexClient(d);
    await c.store.migrate();
    return c;
  }

  get settings(): EmrexClientSettings {
    return this.d.settings;
  }

  get directory(): ContactPointDirectory {
    return this.d.directory;
  }

  private now(): Date {
    return this.d.now?.() ?? new Date();
  }

  /** Starts a session for a person of a receiving institution with a contact point named by URL or by country. */
  async startSession(o: { institution: string; person: string; contactPoint?: string; country?: string; createdBy: string }): Promise<StartedSession> {
    if (!this.d.settings.institutions.has(o.institution)) {
      throw new BadRequestError(`${o.institution} does not receive results through EMREX here (emrex.client.institutions)`, {
        violations: [{ path: '/institution', message: 'an institution of emrex.client' }],
      });
    }
    const person = await this.reader.byId(o.person, { entity: 'person' });
    if (!person || person.institution !== o.institution) throw new NotFoundError(`no person ${o.person} of ${o.institution}`);
    if (!o.contactPoint === !o.country)
      throw new BadRequestError('name the contact point by its URL (contactPoint) or its country (country), one of the two', {
        violations: [{ path: '/contactPoint', message: 'contactPoint or country' }],
      });
    const cp = o.contactPoint ? await this.d.directory.byUrl(o.contactPoint) : await this.d.directory.byCountry(o.country!);
    const s = await this.store.createSession({ institution: o.institution, personId: person.id, contactPoint: cp.url, createdBy: o.createdBy, ttlMs: this.d.settings.sessionMs, now: this.now() });
    return {
      id: s.id,
      institution: s.institution,
      contactPoint: { url: cp.url, name: cp.name, countryCode: cp.countryCode, listedIn: cp.listedIn },
      expiresAt: s.expiresAt,
      form: { action: cp.url, method: 'POST', fields: { sessionId: s.sessionId, returnUrl: `${this.d.settings.returnBase}${s.ref}` } },
    };
  }

  /**
   * A contact point's answer at `/emrex/return/{ref}`: checked, kept with its verdict, and the results taken in
   * when everything holds. A refusal is kept too and answered with its reason and status (never thrown).
   */
  async receive(ref: string, form: ReturnForm): Promise<ReturnOutcome> {
    const at = this.now();
    const returnCode = field(form.returnCode, 40);
    const returnMessage = field(form.returnMessage, 2000);
    const elmo = typeof form.elmo === 'string' ? form.elmo : null;
    let session: ClientSession | undefined;
    let document: string | null = elmo;
    let documentForm: 'xml' | 'base64' | null = elmo === null ? null : 'base64';
    let checks: Check[] = [];
    /** Whether this is the session's first answer: only that one is kept whole. */
    let first = false;
    const keep = async (verdict: ReceivedVerdict, detail: string, extra: { reason?: EmrexRefusal; results?: number; messages?: string[] } = {}) => {
      if (!first && document !== null && document.length > KEEP_UNSOLICITED_BYTES) {
        detail = `${detail} (the first ${KEEP_UNSOLICITED_BYTES} of ${document.length} characters kept)`;
        document = document.slice(0, KEEP_UNSOLICITED_BYTES);
      }
      return this.store.keep({
        session: session?.id ?? null,
        institution: session?.institution ?? null,
        contactPoint: session?.contactPoint ?? null,
        returnCode,
        returnMessage,
        verdict,
        reason: extra.reason ?? null,
        detail,
        checks,
        results: extra.results ?? 0,
        messages: extra.messages ?? [],
        document,
        documentForm,
        at,
      });
    };
    const refuse = async (e: EmrexRefusedError): Promise<ReturnOutcome> => {
      const reason = e.extra.reason as EmrexRefusal;
      const received = await keep('refused', e.message, { reason });
      this.d.logger.warn({ received: received.id, session: session?.id, reason }, 'an EMREX document was refused');
      return { received, status: e.status };
    };
    const refusal = (reason: EmrexRefusal, message: string, status?: 404 | 409 | 413 | 422) => new EmrexRefusedError(message, { extra: { reason }, ...(status ? { status } : {}) });

    session = /^[A-Za-z0-9_-]{16,64}$/.test(ref) ? await this.store.sessionByRef(ref) : undefined;
    if (!session || field(form.sessionId, 64) !== session.sessionId) {
      session = undefined;
      return refuse(refusal('unknown-session', 'no EMREX session of this hub has this return address and sessionId', 404));
    }
    // The first answer is taken atomically (two at once: one wins), late or not; any other is a replay.
    if (!(await this.store.answer(session.id, at))) return refuse(refusal('replayed', `the session was answered already (${session.answeredAt ?? 'moments ago'}); an answer is taken once`, 409));
    first = true;
    if (Date.parse(session.expiresAt) < at.getTime()) return refuse(refusal('expired', `the session expired at ${session.expiresAt}; start a new one`, 409));

    if (returnCode === null || ![...OK, ...NO_RESULTS, ...CANCEL, ...ERROR].includes(returnCode)) {
      return refuse(refusal('malformed', `returnCode must be one of EMP_OK, EMP_NO_RESULTS, EMP_CANCEL, EMP_ERROR (or the older NCP_*), not ${returnCode === null ? 'missing' : `'${returnCode}'`}`));
    }
    if (NO_RESULTS.has(returnCode)) return { received: await keep('no-results', 'the contact point had no results for the learner'), status: 200 };
    if (CANCEL.has(returnCode)) return { received: await keep('cancelled', 'the learner cancelled at the contact point'), status: 200 };
    if (ERROR.has(returnCode)) return { received: await keep('error', `the contact point reported an error${returnMessage ? `: ${returnMessage}` : ''}`), status: 200 };

    if (!elmo) return refuse(refusal('malformed', 'returnCode says results, but there is no elmo field'));
    let xml: string;
    try {
      xml = await unpack(elmo);
    } catch (e) {
      if (e instanceof EmrexRefusedError) return refuse(e);
      throw e;
    }
    document = xml;
    documentForm = 'xml';

    let cp: ContactPoint;
    try {
      cp = await this.d.directory.byUrl(session.contactPoint);
    } catch {
      return refuse(refusal('contact-point', `the contact point ${session.contactPoint} is no longer listed in the EWP registry or the EMREG list: its certificate is not known`));
    }
    const verdict = verifyElmo(
      xml,
      cp.certificates.map((pem) => ({ pem, label: `the certificate of ${cp.name}` })),
      at,
    );
    checks = verdict.checks;
    const failed = verdict.checks.find((c) => !c.passed && c.name !== 'attachments');
    if (failed) {
      const reason: EmrexRefusal = failed.name === 'signature' ? 'signature' : failed.name === 'certificate' ? 'certificate' : 'malformed';
      const why = failed.name === 'certificate' && /not one this hub trusts/.test(failed.reason) ? `the document is not sealed with a certificate ${cp.name} is listed with` : failed.reason;
      return refuse(refusal(reason, why));
    }
    const person = await this.reader.byId(session.personId, { entity: 'person' });
    const mismatch = person ? personMismatch(verdict.learner, person) : 'the session\u2019s person is no longer in the hub';
    if (mismatch) return refuse(refusal('person', `the document is not the session's person: ${mismatch}`));

    const incoming = incomingResults(parseXml(xml), { institution: session.institution, personId: session.personId, contactPoint: cp.name, receivedOn: at.toISOString().slice(0, 10) });
    const inst = this.d.settings.institutions.get(session.institution);
    if (!inst) return refuse(refusal('contact-point', `${session.institution} no longer receives results through EMREX here`));
    const results = incoming.attainments.length ? await this.d.ingest(inst.source.id, 'attainment', incoming.attainments) : [];
    const rejected = results.filter((r) => r.status === 'rejected');
    const left = incoming.leftOut.length ? `; left out ${incoming.leftOut.length}: ${incoming.leftOut.map((l) => `${l.title} (${l.reason})`).join(', ')}`.slice(0, 2000) : '';
    const detail =
      `${results.length - rejected.length} results taken in as transfers awaiting recognition` +
      (rejected.length ? `; ${rejected.length} rejected by the pipeline (messages kept with their reasons)` : '') +
      left;
    const received = await keep('accepted', detail, { results: results.length - rejected.length, messages: results.map((r) => r.messageId) });
    this.d.logger.info(
      { received: received.id, session: session.id, institution: session.institution, results: results.length - rejected.length, rejected: rejected.length },
      'EMREX results received',
    );
    return { received, status: 200 };
  }

  /** The institutions a principal may act for: every client institution for admin, else those of its `emrex:<id>` scopes. */
  institutionsOf(scopes: readonly string[]): string[] | undefined {
    if (scopes.includes('admin') || scopes.includes('emrex:*')) return undefined;
    return scopes.filter((s) => s.startsWith('emrex:')).map((s) => s.slice('emrex:'.length));
  }

  /** Throws 403 unless the principal may act for the institution. */
  requireInstitution(scopes: readonly string[], institution: string): void {
    const mine = this.institutionsOf(scopes);
    if (mine && !mine.includes(institution)) throw new ForbiddenError(`this token lacks the scope 'emrex:${institution}'`);
  }
}

/** The elmo field: base64 of gzip of the XML (plain base64 of the XML accepted too), unpacked within MAX_DOCUMENT_BYTES. */
export async function unpack(elmo: string): Promise<string> {
  const b64 = elmo.replace(/\s+/g, '');
  if (!/^[A-Za-z0-9+/]*={0,2}$/.test(b64) || !b64.length) throw new EmrexRefusedError('the elmo field is not base64', { extra: { reason: 'malformed' } });
  const bytes = Buffer.from(b64, 'base64');
  let xml: Buffer;
  if (bytes[0] === 0x1f && bytes[1] === 0x8b) {
    try {
      xml = await unzip(bytes, { maxOutputLength: MAX_DOCUMENT_BYTES });
    } catch (e) {
      if ((e as { code?: string }).code === 'ERR_BUFFER_TOO_LARGE' || e instanceof RangeError)
        throw new EmrexRefusedError(`the document unpacks to more than ${MAX_DOCUMENT_BYTES} bytes`, { extra: { reason: 'too-large' }, status: 413 });
      throw new EmrexRefusedError(`the elmo field is not valid gzip: ${(e as Error).message}`, { extra: { reason: 'malformed' } });
    }
  } else xml = bytes;
  if (xml.length > MAX_DOCUMENT_BYTES) throw new EmrexRefusedError(`the document is more than ${MAX_DOCUMENT_BYTES} bytes`, { extra: { reason: 'too-large' }, status: 413 });
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(xml);
  } catch {
    throw new EmrexRefusedError('the document is not UTF-8 text', { extra: { reason: 'malformed' } });
  }
}
