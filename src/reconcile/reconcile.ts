import type { HubConfig } from '../config/types.ts';
import type { HeldRecord, ReconcilableSink, Sink } from '../core/adapter.ts';
import { BadRequestError, errorMessage, NotFoundError } from '../core/errors.ts';
import type { JsonObject } from '../core/types.ts';
import { jsonDiff } from '../mapping/diff.ts';
import type { SqlDb } from '../store/sql.ts';
import { lastDeliveryOf } from '../store/deliveries.ts';
import { RecordReader } from '../store/records.ts';
import { isReconcilable } from './types.ts';

export type DifferenceKind = 'missing-in-register' | 'not-in-hub' | 'deleted-in-hub' | 'different' | 'unmappable' | 'duplicate-key';

export interface Difference {
  entity: string;
  /** The record's key in the register (its local id there: a source id, never a personal code). */
  key: string | null;
  kind: DifferenceKind;
  recordId?: string;
  hubVersion?: number;
  registerVersion?: number;
  /** JSON pointers of the fields that differ; values are left out (they are personal data). */
  fields?: string[];
  reason?: string;
  /** The latest delivery of the record to this sink, when there is one. */
  lastDelivery?: { routeId: string; status: string; error: string | null };
}

export interface ReconcileReport {
  sink: string;
  institution: string;
  checkedAt: string;
  routes: string[];
  entities: string[];
  counts: { hub: Record<string, number>; register: Record<string, number>; matched: number };
  differences: Difference[];
}

export interface ReconcileDeps {
  config: Pick<HubConfig, 'sinks' | 'routes' | 'institutions'>;
  sql: SqlDb;
  sink(id: string): Sink | undefined;
  /** Told how many hub records were compared so far, of how many (for a progress bar). */
  onProgress?: (done: number, total: number) => void;
}

/** A sink named by id, or by type when exactly one sink has it (`hub reconcile viis`). */
export function resolveSink(deps: ReconcileDeps, name: string): { id: string; sink: ReconcilableSink } {
  let conf = deps.config.sinks.find((s) => s.id === name);
  if (!conf) {
    const ofType = deps.config.sinks.filter((s) => s.type === name);
    if (ofType.length > 1) throw new BadRequestError(`several sinks have the type '${name}' (${ofType.map((s) => s.id).join(', ')}): name one by its id`);
    conf = ofType[0];
  }
  if (!conf) throw new NotFoundError(`no sink '${name}' (by id or type) in the configuration`);
  const sink = deps.sink(conf.id);
  if (!isReconcilable(sink)) throw new BadRequestError(`sink '${conf.id}' (type ${conf.type}) cannot be asked what it holds, so it cannot be reconciled`);
  return { id: conf.id, sink };
}

const PAGE = 1000;

/**
 * Compares what the hub holds for an institution (the records table, entities the sink keeps and its
 * routes carry) with what the receiver holds, record by record through the sink's own mapping. Lists
 * the differences with the latest delivery of each record, so the admin sees why (a dead delivery, a
 * change made in the register by hand…).
 */
