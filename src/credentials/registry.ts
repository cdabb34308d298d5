import { randomBytes } from 'node:crypto';
import type { Localized } from './build.ts';
import type { SqlDb } from '../store/sql.ts';
import { CREDENTIAL_MIGRATIONS } from './tables.ts';
import { LIST_BITS, newPermutation, positionOf, type ListPermutation } from './status-list.ts';

export type CredentialKind = 'degree' | 'micro-credential';
export type CredentialStatus = 'active' | 'revoked';

/** A credential the hub issued: what it certifies, whose, its status and its sealed text. */
export interface StoredCredential {
  /** UUID; the credential's id is `urn:uuid:<id>`. */
  id: string;
  institution: string;
  kind: CredentialKind;
  /** The award (degree) or attainment (micro-credential) record, and its version the credential was built from. */
  subjectId: string;
  subjectVersion: number;
  personId: string;
  title: Localized;
  status: CredentialStatus;
  listNo: number;
  listIndex: number;
  issuedAt: string;
  revokedAt?: string | undefined;
  revocationReason?: string | undefined;
  /** The credential this one replaced (a corrected award). */
  replaces?: string | undefined;
  /** Identifiers of what it certifies (the diploma number of a degree), as canonical identifiers. */
  identifiers: { scheme: string; value: string }[];
  /** The sealed credential (JWS JSON) as issued. */
  sealed: string;
}

/** A stored credential without its sealed text (lists). */
export type CredentialSummary = Omit<StoredCredential, 'sealed'>;

const SUMMARY = 'id, institution, kind, subject_id, subject_version, person_id, title, status, list_no, list_index, issued_at, revoked_at, revocation_reason, replaces, identifiers';

function summaryOf(r: Record<string, unknown>): CredentialSummary {
  return {
    id: String(r.id),
    institution: String(r.institution),
    kind: r.kind as CredentialKind,
    subjectId: String(r.subject_id),
    subjectVersion: Number(r.subject_version),
    personId: String(r.person_id),
    title: JSON.parse(String(r.title)) as Localized,
    status: r.status as CredentialStatus,
    listNo: Number(r.list_no),
    listIndex: Number(r.list_index),
    issuedAt: String(r.issued_at),
    ...(r.revoked_at ? { revokedAt: String(r.revoked_at) } : {}),
    ...(r.revocation_reason ? { revocationReason: String(r.revocation_reason) } : {}),
    ...(r.replaces ? { replaces: String(r.replaces) } : {}),
    identifiers: JSON.parse(String(r.identifiers)) as { scheme: string; value: string }[],
  };
}

/** What a list of credentials is filtered by. */
export interface CredentialQuery {
  personIds?: readonly string[];
  institution?: string;
  /** Paging: credentials issued after this (issued_at, id), newest first when absent. */
  limit?: number;
  offset?: number;
}

/**
 * The credentials module's tables on either dialect (src/credentials/tables.ts): credentials by id, by
 * subject and person, their status; positions in the status lists given out per institution; the
 * notices (the canonical `credential` records) still to be written into the change log.
 */
export class CredentialRegistry {
  private readonly perms = new Map<string, ListPermutation>();

  constructor(private readonly sql: SqlDb) {}

  async migrate(): Promise<void> {
    await this.sql.migrate('credentials', CREDENTIAL_MIGRATIONS);
  }

  /** Gives out `n` positions of the institution's status lists (a list's permutation is made at its first use). */
  async allocate(institution: string, n: number): Promise<{ listNo: number; index: number }[]> {
    const taken = await this.sql.transaction(async (tx) => {
      const [row] = await tx.query<{ issued: number | string }>(
        'INSERT INTO credential_positions (institution, issued) VALUES (?, ?) ON CONFLICT (institution) DO UPDATE SET issued = credential_positions.issued + ? RETURNING issued',
        [institution, n, n],
      );
      return Number(row!.issued);
    });
    const first = taken - n;
    for (let listNo = Math.floor(first / LIST_BITS); listNo <= Math.floor((taken - 1) / LIST_BITS); listNo++) await this.permutation(institution, listNo);
    const out: { listNo: number; index: number }[] = [];
    for (let i = first; i < taken; i++) out.push(positionOf(i, (listNo) => this.perms.get(`${institution}\u0000${listNo}`)!));
    return out;
  }

