import type { Violation } from '../core/errors.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import type { HubConfig } from './types.ts';

/**
 * A feature's checks of the configuration beyond the schema (references into other sections, the
 * feature's own rules), run by validateConfig after the core's checks: one violation per problem,
 * with its path. The config module never imports a feature; features register their checks here.
 */
export interface ConfigCheck {
  /** The feature, e.g. `consumers`; checks run in the order of their names. */
  readonly name: string;
  check(cfg: HubConfig, schemas: SchemaRegistry): Violation[];
}

const registered = new Map<string, ConfigCheck>();

/**
 * Registers a feature's check; the feature module calls it when it is loaded (src/feeds/consumers.ts,
 * src/privacy/config.ts), so every process that can build the hub has them.
 */
export function registerConfigCheck(check: ConfigCheck): void {
  registered.set(check.name, check);
}

/** The registered checks, in the order of their names. */
export function configChecks(): ConfigCheck[] {
  return [...registered.values()].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
