import { randomBytes } from 'node:crypto';
import { uuidv7 } from '../../core/ids.ts';
import type { SqlDb } from '../../store/sql.ts';
import { EMREX_CLIENT_MIGRATIONS } from './tables.ts';

/** A session the hub started with a foreign contact point for a student of one of its institutions. */
export interface ClientSession {
  id: string;
  /** The unguessable reference in the return URL (never the person's code or id). */
  ref: string;
  /** The EMREX sessionId the contact point echoes (at most 32 characters). */
  sessionId: string;
  institution: string;
  personId: string;
  contactPoint: string;
  createdAt: string;
  expiresAt: string;
  answeredAt: string | null;
  createdBy: string;
}

/** What became of a document sent back to a return URL. */
export type ReceivedVerdict = 'accepted' | 'refused' | 'no-results' | 'cancelled' | 'error';

export interface ReceivedDocument {
  id: string;
  receivedAt: string;
  session: string | null;
  institution: string | null;
  contactPoint: string | null;
  returnCode: string | null;
  returnMessage: string | null;
  verdict: ReceivedVerdict;
  /** The refusal's reason code (EmrexRefusal), when refused. */
  reason: string | null;
  detail: string;
  checks: { name: string; passed: boolean; reason: string }[];
  /** Results taken in as attainments. */
  results: number;
  /** The pipeline messages of the results (committed, unchanged or rejected). */
  messages: string[];
  /** The document and the contact point's message removed: when, and why (the person's erasure, or the retention time); null while kept. */
  removed: { at: string; by: 'erasure' | 'retention' } | null;
}

type Row = Record<string, unknown>;

const sessionOf = (r: Row): ClientSession => ({
  id: String(r.id),
  ref: String(r.ref),
  sessionId: String(r.session_id),
  institution: String(r.institution),
  personId: String(r.person_id),
  contactPoint: String(r.contact_point),
  createdAt: String(r.created_at),
  expiresAt: String(r.expires_at),
  answeredAt: r.answered_at === null || r.answered_at === undefined ? null : String(r.answered_at),
  createdBy: String(r.created_by),
});

const str = (v: unknown): string | null => (v === null || v === undefined ? null : String(v));

export const receivedOf = (r: Row): ReceivedDocument => ({
  id: String(r.id),
  receivedAt: String(r.received_at),
  session: str(r.session),
  institution: str(r.institution),
  contactPoint: str(r.contact_point),
  returnCode: str(r.return_code),
  returnMessage: str(r.return_message),
  verdict: String(r.verdict) as ReceivedVerdict,
  reason: str(r.reason),
  detail: String(r.detail),
  checks: JSON.parse(String(r.checks)) as ReceivedDocument['checks'],
  results: Number(r.results),
  messages: JSON.parse(String(r.messages)) as string[],
  removed: r.removed_at === null || r.removed_at === undefined ? null : { at: String(r.removed_at), by: String(r.removed_by) as 'erasure' | 'retention' },
});

/** The columns of a received document but its text. */
export const RECEIVED_COLUMNS = 'id, received_at, session, institution, contact_point, return_code, return_message, verdict, reason, detail, checks, results, messages, removed_at, removed_by';

/** 24 random bytes as 32 base64url characters: EMREX allows a sessionId of up to 32. */
const token = () => randomBytes(24).toString('base64url');

/** The client's sessions and received documents, in the tables of the `emrex-client` module. */
export class ClientStore {
  constructor(private readonly sql: SqlDb) {}

  async migrate(): Promise<void> {
    await this.sql.migrate('emrex-client', EMREX_CLIENT_MIGRATIONS);
  }

  async createSession(s: { institution: string; personId: string; contactPoint: string; createdBy: string; ttlMs: number; now: Date }): Promise<ClientSession> {
    const row: ClientSession = {
      id: uuidv7(s.now.getTime()),
      ref: token(),
      sessionId: token(),
      institution: s.institution,
      personId: s.personId,
      contactPoint: s.contactPoint,
      createdAt: s.now.toISOString(),
      expiresAt: new Date(s.now.getTime() + s.ttlMs).toISOString(),
      answeredAt: null,
      createdBy: s.createdBy,
    };
    await this.sql.run(
      'INSERT INTO emrex_client_sessions (id, ref, session_id, institution, person_id, contact_point, created_at, expires_at, answered_at, created_by) VALUES (?, ?, ?, ?, ?, ?, ?, ?, NULL, ?)',
      [row.id, row.ref, row.sessionId, row.institution, row.personId, row.contactPoint, row.createdAt, row.expiresAt, row.createdBy],
    );
    return row;
  }

  async sessionByRef(ref: string): Promise<ClientSession | undefined> {
    const [r] = await this.sql.query('SELECT * FROM emrex_client_sessions WHERE ref = ?', [ref]);
    return r ? sessionOf(r) : undefined;
  }

  /** Marks the session answered; false when it already was (a replay, or two answers at once: one wins). */
  async answer(id: string, at: Date): Promise<boolean> {
    const { changes } = await this.sql.run('UPDATE emrex_client_sessions SET answered_at = ? WHERE id = ? AND answered_at IS NULL', [at.toISOString(), id]);
    return changes === 1;
  }

  async keep(d: Omit<ReceivedDocument, 'id' | 'receivedAt' | 'removed'> & { document: string | null; documentForm: 'xml' | 'base64' | null; at: Date }): Promise<ReceivedDocument> {
    const id = uuidv7(d.at.getTime());
    await this.sql.run(
      `INSERT INTO emrex_client_received (id, received_at, session, institution, contact_point, return_code, return_message, verdict, reason, detail, checks, results, messages, document, document_form)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
      [
        id,
        d.at.toISOString(),
        d.session,
        d.institution,
        d.contactPoint,
        d.returnCode,
        d.returnMessage,
        d.verdict,
        d.reason,
        d.detail,
        JSON.stringify(d.checks),
        d.results,
        JSON.stringify(d.messages),
        d.document,
        d.documentForm,
      ],
    );
    const { document: _d, documentForm: _f, at: _a, ...rest } = d;
    return { id, receivedAt: d.at.toISOString(), ...rest, removed: null };
  }

  /** Received documents, newest first, of some institutions (undefined: all; documents without a session are the admin's only). */
  async received(o: { institutions?: readonly string[]; limit: number }): Promise<ReceivedDocument[]> {
    const cols = RECEIVED_COLUMNS;
    if (o.institutions && !o.institutions.length) return [];
    const rows = o.institutions
      ? await this.sql.query(`SELECT ${cols} FROM emrex_client_received WHERE institution IN (${o.institutions.map(() => '?').join(', ')}) ORDER BY id DESC LIMIT ?`, [...o.institutions, o.limit])
      : await this.sql.query(`SELECT ${cols} FROM emrex_client_received ORDER BY id DESC LIMIT ?`, [o.limit]);
    return rows.map(receivedOf);
  }

  /** One received document with its text (the XML, or the form's base64 when it could not be unpacked). */
  async document(id: string): Promise<{ received: ReceivedDocument; document: string | null; form: 'xml' | 'base64' | null } | undefined> {
    const [r] = await this.sql.query('SELECT * FROM emrex_client_received WHERE id = ?', [id]);
    if (!r) return undefined;
    return { received: receivedOf(r), document: str(r.document), form: (str(r.document_form) as 'xml' | 'base64' | null) ?? null };
  }
}
