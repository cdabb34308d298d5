import type { Consumer } from '../broker/types.ts';
import type { HubConfig } from '../config/types.ts';
import { BadRequestError, ConflictError, SchemaValidationError, UnknownEntityError, type Violation } from '../core/errors.ts';
import { assertDepth, DEFAULT_MAX_DEPTH, tooDeep } from '../core/json-walk.ts';
import type { JsonObject } from '../core/types.ts';
import type { BridgeDeps } from './deps.ts';
import type { MappingEngine } from '../mapping/engine.ts';
import type { RecordResult } from '../pipeline/pipeline.ts';
import type { Ref } from '../privacy/personal.ts';
import type { SchemaRegistry } from '../schemas/registry.ts';
import { DeadLetterWatches, type DeadHandler, type DeadWatchSpec, type DeadWatchTiming } from './dead-letters.ts';
import { FlowSubscriptions, type FlowHandler, type SubscriptionSpec } from './subscriptions.ts';

/** At most this many records in one `hub ingest` message: split bigger exports (split node). */
export const MAX_RECORDS_PER_MESSAGE = 10_000;

/** A canonical record as the `hub record` node outputs it (the shape of GET /api/v1/records/{entity}/{id}). */
export interface RecordView {
  id: string;
  entity: string;
  institution: string;
  version: number;
  seq: number;
  deleted: boolean;
  updatedAt: string;
  record: JsonObject;
}

/** What the hub offers to flows' nodes, for the editor's pick lists and for `hub flows check`. */
export interface Catalog {
  institutions: string[];
  sources: { id: string; institution: string; mappingSet: string; entities: string[] }[];
  entities: string[];
  mappingSets: { name: string; direction: 'inbound' | 'outbound'; entities: string[] }[];
  routes: string[];
}

/**
 * The hub as the hub's Node-RED nodes see it (flows/nodes/). Registered in the Node-RED settings
 * as `studyHub`; the nodes call the running Hub in this process, never over HTTP. Errors are the
 * hub's typed errors (code, retryable), which the nodes pass to done(err).
 */
export interface HubBridge {
  readonly version: 1;
  catalog(): Catalog;
  ingest(source: string, entity: string, records: unknown[]): Promise<RecordResult[]>;
  map(set: string, entity: string, input: unknown, bindings: { institution: string; source?: string }): Promise<JsonObject | JsonObject[]>;
  /** Violations against the entity's canonical schema (empty: valid). */
  validate(entity: string, record: unknown): Violation[];
  /** Throws SchemaValidationError with the violations when the record is not valid. */
  assertValid(entity: string, record: unknown): void;
  /** A canonical record by hub id, or by a reference {id | sourceId | identifiers, institution}. */
  record(entity: string, ref: string | Ref, institution?: string): Promise<RecordView | undefined>;
  subscribe(spec: SubscriptionSpec, handler: FlowHandler): Promise<Consumer>;
  watchDead(spec: DeadWatchSpec, handler: DeadHandler): Promise<{ cancel(): Promise<void> }>;
}

export interface BridgeHandle {
  bridge: HubBridge;
  /** Cancels every subscription and watch (Node-RED stops its nodes first; this is the safety net). */
  stop(): Promise<void>;
}

/** The catalog of a configuration: what `hub flows check` checks flow files against. */
export function catalogOf(config: HubConfig, schemas: SchemaRegistry, mappings: MappingEngine): Catalog {
  return {
    institutions: config.institutions.map((i) => i.id),
    sources: config.sources.map((s) => ({ id: s.id, institution: s.institution, mappingSet: s.mappingSet, entities: mappings.entities(s.mappingSet) })),
    entities: schemas.entities(),
    mappingSets: mappings.sets().map((name) => ({ name, direction: mappings.setInfo(name).direction, entities: mappings.entities(name) })),
    routes: config.routes.map((r) => r.id),
  };
}

