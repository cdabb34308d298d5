import type { JsonObject } from '../../core/types.ts';
import type { PersonalDataHolder } from '../../privacy/holders.ts';
import { marks } from '../../store/json-sql.ts';
import type { SqlDb } from '../../store/sql.ts';
import { RECEIVED_COLUMNS, receivedOf } from './store.ts';

const DAY_MS = 24 * 3600 * 1000;

/** The default days a received document is kept (`privacy.retention.emrexDocumentsDays`). */
export const DEFAULT_EMREX_DOCUMENTS_DAYS = 365;

/** What a received document loses when it is reduced to its verdict: the document as it arrived and the contact point's message. */
const REMOVE = 'document = NULL, document_form = NULL, return_message = NULL';

async function sessionsOf(sql: SqlDb, personIds: readonly string[]): Promise<Record<string, unknown>[]> {
  if (!personIds.length) return [];
  return sql.query(`SELECT id, institution, contact_point, created_at, expires_at, answered_at, created_by FROM emrex_client_sessions WHERE person_id IN (${marks(personIds.length)}) ORDER BY id`, [
    ...personIds,
  ]);
}

/**
 * The EMREX client's tables as a holder of personal data (src/privacy/holders.ts): the sessions started for a
 * person (they name the person record) and the documents that came back to them (the learner's name, date of
 * birth, results, perhaps a national identifier).
 * - subject access: the person's sessions and received documents as metadata (verdict, checks, counts), never
 *   the document or the session's secrets (return reference, sessionId);
 * - erasure: the person's received documents reduced to their verdict (document and the contact point's message
 *   removed, `removed.by` erasure), the sessions' person replaced by `erased:<erasure id>`;
 * - retention: every received document older than `days` (the person's or not: answers to unknown sessions too)
 *   reduced to its verdict (`removed.by` retention).
 */
export function emrexClientPersonalData(sql: SqlDb, days: number = DEFAULT_EMREX_DOCUMENTS_DAYS): PersonalDataHolder {
  return {
    name: 'emrex-client',

    async about(personIds: readonly string[]): Promise<JsonObject> {
      const sessions = await sessionsOf(sql, personIds);
      const ids = sessions.map((s) => String(s.id));
      const received = ids.length ? await sql.query(`SELECT ${RECEIVED_COLUMNS} FROM emrex_client_received WHERE session IN (${marks(ids.length)}) ORDER BY id`, ids) : [];
      return {
        sessions: sessions.map((s) => ({
          id: String(s.id),
          institution: String(s.institution),
          contactPoint: String(s.contact_point),
          createdAt: String(s.created_at),
          expiresAt: String(s.expires_at),
          answeredAt: s.answered_at === null || s.answered_at === undefined ? null : String(s.answered_at),
          createdBy: String(s.created_by),
        })),
        received: received.map((r) => ({ ...receivedOf(r) }) as unknown as JsonObject),
      };
    },

    async erase(tx: SqlDb, o: { personIds: readonly string[]; erasureId: string; at: string }): Promise<Record<string, number>> {
      const ids = (await sessionsOf(tx, o.personIds)).map((s) => String(s.id));
      if (!ids.length) return {};
      const received = await tx.run(
        `UPDATE emrex_client_received SET ${REMOVE}, removed_by = CASE WHEN removed_at IS NULL THEN 'erasure' ELSE removed_by END, removed_at = COALESCE(removed_at, ?) WHERE session IN (${marks(ids.length)})`,
        [o.at, ...ids],
      );
      const sessions = await tx.run(`UPDATE emrex_client_sessions SET person_id = ? WHERE id IN (${marks(ids.length)})`, [`erased:${o.erasureId}`, ...ids]);
      return { emrex_client_received: received.changes, emrex_client_sessions: sessions.changes };
    },

    async retain(now: number): Promise<Record<string, number>> {
      const cutoff = new Date(now - days * DAY_MS).toISOString();
      const { changes } = await sql.run(
        `UPDATE emrex_client_received SET ${REMOVE}, removed_at = ?, removed_by = 'retention' WHERE received_at < ? AND removed_at IS NULL AND (document IS NOT NULL OR return_message IS NOT NULL)`,
        [new Date(now).toISOString(), cutoff],
      );
      return { emrex_client_received: changes };
    },
  };
}
