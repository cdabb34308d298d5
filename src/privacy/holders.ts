import { InternalError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import type { SqlDb } from '../store/sql.ts';

/**
 * A module that keeps personal data in tables of its own, outside the canonical records (e.g. the EMREX
 * client's received documents). It registers with the privacy service, which then includes it in subject
 * access, erasure and retention without importing the module (docs/privacy.md, "Other modules' data").
 */
export interface PersonalDataHolder {
  /** The module's name: the key of its part in subject access, and the prefix of its tables in the counts. */
  readonly name: string;
  /** Subject access: what it keeps about these person records (all of one person), as metadata; no document text. */
  about(personIds: readonly string[]): Promise<JsonObject>;
  /**
   * Erasure, inside the erasure's transaction (`tx`): removes or scrubs what it keeps about these person records
   * (all of one person). Returns the rows changed per table.
   */
  erase(tx: SqlDb, o: { personIds: readonly string[]; erasureId: string; at: string }): Promise<Record<string, number>>;
  /** Retention: reduces what is older than its retention time at `now`. Returns the rows reduced per table. */
  retain?(now: number): Promise<Record<string, number>>;
}

/** Where modules register as holders of personal data; the privacy service reads the list at each use. */
export class PersonalDataHolders {
  private readonly list: PersonalDataHolder[] = [];

  register(holder: PersonalDataHolder): void {
    if (this.list.some((h) => h.name === holder.name)) throw new InternalError(`a personal-data holder '${holder.name}' is registered already`);
    this.list.push(holder);
  }

  all(): readonly PersonalDataHolder[] {
    return this.list;
  }
}
