/**
 * The differential check of compiled mappings (src/mapping/compile/): the same records through the
 * compiled function and through JSONata's interpreter must give the same JSON text (key order
 * included) or the same rejection (message and code). Records are the golden cases and records
 * generated from a seed: the golden inputs and the canonical records of the same entity, mutated
 * (fields dropped, replaced by wrong types, blanks, edge values), and records built from the
 * mapping's own field names and string literals.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import type jsonata from 'jsonata';
import { isRejection, loadBuiltins, NeedsInterpreter, type CompiledRun } from '../../src/mapping/compile/index.ts';
import type { Node } from '../../src/mapping/compile/ast.ts';
import { failureOf, mappingBindings, MAPPINGS_DIR } from '../../src/mapping/engine.ts';

type Obj = Record<string, unknown>;

/** A small seeded generator (mulberry32). */
export class Seeded {
  private s: number;
  constructor(seed: number) {
    this.s = seed >>> 0;
  }
  next(): number {
    this.s = (this.s + 0x6d2b79f5) >>> 0;
    let t = this.s;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)]!;
  }
  chance(p: number): boolean {
    return this.next() < p;
  }
}

export interface GoldenInputs {
  institution: string;
  source: string;
  inputs: unknown[];
}

/** The inputs of a mapping's golden file (cases and rejects), if it has one. */
export function goldenInputs(set: string, entity: string): GoldenInputs | undefined {
  const f = join(MAPPINGS_DIR, set, `${entity}.test.json`);
  if (!existsSync(f)) return undefined;
  const g = JSON.parse(readFileSync(f, 'utf8')) as { institution: string; source: string; cases?: { input: unknown }[]; rejects?: { input: unknown }[] };
  return { institution: g.institution, source: g.source, inputs: [...(g.cases ?? []), ...(g.rejects ?? [])].map((c) => c.input) };
}

/** Canonical records of an entity: the expected outputs of every inbound golden file for it. */
export function canonicalRecords(entity: string): Obj[] {
  const out: Obj[] = [];
  for (const set of readdirSync(MAPPINGS_DIR)) {
    const f = join(MAPPINGS_DIR, set, `${entity}.test.json`);
    if (!existsSync(f)) continue;
    const g = JSON.parse(readFileSync(f, 'utf8')) as { cases?: { expected?: Obj }[] };
    for (const c of g.cases ?? []) if (c.expected) out.push(c.expected);
  }
  return out;
}

/**
 * Records to mutate for a mapping: its golden inputs and the canonical records of its entity; the
 * library set reads a study-right change event with the person's record added (flows/, `hub record`).
 */
export function seedsFor(set: string, entity: string, golden: GoldenInputs | undefined): unknown[] {
  if (set === 'library') {
    const persons = canonicalRecords('person');
    return canonicalRecords(entity).flatMap((record, i) => persons.map((p, j) => ({ record, person: { record: p }, version: 1 + ((i + j) % 4) })));
  }
  return [...(golden?.inputs ?? []), ...canonicalRecords(entity)];
}

/** Field names and string literals of a mapping's AST: what its records are made of. */
export function vocabulary(ast: Node): { names: string[]; strings: string[] } {
  const names = new Set<string>();
  const strings = new Set<string>();
  const walk = (n: unknown): void => {
    if (n === null || typeof n !== 'object') return;
    if (Array.isArray(n)) return n.forEach(walk);
    const node = n as Node;
    if (node.type === 'name') names.add(node.value as string);
    if (node.type === 'string') strings.add(node.value as string);
    for (const [k, v] of Object.entries(node)) if (k !== 'value') walk(v);
  };
  walk(ast);
  return { names: [...names], strings: [...strings] };
}

