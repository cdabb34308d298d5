import type { JsonObject } from '../../core/types.ts';
import type { PersonalDataHolder } from '../../privacy/holders.ts';
import type { SqlDb } from '../../store/sql.ts';
import { EMREX_SESSION_MIGRATIONS } from './sessions.ts';

type Row = { id_hash: string; kind: string; state: string; created_at: string; expires_at: string; client: string | null; persons: string | null };

const personsOf = (r: Row): string[] => {
  try {
    const v: unknown = r.persons ? JSON.parse(r.persons) : [];
    return Array.isArray(v) ? v.map(String) : [];
  } catch {
    return [];
  }
};

/**
 * The learner sessions (contact point and learner's page) as personal data the privacy module knows: a
 * signed-in session holds the hub ids of the learner's person records until it is removed a day after it
 * ends. Subject access lists them (kind, times, client; never the cookie or the CSRF token); erasure
 * deletes the person's sessions at once. The table is small (a day of sessions): it is read whole.
 */
export async function learnerSessionsPersonalData(sql: SqlDb): Promise<PersonalDataHolder> {
  await sql.migrate('emrex-sessions', EMREX_SESSION_MIGRATIONS);
  const mine = async (db: SqlDb, personIds: readonly string[]) => {
    const ids = new Set(personIds);
    const rows = await db.query<Row>('SELECT id_hash, kind, state, created_at, expires_at, client, persons FROM emrex_sessions WHERE persons IS NOT NULL');
    return rows.filter((r) => personsOf(r).some((p) => ids.has(p)));
  };
  return {
    name: 'emrex-sessions',
    async about(personIds) {
      const rows = await mine(sql, personIds);
      return {
        sessions: rows.map((r) => ({ kind: r.kind, state: r.state, createdAt: r.created_at, expiresAt: r.expires_at, ...(r.client ? { client: r.client } : {}) })) as unknown as JsonObject[],
      } as JsonObject;
    },
    async erase(tx, o) {
      let n = 0;
      for (const r of await mine(tx, o.personIds)) n += (await tx.run('DELETE FROM emrex_sessions WHERE id_hash = ?', [r.id_hash])).changes;
      return { emrex_sessions: n };
    },
  };
}
