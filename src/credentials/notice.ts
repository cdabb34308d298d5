import type { JsonObject } from '../core/types.ts';
import type { CredentialSummary } from './registry.ts';

/**
 * The canonical `credential` record of an issued credential (schemas/credential.schema.json): the notice
 * routes and feeds carry (to VIIS, to wallets), never the sealed document itself.
 */
export function noticeOf(c: CredentialSummary, statusListUrl: string, studentNumbers: JsonObject[] = []): JsonObject {
  return {
    institution: c.institution,
    sourceId: c.id,
    sourceUpdatedAt: c.revokedAt ?? c.issuedAt,
    identifiers: c.identifiers,
    credentialId: `urn:uuid:${c.id}`,
    kind: c.kind,
    // The hub id, and the student number a register knows the graduate by (VIIS: personLocalId).
    person: { id: c.personId, ...(studentNumbers.length ? { identifiers: studentNumbers } : {}) },
    ...(c.kind === 'degree' ? { award: { id: c.subjectId } } : { attainment: { id: c.subjectId } }),
    subjectVersion: c.subjectVersion,
    title: c.title,
    status: c.status,
    issuedAt: c.issuedAt,
    ...(c.status === 'revoked' ? { revokedAt: c.revokedAt ?? c.issuedAt, ...(c.revocationReason ? { revocationReason: c.revocationReason.slice(0, 500) } : {}) } : {}),
    ...(c.replaces ? { replaces: c.replaces } : {}),
    statusList: { url: statusListUrl, index: c.listIndex },
  };
}