const EDGE_STRINGS = [
  '',
  ' ',
  '  x  ',
  '0',
  '1',
  '4',
  '10',
  '11',
  '9,5',
  '1,5',
  ' 2.5 ',
  '-3',
  '1e3',
  'NaN',
  'ieskaitīts',
  'NEIESKAITĪTS',
  'i',
  'n',
  'I',
  'NI',
  'V',
  'S',
  'M',
  'F',
  'constructor',
  '__proto__',
  'toString',
];
const EDGE_DATES = ['17.05.1999', '29.02.2024', '29.02.2023', '31.04.2020', '11.10.2022', '10.10.2022', '1.1.2020', ' 01.09.2021 ', '2021-09-01', '00.00.0000', '31.12.9999'];
const EDGE_NUMBERS = [0, 1, -1, 4, 10, 11, 2.5, 1.1 + 2.2, 613, 43481001, 1e21, -0, 180, 0.1];

/** A random value: of the mapping's literals, edge strings, dates, numbers, or of another type. */
function value(r: Seeded, strings: readonly string[], names: readonly string[], depth: number): unknown {
  const k = r.int(12);
  if (k <= 2 && strings.length) return r.chance(0.8) ? r.pick(strings) : ` ${r.pick(strings)} `;
  if (k === 3) return r.pick(EDGE_STRINGS);
  if (k === 4) return r.pick(EDGE_DATES);
  if (k === 5) return r.pick(EDGE_NUMBERS);
  if (k === 6) return r.pick([null, true, false]);
  if (k === 7) return `${r.int(100000)}`.padStart(r.int(12), '0');
  if (k <= 9 && depth < 2) return record(r, strings, names, depth + 1, 1 + r.int(4));
  if (depth < 2) return Array.from({ length: r.int(4) }, () => (r.chance(0.6) ? record(r, strings, names, depth + 1, 1 + r.int(4)) : value(r, strings, names, depth + 1)));
  return r.pick(EDGE_STRINGS);
}

function record(r: Seeded, strings: readonly string[], names: readonly string[], depth: number, fields: number): Obj {
  const o: Obj = {};
  for (let i = 0; i < fields && names.length; i++) o[r.pick(names)] = value(r, strings, names, depth);
  return o;
}

const clone = <T>(v: T): T => JSON.parse(JSON.stringify(v)) as T;

/** A seed record changed in 1..4 places (a field dropped, replaced, or a nested one changed). */
function mutate(r: Seeded, seed: unknown, strings: readonly string[], names: readonly string[]): unknown {
  const out = clone(seed);
  if (out === null || typeof out !== 'object') return out;
  for (let m = 1 + r.int(4); m > 0; m--) {
    let target = out as Obj;
    for (let d = 0; d < 2; d++) {
      const nested = Object.entries(target).filter(([, v]) => v !== null && typeof v === 'object');
      if (!nested.length || r.chance(0.6)) break;
      const next = r.pick(nested)[1];
      target = (Array.isArray(next) ? (next.length ? next[r.int(next.length)] : target) : next) as Obj;
      if (target === null || typeof target !== 'object') target = out as Obj;
    }
    const keys = Object.keys(target);
    const key = keys.length && r.chance(0.8) ? r.pick(keys) : r.pick(names.length ? names : ['x']);
    const what = r.int(5);
    if (what === 0) delete target[key];
    else if (what === 1) target[key] = r.pick(['', ' ', null]);
    else if (what === 2 && typeof target[key] === 'string') target[key] = r.chance(0.5) ? ` ${target[key] as string} ` : (target[key] as string).toUpperCase();
    else target[key] = value(r, strings, names, 1);
  }
  return out;
}

/** `count` records for a mapping: mutated seeds (golden inputs, canonical records) and built ones. */
export function generate(seedNumber: number, count: number, seeds: readonly unknown[], vocab: { names: string[]; strings: string[] }): unknown[] {
  const r = new Seeded(seedNumber);
  const out: unknown[] = [];
  for (let i = 0; i < count; i++) {
    if (seeds.length && r.chance(0.7)) out.push(mutate(r, r.pick(seeds), vocab.strings, vocab.names));
    else out.push(record(r, vocab.strings, vocab.names, 0, r.int(vocab.names.length + 1)));
  }
  return out;
}

