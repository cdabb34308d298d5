import { deepStrictEqual } from 'node:assert/strict';
import { isDeepStrictEqual } from 'node:util';
import { readFileSync } from 'node:fs';
import { sha256Hex, stableStringify } from '../src/core/ids.ts';
import { laisStudent } from '../src/demo/feeder.ts';
import { person, Rng } from '../src/demo/generator.ts';
import { MappingEngine } from '../src/mapping/engine.ts';
import { laisAttainment as handAttainment, laisPerson as handPerson } from './lib/handwritten.ts';
import { schemas } from './lib/hub.ts';
import { attainmentBody } from './lib/jsonata-prelude.ts';
import { CHANGED_AT, laisAttainment } from './lib/lais.ts';
import { clock, median, repeat, sinceMs } from './lib/measure.ts';
import { Report } from './lib/report.ts';
import { bySize, type BenchOptions, type Scenario } from './lib/scenario.ts';

const INSTITUTION = 'lu.lv';
const BINDINGS = { institution: INSTITUTION, source: 'lu-lais' };

type Obj = Record<string, unknown>;

/** µs per record of fn over the sample, after one warm-up pass. */
async function perRecord(sample: readonly Obj[], fn: (r: Obj) => unknown): Promise<number> {
  const t = clock();
  for (const r of sample) await fn(r);
  return (sinceMs(t) * 1000) / sample.length;
}

async function measure(reps: number, sample: readonly Obj[], fn: (r: Obj) => unknown): Promise<{ value: number; runs: number[] }> {
  await perRecord(sample.slice(0, Math.min(200, sample.length)), fn);
  const runs = await repeat(reps, () => perRecord(sample, fn));
  return { value: median(runs), runs: runs.map((r) => Math.round(r * 10) / 10) };
}

/** The JSONata mapping and the hand-written one must give the same records, or the comparison means nothing. */
function checkAgreement(engine: MappingEngine, persons: Obj[], attainments: Obj[]): Promise<void> {
  const golden = (entity: string) =>
    (JSON.parse(readFileSync(engine.file('lais', entity).replace(/\.jsonata$/, '.test.json'), 'utf8')) as { cases: { input: Obj; expected: Obj }[] }).cases;
  return (async () => {
    for (const c of golden('person')) deepStrictEqual({ institution: INSTITUTION, ...handPerson(c.input, INSTITUTION) }, c.expected);
    for (const c of golden('attainment')) deepStrictEqual({ institution: INSTITUTION, ...handAttainment(c.input) }, c.expected);
    for (const r of persons.slice(0, 300)) deepStrictEqual(handPerson(r, INSTITUTION), (await engine.map('lais', 'person', r, BINDINGS))[0]);
    for (const r of attainments.slice(0, 300)) deepStrictEqual(handAttainment(r), (await engine.map('lais', 'attainment', r, BINDINGS))[0]);
  })();
}

/**
 * Scenario 3: what mapping and validation cost per record. JSONata (mappings/lais person and
 * attainment, compiled once by MappingEngine) against the same mappings written in TypeScript;
 * ajv validation; and the JSON work the pipeline does per record (raw text, idempotency key).
 */
