import { ForbiddenError, MappingError } from '../core/errors.ts';
import type { Violation } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import type { MappingBindings, MappingEngine } from './engine.ts';

export interface Transformed {
  record: JsonObject;
  violations: Violation[];
}

/**
 * Map one native record with a mapping set and validate the result against the entity's schema.
 * Shared by the pipeline and the golden tests, so both judge a record the same way.
 * Throws MappingError when the mapping rejects the record; returns schema violations.
 */
export async function transform(engine: MappingEngine, schemas: SchemaRegistry, set: string, entity: string, input: unknown, bindings: MappingBindings): Promise<Transformed> {
  const mapped = await engine.map(set, entity, input, bindings);
  if (mapped.length !== 1) throw new MappingError(`mapping ${set}/${entity} produced ${mapped.length} records; one record in gives one record out`);
  const record = mapped[0] as JsonObject;
  record.institution ??= bindings.institution;
  if (record.institution !== bindings.institution) {
    throw new ForbiddenError(`source '${bindings.source}' may only write records of ${bindings.institution}`, {
      violations: [{ path: '/institution', message: `must be '${bindings.institution}'` }],
    });
  }
  return { record, violations: schemas.validate(entity, record) };
}