export async function reconcile(deps: ReconcileDeps, sinkName: string, institution: string): Promise<ReconcileReport> {
  if (!deps.config.institutions.some((i) => i.id === institution)) throw new NotFoundError(`no institution '${institution}' in the configuration`);
  const { id, sink } = resolveSink(deps, sinkName);
  const routes = deps.config.routes.filter((r) => r.sink === id && (!r.match.institutions || r.match.institutions.includes(institution)));
  const routed = routes.length ? new Set(routes.flatMap((r) => r.match.entities ?? sink.reconcile.entities)) : undefined;
  const entities = sink.reconcile.entities.filter((e) => !routed || routed.has(e));
  const routeIds = routes.map((r) => r.id);

  const held = new Map<string, HeldRecord>();
  const countsRegister: Record<string, number> = {};
  for (const h of await sink.reconcile.holdings(institution)) {
    if (!entities.includes(h.entity)) continue;
    held.set(`${h.entity}\u0000${h.key}`, h);
    countsRegister[h.entity] = (countsRegister[h.entity] ?? 0) + 1;
  }

  const differences: Difference[] = [];
  const countsHub: Record<string, number> = {};
  const seen = new Set<string>();
  let matched = 0;
  let done = 0;
  const records = new RecordReader(deps.sql);
  const total = deps.onProgress ? await records.count({ entity: entities, institution, withDeleted: true }) : 0;
  for await (const rec of records.walk({ entity: entities, institution, withDeleted: true }, PAGE)) {
    if (deps.onProgress && ++done % 100 === 0) deps.onProgress(done, total);
    const base = { entity: rec.entity, recordId: rec.id, hubVersion: rec.version };
    let expected: { key: string; data: JsonObject };
    try {
      expected = await sink.reconcile.expected(rec);
    } catch (e) {
      if (!rec.deleted) differences.push({ ...base, key: null, kind: 'unmappable', reason: errorMessage(e) });
      continue;
    }
    const k = `${rec.entity}\u0000${expected.key}`;
    const h = held.get(k);
    const registerVersion = h?.version !== undefined ? { registerVersion: h.version } : {};
    if (seen.has(k)) {
      differences.push({ ...base, key: expected.key, kind: 'duplicate-key', reason: 'another hub record of this institution has the same key in the register' });
      continue;
    }
    seen.add(k);
    if (rec.deleted) {
      if (h) differences.push({ ...base, key: expected.key, kind: 'deleted-in-hub', ...registerVersion });
      continue;
    }
    countsHub[rec.entity] = (countsHub[rec.entity] ?? 0) + 1;
    if (!h) {
      differences.push({ ...base, key: expected.key, kind: 'missing-in-register' });
      continue;
    }
    const diff = jsonDiff(expected.data, h.data);
    if (diff.length) differences.push({ ...base, key: expected.key, kind: 'different', ...registerVersion, fields: diff.map((d) => d.path) });
    else matched++;
  }
  deps.onProgress?.(done, total);
  for (const [k, h] of held) {
    if (!seen.has(k))
      differences.push({ entity: h.entity, key: h.key, kind: 'not-in-hub', ...(h.recordId ? { recordId: h.recordId } : {}), ...(h.version !== undefined ? { registerVersion: h.version } : {}) });
  }
  for (const d of differences) {
    if (d.recordId && d.kind !== 'not-in-hub') {
      const ld = await lastDeliveryOf(deps.sql, d.recordId, routeIds);
      if (ld) d.lastDelivery = ld;
    }
  }
  differences.sort((a, b) => a.entity.localeCompare(b.entity) || String(a.key).localeCompare(String(b.key)));
  return {
    sink: id,
    institution,
    checkedAt: new Date().toISOString(),
    routes: routeIds,
    entities,
    counts: { hub: countsHub, register: countsRegister, matched },
    differences,
  };
}

/** The report as lines for a terminal. */
export function formatReport(r: ReconcileReport): string {
  const lines = [
    `reconcile ${r.sink} for ${r.institution} (${r.entities.join(', ')}; routes: ${r.routes.join(', ') || 'none'})`,
    `  hub: ${JSON.stringify(r.counts.hub)}  register: ${JSON.stringify(r.counts.register)}  matching: ${r.counts.matched}`,
  ];
  if (r.differences.length === 0) lines.push('  no differences');
  for (const d of r.differences) {
    const v = [d.hubVersion !== undefined ? `hub v${d.hubVersion}` : '', d.registerVersion !== undefined ? `register v${d.registerVersion}` : ''].filter(Boolean).join(', ');
    lines.push(`  ${d.kind.padEnd(19)} ${d.entity} ${d.key ?? '?'}${v ? ` (${v})` : ''}${d.fields ? `: ${d.fields.join(', ')}` : ''}${d.reason ? `: ${d.reason}` : ''}`);
    if (d.lastDelivery) lines.push(`${' '.repeat(22)}last delivery (${d.lastDelivery.routeId}): ${d.lastDelivery.status}${d.lastDelivery.error ? `: ${d.lastDelivery.error}` : ''}`);
  }
  lines.push(`${r.differences.length} difference${r.differences.length === 1 ? '' : 's'}`);
  return lines.join('\n');
}