export const mappingScenario: Scenario = {
  name: 'mapping',
  title: 'cost per record of mapping (JSONata vs TypeScript) and validation (ajv)',
  async run(o: BenchOptions) {
    const report = new Report('mapping', this.title, o.mode);
    const n = bySize(o.mode, { full: 2000, quick: 1000, dry: 100 });
    const reps = bySize(o.mode, { full: 5, quick: 3, dry: 1 });
    const rng = new Rng(7);
    const persons: Obj[] = [];
    const attainments: Obj[] = [];
    for (let i = 1; i <= n; i++) {
      const p = person(rng, i, 'LU');
      persons.push(laisStudent(p, CHANGED_AT));
      attainments.push(laisAttainment(rng, p.studentNumber, 1));
    }
    const engine = new MappingEngine();
    await checkAgreement(engine, persons, attainments);
    report.note(`JSONata and the hand-written TypeScript agree on the golden cases and on ${Math.min(300, n)} generated records of each entity`);

    const canonPersons = await Promise.all(persons.map(async (r) => ({ institution: INSTITUTION, ...(await engine.map('lais', 'person', r, BINDINGS))[0] })));
    const canonAttainments = await Promise.all(attainments.map(async (r) => ({ institution: INSTITUTION, ...(await engine.map('lais', 'attainment', r, BINDINGS))[0] })));
    const personExpr = engine.compile('lais', 'person');
    const attainmentExpr = engine.compile('lais', 'attainment');

    const results: Record<string, { value: number; runs: number[] }> = {};
    for (const [entity, sample, canon, expr, hand] of [
      ['person', persons, canonPersons, personExpr, (r: Obj) => handPerson(r, INSTITUTION)],
      ['attainment', attainments, canonAttainments, attainmentExpr, (r: Obj) => handAttainment(r)],
    ] as const) {
      const engineMap = await measure(reps, sample, (r) => engine.map('lais', entity, r, BINDINGS));
      const bare = await measure(reps, sample, (r) => expr.evaluate(r, BINDINGS));
      const ts = await measure(reps, sample, hand);
      const ajv = await measure(reps, canon, (r) => schemas.validate(entity, r));
      const json = await measure(reps, sample, (r) => [JSON.stringify(r), sha256Hex(`s\n${entity}\n${stableStringify(r)}`)]);
      results[entity] = engineMap;
      report.add({
        name: `${entity}: JSONata (MappingEngine.map)`,
        value: engineMap.value,
        unit: 'µs/record',
        runs: engineMap.runs,
        baseline: { name: 'the same mapping in TypeScript', value: ts.value, unit: 'µs/record' },
        detail: { bareEvaluate: bare.value, jsonRoundTrip: Math.max(0, engineMap.value - bare.value) },
      });
      report.add({ name: `${entity}: JSONata evaluate alone`, value: bare.value, unit: 'µs/record', runs: bare.runs });
      report.add({ name: `${entity}: hand-written TypeScript`, value: ts.value, unit: 'µs/record', runs: ts.runs });
      report.add({ name: `${entity}: ajv validation`, value: ajv.value, unit: 'µs/record', runs: ajv.runs });
      report.add({ name: `${entity}: JSON text + idempotency key`, value: json.value, unit: 'µs/record', runs: json.runs });
      const share = engineMap.value / (engineMap.value + ajv.value + json.value);
      report.note(
        `${entity}: JSONata is ${Math.round(share * 100)} % of the CPU of map + validate + JSON per record, ${(engineMap.value / ts.value).toFixed(0)}× the hand-written mapping`,
      );
    }
    // The proposed fix, prototyped: helpers as native functions bound once, the field mapping in JSONata.
    const body = attainmentBody(engine);
    const viaBody = body && (async (r: Obj) => JSON.parse(JSON.stringify(await body(r, INSTITUTION))) as Obj);
    let same = !!viaBody;
    if (viaBody) for (const r of attainments.slice(0, 300)) if (same) same = isDeepStrictEqual(await viaBody(r), (await engine.map('lais', 'attainment', r, BINDINGS))[0]);
    if (viaBody && same) {
      const fast = await measure(reps, attainments, viaBody);
      report.add({
        name: 'attainment: JSONata, helpers as native functions',
        value: fast.value,
        unit: 'µs/record',
        runs: fast.runs,
        baseline: { name: 'attainment.jsonata as it is (MappingEngine.map)', value: results.attainment!.value, unit: 'µs/record' },
        detail: { prototype: 'bench/lib/jsonata-prelude.ts' },
      });
    } else report.note('the native-helpers prototype no longer matches attainment.jsonata (shape or output changed): not measured');
    return report;
  },
};
