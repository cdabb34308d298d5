import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import type { Node } from '../src/mapping/compile/ast.ts';
import { translateAst } from '../src/mapping/compile/index.ts';
import { plainData } from '../src/mapping/plain.ts';
import { compileText, DEFAULT_MAPPING_LIMITS, evaluate, MappingEngine, mappingBindings } from '../src/mapping/engine.ts';
import { bindingsFor, differential, generate, goldenInputs, seedsFor, vocabulary, type DifferentialResult } from './helpers/mapping-differential.ts';

/**
 * Compiled mappings (src/mapping/compile/) against JSONata's interpreter: every golden case of every
 * shipped mapping and 10,000 generated records per mapping must give the same output (the same JSON
 * text) or the same rejection; a mapping whose translation is broken on purpose must be caught.
 */

/** Generated records per mapping (MAPPING_DIFF_RECORDS to change it for a quick run). */
const GENERATED = Number(process.env.MAPPING_DIFF_RECORDS ?? 10_000);
const engine = new MappingEngine();
const mappings = engine.sets().flatMap((set) => engine.entities(set).map((entity) => ({ set, entity })));
/** Shipped mappings that run on the interpreter, with the reason (none today). */
const EXPECTED_FALLBACK: Record<string, string> = {};

const seedOf = (name: string) => [...name].reduce((h, c) => (Math.imul(h, 31) + c.charCodeAt(0)) >>> 0, 17);
const summary: string[] = [];

function explain(r: DifferentialResult): string {
  return r.mismatches
    .slice(0, 3)
    .map((m) => `input ${JSON.stringify(m.input)}\n  compiled:    ${JSON.stringify(m.compiled)}\n  interpreter: ${JSON.stringify(m.interpreter)}`)
    .join('\n');
}

function inputsFor(set: string, entity: string) {
  const golden = goldenInputs(set, entity);
  const text = readFileSync(engine.file(set, entity), 'utf8');
  const vocab = vocabulary(jsonata(text).ast() as unknown as Node);
  const seeds = seedsFor(set, entity, golden);
  const generated = generate(seedOf(`${set}/${entity}`), GENERATED, seeds, vocab);
  return { golden, text, inputs: [...(golden?.inputs ?? []), ...generated] };
}

describe('mappings: compiled = interpreted (differential)', function () {
  this.timeout(300_000);
  // JSONata gives each error it raises a stack, and with the TypeScript loader's source maps on, making
  // one maps every frame: a tenth of this file's CPU. The comparison is of outcomes, not stacks: no
  // source maps, and no stack frames captured for the ~10^5 errors and rejections (another tenth).
  const sourceMaps = process.sourceMapsEnabled;
  const frames = Error.stackTraceLimit;
  before(() => {
    process.setSourceMapsEnabled(false);
    Error.stackTraceLimit = 0;
  });
  after(() => {
    process.setSourceMapsEnabled(sourceMaps);
    Error.stackTraceLimit = frames;
  });

  for (const { set, entity } of mappings) {
    const name = `${set}/${entity}`;
    it(`${name}: the golden cases and ${GENERATED.toLocaleString('en')} generated records give the same output or rejection`, async function () {
      const { golden, text, inputs } = inputsFor(set, entity);
      const expr = compileText(text, name);
      if (EXPECTED_FALLBACK[name]) {
        assert.equal(expr.compiled, false);
        this.skip();
      }
      assert.ok(expr.compiled, `${name} runs on the interpreter: ${expr.translation.fallback}`);
      const r = await differential(expr.translation.run!, expr.interpreter, inputs, bindingsFor(set, golden));
      summary.push(
        `${name}: ${r.records} records (${golden?.inputs.length ?? 0} golden): ${r.ok} mapped, ${r.rejected} rejected, ${r.errors} JSONata errors; left to the interpreter: ${
          Object.entries(r.deferred)
            .map(([why, n]) => `${n} (${why})`)
            .join(', ') || 'none'
        }`,
      );
      assert.equal(r.mismatches.length, 0, `${r.mismatches.length} of ${r.records} records differ:\n${explain(r)}`);
      assert.equal(r.records, inputs.length);
      // The generator reaches both outcomes, or the comparison would say little.
      const share = r.records / 100;
      if (set !== 'canonical') assert.ok(r.ok >= share && r.rejected + r.errors >= share, `generated records too one-sided: ${r.ok} mapped, ${r.rejected + r.errors} refused`);
    });
  }

  after(function () {
    if (process.env.MAPPING_DIFF_SUMMARY) console.log(summary.join('\n'));
  });
});