/** @param options.deadFeed how often the dead-deliveries feed polls (tests shorten it) */
export function createBridge(hub: BridgeDeps, options: { deadFeed?: DeadWatchTiming } = {}): BridgeHandle {
  const subs = new FlowSubscriptions(hub.store, hub.broker, hub.metrics, hub.logger.child({ component: 'nodered' }), hub.privacy);
  const dead = new DeadLetterWatches(hub.store.sql, hub.logger.child({ component: 'nodered' }), options.deadFeed);
  // Values from flows are checked against limits.maxDepth before a mapping or a schema walks them;
  // `ingest` is checked by the pipeline, per record.
  const maxDepth = hub.config.limits?.maxDepth ?? DEFAULT_MAX_DEPTH;
  const entityKnown = (entity: string) => {
    if (!hub.schemas.entities().includes(entity)) throw new UnknownEntityError(`unknown entity '${entity}'`, { extra: { knownEntities: hub.schemas.entities() } });
  };
  const view = (r: { id: string; entity: string; institution: string; version: number; seq: number; deleted: boolean; updatedAt: string; data: JsonObject }): RecordView => ({
    id: r.id,
    entity: r.entity,
    institution: r.institution,
    version: r.version,
    seq: r.seq,
    deleted: r.deleted,
    updatedAt: r.updatedAt,
    record: r.data,
  });

  const bridge: HubBridge = {
    version: 1,
    catalog: () => catalogOf(hub.config, hub.schemas, hub.mappings),

    async ingest(source, entity, records) {
      if (!Array.isArray(records) || records.length === 0) throw new BadRequestError('hub ingest: msg.payload must be a record (an object) or a non-empty array of records');
      if (records.length > MAX_RECORDS_PER_MESSAGE) throw new BadRequestError(`hub ingest: ${records.length} records in one message; split it (at most ${MAX_RECORDS_PER_MESSAGE})`);
      const bad = records.findIndex((r) => r === null || typeof r !== 'object' || Array.isArray(r));
      if (bad >= 0) throw new BadRequestError(`hub ingest: record ${bad} is not an object`, { violations: [{ path: `/${bad}`, message: 'must be an object' }] });
      return hub.pipeline.ingest(source, entity, records, 'application/json');
    },

    async map(set, entity, input, bindings) {
      if (!hub.mappings.has(set, entity)) {
        throw new UnknownEntityError(`no mapping ${set}/${entity}.jsonata (mapping set '${set}' maps: ${hub.mappings.entities(set).join(', ') || 'nothing'})`);
      }
      if (!bindings.institution) throw new BadRequestError('hub map: no institution for $institution (set it on the node, or send msg.hub.institution or a record with institution)');
      assertDepth(input, maxDepth, 'hub map: the input');
      const out = (await hub.mappings.map(set, entity, input, { institution: bindings.institution, source: bindings.source ?? '' })) as JsonObject[];
      // As the pipeline does: an inbound mapping's canonical record belongs to the bound institution.
      if (hub.mappings.setInfo(set).direction === 'inbound') for (const r of out) r.institution ??= bindings.institution;
      return out.length === 1 ? out[0]! : out;
    },

    validate(entity, record) {
      entityKnown(entity);
      const deep = tooDeep(record, maxDepth);
      if (deep) return [{ path: deep.pointer, message: `nested deeper than limits.maxDepth (${maxDepth} levels of objects and arrays)`, keyword: 'maxDepth' }];
      return hub.schemas.validate(entity, record);
    },

    assertValid(entity, record) {
      const violations = bridge.validate(entity, record);
      if (violations.length) {
        throw new SchemaValidationError(`the ${entity} record is not valid: ${violations.map((v) => `${v.path || '/'} ${v.message}`).join('; ')}`, { violations });
      }
    },

    async record(entity, ref, institution) {
      entityKnown(entity);
      if (typeof ref === 'string') {
        const r = await hub.store.getRecord(entity, ref);
        return r ? view(r) : undefined;
      }
      if (!ref || typeof ref !== 'object') throw new BadRequestError('hub record: the reference must be a hub id or an object {id | sourceId | identifiers, institution}');
      if (ref.id) {
        const r = await hub.store.getRecord(entity, ref.id);
        return r ? view(r) : undefined;
      }
      const owner = ref.institution ?? institution;
      if (!owner) throw new BadRequestError('hub record: a reference by sourceId or identifiers needs an institution (in the reference, on the node, or msg.hub.institution)');
      let id: string | undefined;
      if (entity === 'person' && !ref.sourceId) {
        const found = await hub.privacy.persons.resolve(ref, owner);
        const ids = [...new Set(found.map((p) => p.id))];
        if (ids.length > 1) throw new ConflictError(`hub record: the reference names ${ids.length} person records; use a more specific identifier`);
        id = ids[0];
      } else {
        if (!ref.sourceId) throw new BadRequestError(`hub record: a ${entity} reference needs an id or a sourceId`);
        id = (await hub.privacy.persons.resolveRecord(entity, ref, owner))?.id;
      }
      if (!id) return undefined;
      const r = await hub.store.getRecord(entity, id);
      return r ? view(r) : undefined;
    },

    subscribe: (spec, handler) => subs.subscribe(spec, handler),
    watchDead: (spec, handler) => dead.watch(spec, handler),
  };

  return {
    bridge,
    stop: async () => {
      await subs.stop();
      await dead.stop();
    },
  };
}