  private async permutation(institution: string, listNo: number): Promise<ListPermutation> {
    const key = `${institution}\u0000${listNo}`;
    const known = this.perms.get(key);
    if (known) return known;
    const fresh = newPermutation(randomBytes(8));
    await this.sql.run('INSERT INTO credential_status_lists (institution, list_no, mult, shift) VALUES (?, ?, ?, ?) ON CONFLICT (institution, list_no) DO NOTHING', [
      institution,
      listNo,
      fresh.mult,
      fresh.shift,
    ]);
    const [row] = await this.sql.query<{ mult: number; shift: number }>('SELECT mult, shift FROM credential_status_lists WHERE institution = ? AND list_no = ?', [institution, listNo]);
    const perm = { mult: Number(row!.mult), shift: Number(row!.shift) };
    this.perms.set(key, perm);
    return perm;
  }

  /**
   * Stores issued credentials; one already stored for the same subject version is kept (the new one is
   * dropped: the caller learns the stored id). Each new credential revokes the subject's older active
   * credentials ("replaced by …"). Returns the id stored for each input, in order.
   */
  async insert(items: readonly StoredCredential[]): Promise<{ id: string; created: boolean }[]> {
    return this.sql.transaction(async (tx) => {
      const out: { id: string; created: boolean }[] = [];
      for (const c of items) {
        const { changes } = await tx.run(
          `INSERT INTO credentials (id, institution, kind, subject_id, subject_version, person_id, title, status, list_no, list_index, issued_at, replaces, identifiers, notice, sealed)
           VALUES (?, ?, ?, ?, ?, ?, ?, 'active', ?, ?, ?, ?, ?, 'pending', ?) ON CONFLICT (subject_id, subject_version) DO NOTHING`,
          [
            c.id,
            c.institution,
            c.kind,
            c.subjectId,
            c.subjectVersion,
            c.personId,
            JSON.stringify(c.title),
            c.listNo,
            c.listIndex,
            c.issuedAt,
            c.replaces ?? null,
            JSON.stringify(c.identifiers),
            c.sealed,
          ],
        );
        if (!changes) {
          const [row] = await tx.query<{ id: string }>('SELECT id FROM credentials WHERE subject_id = ? AND subject_version = ?', [c.subjectId, c.subjectVersion]);
          out.push({ id: String(row!.id), created: false });
          continue;
        }
        await tx.run(
          `UPDATE credentials SET status = 'revoked', revoked_at = ?, revocation_reason = ?, notice = 'pending' WHERE subject_id = ? AND status = 'active' AND id <> ? AND subject_version < ?`,
          [c.issuedAt, `replaced by urn:uuid:${c.id} (the ${c.kind === 'degree' ? 'award' : 'attainment'} was corrected)`, c.subjectId, c.id, c.subjectVersion],
        );
        out.push({ id: c.id, created: true });
      }
      return out;
    });
  }

  /** The active credential of a subject (the newest), if any. */
  async activeOf(subjectId: string): Promise<CredentialSummary | undefined> {
    const [row] = await this.sql.query(`SELECT ${SUMMARY} FROM credentials WHERE subject_id = ? AND status = 'active' ORDER BY subject_version DESC LIMIT 1`, [subjectId]);
    return row ? summaryOf(row) : undefined;
  }

  /** Every credential of these subjects (award or attainment record ids), without their text: one query for a batch. */
  async ofSubjects(subjectIds: readonly string[]): Promise<CredentialSummary[]> {
    if (!subjectIds.length) return [];
    const rows = await this.sql.query(`SELECT ${SUMMARY} FROM credentials WHERE subject_id IN (${subjectIds.map(() => '?').join(', ')})`, [...subjectIds]);
    return rows.map(summaryOf);
  }

  /** The active credentials of subjects (award or attainment record ids) with their sealed text. */
  async activeOfSubjects(subjectIds: readonly string[]): Promise<StoredCredential[]> {
    if (!subjectIds.length) return [];
    const rows = await this.sql.query(`SELECT ${SUMMARY}, sealed FROM credentials WHERE status = 'active' AND subject_id IN (${subjectIds.map(() => '?').join(', ')})`, [...subjectIds]);
    return rows.map((row) => ({ ...summaryOf(row), sealed: String(row.sealed) }));
  }