/** A mapping's AST changed on purpose: the differential check must report the difference. */
function mutant(set: string, entity: string, change: (ast: Node) => boolean) {
  const text = readFileSync(engine.file(set, entity), 'utf8');
  const ast = structuredClone(jsonata(text).ast()) as unknown as Node;
  assert.ok(change(ast), 'the mutation found its node');
  const t = translateAst(ast, DEFAULT_MAPPING_LIMITS.maxDepth);
  assert.ok(t.run);
  return { run: t.run, interpreter: jsonata(text) };
}

function find(node: unknown, pred: (n: Node) => boolean): Node | undefined {
  if (node === null || typeof node !== 'object') return undefined;
  if (Array.isArray(node)) {
    for (const n of node) {
      const f = find(n, pred);
      if (f) return f;
    }
    return undefined;
  }
  if (pred(node as Node)) return node as Node;
  for (const [k, v] of Object.entries(node)) {
    if (k === 'value') continue;
    const f = find(v, pred);
    if (f) return f;
  }
  return undefined;
}

describe('mappings: the differential check catches a broken translation', function () {
  this.timeout(120_000);

  async function mismatches(set: string, entity: string, change: (ast: Node) => boolean): Promise<DifferentialResult> {
    const { golden, inputs } = inputsFor(set, entity);
    const { run, interpreter } = mutant(set, entity, change);
    return differential(run, interpreter, inputs.slice(0, 2000), bindingsFor(set, golden));
  }

  it('an `and` translated as `or` (isis/study-right startDate)', async function () {
    const r = await mismatches('isis', 'study-right', (ast) => {
      const n = find(ast, (x) => x.type === 'binary' && x.value === 'and');
      if (n) n.value = 'or';
      return !!n;
    });
    assert.ok(r.mismatches.length > 0, 'the broken translation went unnoticed');
  });

  it('a native rejection of another wording ($trimmedCode read as $code, isis/attainment Kind)', async function () {
    const r = await mismatches('isis', 'attainment', (ast) => {
      const n = find(ast, (x) => x.type === 'variable' && x.value === 'trimmedCode');
      if (n) n.value = 'code';
      return !!n;
    });
    assert.ok(
      r.mismatches.some((m) => m.interpreter.kind === 'rejected' || m.compiled.kind === 'rejected'),
      'no differing rejection was reported',
    );
  });

  it('an index predicate dropped ([-1]: the latest status period, library/study-right)', async function () {
    const r = await mismatches('library', 'study-right', (ast) => {
      const n = find(ast, (x) => Array.isArray(x.predicate) && x.predicate.some((p) => p.expr.type === 'number'));
      if (n) delete n.predicate;
      return !!n;
    });
    assert.ok(r.mismatches.length > 0, 'the broken translation went unnoticed');
  });
});

describe('mappings: plain data of a result', function () {
  it('is what a JSON round trip gives, key order included', function () {
    const samples: unknown[] = [
      { a: undefined, b: () => 1, c: [undefined, () => 1, -0, NaN, Infinity], d: Object.assign(Object.create(null) as object, { x: 1 }) },
      JSON.parse('{"__proto__": {"x": 1}, "y": 2}'),
      { when: new Date(0), nested: { toJSON: () => 'j' } },
      Object.assign([1, 2], { sequence: true }),
      ...generate(11, 500, [], { names: ['a', 'b', 'c'], strings: ['x', ' y '] }),
    ];
    for (const v of samples) {
      const expected = JSON.parse(JSON.stringify(v)) as unknown;
      const actual = plainData(v);
      assert.deepStrictEqual(actual, expected);
      assert.equal(JSON.stringify(actual), JSON.stringify(expected));
    }
  });
});