export interface Outcome {
  /** deferred: the compiled function asked for the interpreter (NeedsInterpreter, or an error JSONata words itself). */
  kind: 'ok' | 'rejected' | 'error' | 'deferred';
  json?: string;
  failure?: ReturnType<typeof failureOf>;
  why?: string;
}

export function compiledOutcome(run: CompiledRun, input: unknown, bindings: Obj): Outcome {
  try {
    const out = run(input, bindings);
    return { kind: 'ok', json: JSON.stringify(out) };
  } catch (e) {
    if (e instanceof NeedsInterpreter) return { kind: 'deferred', why: e.why };
    // What MappingExpression.evaluate() does: only a rejection is reported as it is; anything else asks the interpreter.
    if (isRejection(e)) return { kind: 'rejected', failure: failureOf(e) };
    return { kind: 'deferred', why: `JSONata error ${(e as { code?: string }).code ?? String(e)}` };
  }
}

export async function interpreterOutcome(expr: ReturnType<typeof jsonata>, input: unknown, bindings: Obj): Promise<Outcome> {
  try {
    const out: unknown = await expr.evaluate(input, bindings);
    return { kind: 'ok', json: JSON.stringify(out) };
  } catch (e) {
    const f = failureOf(e);
    return { kind: f.code === 'D3137' ? 'rejected' : 'error', failure: f };
  }
}

export interface Mismatch {
  input: unknown;
  compiled: Outcome;
  interpreter: Outcome;
}

export interface DifferentialResult {
  records: number;
  ok: number;
  rejected: number;
  errors: number;
  /** Compiled evaluations that asked for the interpreter (its outcome counts there), by reason. */
  deferred: Record<string, number>;
  mismatches: Mismatch[];
}

/**
 * Both evaluations of every input. A mismatch: different JSON, different rejection, or the compiled
 * function rejecting/succeeding where the interpreter does otherwise. The compiled function may leave
 * a record to the interpreter only where the interpreter rejects or fails (never where it succeeds).
 */
export async function differential(run: CompiledRun, interpreter: ReturnType<typeof jsonata>, inputs: readonly unknown[], bindings: Obj): Promise<DifferentialResult> {
  await loadBuiltins();
  const res: DifferentialResult = { records: 0, ok: 0, rejected: 0, errors: 0, deferred: {}, mismatches: [] };
  for (const input of inputs) {
    res.records++;
    const c = compiledOutcome(run, input, bindings);
    const i = await interpreterOutcome(interpreter, input, bindings);
    res[i.kind === 'ok' ? 'ok' : i.kind === 'rejected' ? 'rejected' : 'errors']++;
    let same: boolean;
    if (c.kind === 'deferred') {
      res.deferred[c.why!] = (res.deferred[c.why!] ?? 0) + 1;
      same = i.kind !== 'ok';
    } else if (i.kind === 'ok') same = c.kind === 'ok' && c.json === i.json;
    else if (i.kind === 'rejected') same = c.kind === 'rejected' && c.failure!.message === i.failure!.message && c.failure!.code === i.failure!.code && c.failure!.value === i.failure!.value;
    else same = false; // JSONata's own error: the compiled function must leave it to the interpreter
    if (!same) res.mismatches.push({ input, compiled: c, interpreter: i });
  }
  return res;
}

export function bindingsFor(set: string, golden: GoldenInputs | undefined): Obj {
  const base = { institution: golden?.institution ?? 'lu.lv', source: golden?.source ?? 'lu-lais' };
  // The VIIS sink binds its own variables (adapters/viis/mapping.ts); the rest bind the native functions.
  if (set === 'viis') return { institution: base.institution, programmeCodes: { 'LU-DAT-B': '43481001', P1: '45345001' } };
  return mappingBindings(base);
}