  /** The credential stored for a subject version, if any. */
  async ofSubject(subjectId: string, version: number): Promise<CredentialSummary | undefined> {
    const [row] = await this.sql.query(`SELECT ${SUMMARY} FROM credentials WHERE subject_id = ? AND subject_version = ?`, [subjectId, version]);
    return row ? summaryOf(row) : undefined;
  }

  async get(id: string): Promise<StoredCredential | undefined> {
    const [row] = await this.sql.query(`SELECT ${SUMMARY}, sealed FROM credentials WHERE id = ?`, [id]);
    return row ? { ...summaryOf(row), sealed: String(row.sealed) } : undefined;
  }

  async list(q: CredentialQuery): Promise<CredentialSummary[]> {
    const where: string[] = [];
    const params: unknown[] = [];
    if (q.personIds) {
      where.push(q.personIds.length ? `person_id IN (${q.personIds.map(() => '?').join(', ')})` : '1 = 0');
      params.push(...q.personIds);
    }
    if (q.institution !== undefined) {
      where.push('institution = ?');
      params.push(q.institution);
    }
    const rows = await this.sql.query(`SELECT ${SUMMARY} FROM credentials${where.length ? ` WHERE ${where.join(' AND ')}` : ''} ORDER BY issued_at DESC, id LIMIT ? OFFSET ?`, [
      ...params,
      q.limit ?? 100,
      q.offset ?? 0,
    ]);
    return rows.map(summaryOf);
  }

  async count(institution?: string): Promise<number> {
    const [r] = await this.sql.query<{ n: number | string }>(
      `SELECT COUNT(*) AS n FROM credentials${institution === undefined ? '' : ' WHERE institution = ?'}`,
      institution === undefined ? [] : [institution],
    );
    return Number(r?.n ?? 0);
  }

  /** Revokes an active credential; false when it was not active (unknown or revoked already). */
  async revoke(id: string, reason: string, at: string): Promise<boolean> {
    const { changes } = await this.sql.run(`UPDATE credentials SET status = 'revoked', revoked_at = ?, revocation_reason = ?, notice = 'pending' WHERE id = ? AND status = 'active'`, [at, reason, id]);
    return changes > 0;
  }

  /** The indexes set in one status list (revoked credentials). */
  async revokedIndexes(institution: string, listNo: number): Promise<number[]> {
    const rows = await this.sql.query<{ i: number | string }>(`SELECT list_index AS i FROM credentials WHERE institution = ? AND list_no = ? AND status = 'revoked'`, [institution, listNo]);
    return rows.map((r) => Number(r.i));
  }

  /** Whether a list exists (a position of it was given out). */
  async hasList(institution: string, listNo: number): Promise<boolean> {
    const [r] = await this.sql.query('SELECT 1 AS x FROM credential_status_lists WHERE institution = ? AND list_no = ?', [institution, listNo]);
    return r !== undefined;
  }

  /** Whether the bit at (institution, list, index) is set. */
  async isRevoked(institution: string, listNo: number, index: number): Promise<boolean> {
    const [r] = await this.sql.query(`SELECT 1 AS x FROM credentials WHERE institution = ? AND list_no = ? AND list_index = ? AND status = 'revoked'`, [institution, listNo, index]);
    return r !== undefined;
  }

  /** Credentials of these institutions whose notice (the canonical record) is not in the change log yet. */
  async pendingNotices(institutions: readonly string[], limit: number): Promise<CredentialSummary[]> {
    if (!institutions.length) return [];
    const rows = await this.sql.query(`SELECT ${SUMMARY} FROM credentials WHERE notice <> 'sent' AND institution IN (${institutions.map(() => '?').join(', ')}) ORDER BY issued_at, id LIMIT ?`, [
      ...institutions,
      limit,
    ]);
    return rows.map(summaryOf);
  }

  /** Marks notices written, unless the credential changed again since (`status` as it was written). */
  async noticesSent(items: readonly { id: string; status: CredentialStatus }[]): Promise<void> {
    await this.sql.transaction(async (tx) => {
      for (const i of items) await tx.run(`UPDATE credentials SET notice = 'sent' WHERE id = ? AND status = ?`, [i.id, i.status]);
    });
  }
}