describe('mappings: compiled semantics of the JSONata subset', function () {
  /** Expressions beyond the shipped mappings, each on inputs that exercise its edge cases. */
  const CASES: [string, unknown[]][] = [
    ['a.b', [{ a: { b: 1 } }, { a: [{ b: 1 }, { b: [2, 3] }] }, { a: [] }, { a: { b: [] } }, { a: { b: [[1], [2]] } }, {}, [{ a: { b: 1 } }, { a: { b: 2 } }]]],
    [
      'a[b > 1].c',
      [
        {
          a: [
            { b: 1, c: 'x' },
            { b: 2, c: 'y' },
          ],
        },
        { a: { b: 3, c: 'z' } },
        { a: [{ b: 'x' }] },
      ],
    ],
    ['a[0]', [{ a: [1, 2] }, { a: 5 }, { a: [[1, 2], [3]] }, { a: [] }]],
    ['a[-1].b', [{ a: [{ b: 1 }, { b: 2 }] }, { a: { b: 3 } }]],
    ['[a]', [{ a: 1 }, { a: [1, 2] }, {}, { a: [[1]] }]],
    ['[a, [b], c]', [{ a: [1], b: [2, 3], c: 4 }, { b: 2 }]],
    ['{ "x": a, "y": b ? "yes", "z": c.d }', [{ a: 1 }, { a: [1, 2], b: '', c: [{ d: 1 }, { d: 2 }] }, [{ a: 1 }, { a: 2 }], []]],
    ['a.{ "v": $ }', [{ a: [1, 2] }, { a: { q: 1 } }, {}]],
    ['(a.b)[1]', [{ a: [{ b: 1 }, { b: 2 }] }]],
    ['a#$i.{ "i": $i, "v": $ }', [{ a: ['x', 'y'] }, { a: 'z' }, {}, { a: [[1, 2], 3] }]],
    ['( $x := a; $y := $x & "!"; { "x": $x, "y": $y } )', [{ a: 'q' }, { a: 1.5 }, { a: { b: [1, 2] } }, {}]],
    ['( $f := function($v) { $v = "M" ? "male" : $error("no: " & $v) }; $f(g) )', [{ g: 'M' }, { g: 'F' }, {}, { g: ['M'] }]],
    [
      '$sort(a, function($l, $r) { $l.s > $r.s }).n',
      [
        {
          a: [
            { s: 2, n: 'b' },
            { s: 1, n: 'a' },
            { s: 2, n: 'c' },
          ],
        },
        { a: { s: 1, n: 'x' } },
        { a: [{ s: 1 }, { s: 'x' }] },
      ],
    ],
    ['$split(s, /\\s+/).$uppercase($)', [{ s: 'a  b c' }, { s: '' }, { s: 5 }, {}]],
    ['$replace(s, /(\\d)(\\d)/, "$2$1")', [{ s: '1234' }, { s: 'x' }, {}]],
    ['$contains(s, /^\\d{3}$/) ? "0" & s : s', [{ s: '613' }, { s: '0613' }, { s: 613 }]],
    ['$string(n) & "|" & $formatNumber(n, "0000")', [{ n: 1 }, { n: 1.1 + 2.2 }, { n: 613 }, {}]],
    ['$trim(s) & $substring(s, 1, 2) & $lowercase(s)', [{ s: ' A\t\tB  ' }, { s: 'ĀŽ' }, { s: 3 }]],
    [
      '[$substring(s, 0, 6), $substring(s, 6), $substring(s, -3), $substring(s, -20, 3), $substring(s, 2, 0), $substring(s, 1.5, 2.5), $substring(s, -2, 5)]',
      [{ s: '17059912345' }, { s: 'a😀b😀c' }, { s: '' }, { s: 'xy' }],
    ],
    ['$count(a) > 1 and $exists(b) or $not(c)', [{ a: [1, 2], b: 0 }, { c: '' }, { c: 'x' }, {}]],
    [
      '$lookup(t, k)',
      [
        { t: { a: 1 }, k: 'a' },
        { t: [{ a: 1 }, { a: 2 }], k: 'a' },
        { t: {}, k: 'constructor' },
      ],
    ],
    ['a = b', [{ a: [1, 2], b: [1, 2] }, { a: { x: 1 }, b: { x: 1 } }, { a: 1 }]],
    ['k in ["a", "b"]', [{ k: 'a' }, { k: 'c' }, {}]],
    ['-a + b * 2', [{ a: 1, b: 2 }, { a: 'x', b: 1 }, { b: 3 }]],
    [
      'a < b',
      [
        { a: 1, b: 2 },
        { a: '1', b: 2 },
        { a: 'a', b: 'b' },
        { a: true, b: 1 },
      ],
    ],
    ['$$.a', [{ a: 1 }, [{ a: 1 }]]],
    [
      '{ "a": $num(x, "x"), "b": $num(y, "y") }',
      [
        { x: '1', y: '2' },
        { x: 'q', y: '2' },
        { x: 'q', y: 'r' },
      ],
    ],
  ];

  for (const [expr, inputs] of CASES) {
    it(`${expr}`, async function () {
      const e = compileText(expr, 'test');
      assert.ok(e.compiled, e.translation.fallback);
      const r = await differential(e.translation.run!, e.interpreter, inputs, mappingBindings({ institution: 'lu.lv', source: 's' }));
      assert.equal(r.mismatches.length, 0, explain(r));
    });
  }

  it('leaves to the interpreter what it does not translate, and says what', function () {
    for (const [expr, why] of [
      ['$map(a, function($v) { $v })', 'the built-in $map'],
      ['a ~> $uppercase()', 'apply'],
      ['a^(b)', 'sort operator'],
      ['( $f := function($n) { $n > 0 ? $f($n - 1) : 0 }; $f(3) )', 'could recurse'],
      ['[1..3]', 'the .. operator'],
      ['{ a: b }', 'not a string literal'],
    ] as const) {
      const e = compileText(expr, 'test');
      assert.equal(e.compiled, false, expr);
      assert.match(e.translation.fallback!, new RegExp(why.replace(/[$^.]/g, '\\$&')), expr);
    }
  });

  it('two rejections in branches JSONata runs concurrently: the interpreter decides which is reported', async function () {
    const e = compileText('{ "a": $num(x, "x"), "b": $num(y, "y") }', 'test');
    const bindings = mappingBindings({ institution: 'lu.lv', source: 's' });
    const input = { x: 'q', y: 'r' };
    let interpreted: unknown;
    await e.interpreter.evaluate(input, bindings).catch((err: unknown) => (interpreted = err));
    await assert.rejects(evaluate(e, input, { institution: 'lu.lv', source: 's' }, 'test'), (err: Error) => err.message === `mapping test rejected the record: ${(interpreted as Error).message}`);
  });

  it('a depth limit the compiled mapping could exceed keeps the mapping on the interpreter, which stops it', async function () {
    const text = readFileSync(engine.file('lais', 'person'), 'utf8');
    const e = compileText(text, 'lais/person', { timeoutMs: 1000, maxDepth: 10 });
    assert.equal(e.compiled, false);
    assert.match(e.translation.fallback!, /evaluation depth could reach \d+, over the limit of 10/);
    const input = goldenInputs('lais', 'person')!.inputs[0];
    await assert.rejects(evaluate(e, input, { institution: 'lu.lv', source: 'lu-lais' }, 'lais/person'), { code: 'HUB_ERR_MAPPING_LIMIT' });
  });
});
