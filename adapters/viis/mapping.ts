import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type { AdapterContext, CompiledMapping } from '../../src/core/adapter.ts';
import { SinkRejectedError } from '../../src/core/errors.ts';
import type { JsonObject } from '../../src/core/types.ts';
import type { DigitalDiplomaRequest, MappedEntity, ViisEntity, ViisRecord } from './records.ts';

/** What the mapper uses of the adapter context: the folder of mapping sets and the mapping compiler. */
export type MappingAccess = Pick<AdapterContext, 'mappingsDir' | 'compileMapping'>;

export interface RequestBindings {
  institution: string;
  /** Local programme id → register programme code, for this institution. */
  programmeCodes: Record<string, string>;
}

/**
 * Runs mappings/<set>/<entity>.jsonata (canonical record → register record), each file compiled once.
 * A record the mapping cannot express ($error, or no localId) is a SinkRejectedError: sending it again
 * will not help, fixing the record or the mapping will.
 */
export class RequestMapper {
  private readonly cache = new Map<string, CompiledMapping>();
  readonly dir: string;

  constructor(
    private readonly mappings: MappingAccess,
    readonly set: string = 'viis',
  ) {
    this.dir = mappings.mappingsDir;
  }

  file(entity: MappedEntity): string {
    return join(this.dir, this.set, `${entity}.jsonata`);
  }

  private compile(entity: MappedEntity): CompiledMapping {
    let e = this.cache.get(entity);
    if (!e) {
      const f = this.file(entity);
      if (!existsSync(f)) throw new SinkRejectedError(`VIIS: no mapping ${this.set}/${entity}.jsonata`);
      try {
        e = this.mappings.compileMapping(readFileSync(f, 'utf8'), `${this.set}/${entity}`);
      } catch (err) {
        throw new SinkRejectedError((err as Error).message, { cause: err });
      }
      this.cache.set(entity, e);
    }
    return e;
  }

  private async run(entity: MappedEntity, record: JsonObject, b: RequestBindings): Promise<Record<string, unknown>> {
    const name = `${this.set}/${entity}`;
    let out: unknown;
    try {
      out = await this.compile(entity).evaluate(record, { institution: b.institution, programmeCodes: b.programmeCodes });
    } catch (e) {
      if (e instanceof SinkRejectedError) throw e;
      const err = e as { message?: string; code?: string };
      throw new SinkRejectedError(`VIIS mapping ${name} refused the record: ${err.message ?? String(e)}`, { cause: e });
    }
    if (out === null || typeof out !== 'object' || Array.isArray(out)) throw new SinkRejectedError(`VIIS mapping ${name} did not produce an object`);
    return JSON.parse(JSON.stringify(out)) as Record<string, unknown>;
  }

  async map(entity: ViisEntity, record: JsonObject, b: RequestBindings): Promise<ViisRecord> {
    const plain = await this.run(entity, record, b);
    if (typeof plain.localId !== 'string' || plain.localId === '') throw new SinkRejectedError(`VIIS mapping ${this.set}/${entity} produced no localId`);
    return plain as ViisRecord;
  }

  /** A degree credential → the register's digital diploma and, when revoked, its revocation (mappings/<set>/credential.jsonata). */
  async mapCredential(record: JsonObject, b: RequestBindings): Promise<DigitalDiplomaRequest> {
    const plain = await this.run('credential', record, b);
    const d = plain.digitalDiploma as Record<string, unknown> | undefined;
    if (typeof d?.credentialId !== 'string' || d.credentialId === '') throw new SinkRejectedError(`VIIS mapping ${this.set}/credential produced no digitalDiploma.credentialId`);
    const r = plain.revocation as Record<string, unknown> | undefined;
    if (r !== undefined && (typeof r.revokedAt !== 'string' || r.revokedAt === '')) throw new SinkRejectedError(`VIIS mapping ${this.set}/credential produced a revocation without revokedAt`);
    return plain as unknown as DigitalDiplomaRequest;
  }

  /** Forgets compiled expressions (after a mapping file was fixed). */
  reload(): void {
    this.cache.clear();
  }
}
