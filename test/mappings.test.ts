import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve, sep } from 'node:path';
import { formatDiff } from '../src/mapping/diff.ts';
import { MappingEngine } from '../src/mapping/engine.ts';
import { formatReport, mappingFilesUnder, runGolden, type CaseResult, type GoldenFile, type GoldenReport } from '../src/mapping/golden.ts';
import { SchemaRegistry } from '../src/schemas/registry.ts';

/**
 * The golden tests of every mapping (mappings/<set>/<entity>.test.json), one mocha test per case,
 * plus tests of the golden runner itself: a wrong expectation and an accepted reject must fail.
 */

const schemas = new SchemaRegistry();
const engine = new MappingEngine();

/** The entities each set must map (the canonical set maps every entity that has a schema). */
const REQUIRED: Record<string, string[]> = {
  canonical: schemas.entities(),
  lais: ['person', 'study-right', 'programme', 'course', 'attainment', 'award'],
};

/**
 * Sets that map canonical records out to a sink (e.g. VIIS register requests). Their output is not a
 * canonical record, so the golden format, which validates the output against schemas/, does not fit;
 * each such set is tested by the file named here (relative to the repository root) instead.
 */
const OUTBOUND_SETS: Record<string, string> = Object.fromEntries(
  engine
    .sets()
    .map((set) => [set, engine.setInfo(set)] as const)
    .filter(([, info]) => info.direction === 'outbound')
    .map(([set, info]) => [set, info.testedBy ?? '(no testedBy in set.json)']),
);
const inbound = (set: string) => !(set in OUTBOUND_SETS);
const REPO = join(engine.dir, '..');

/** What one golden file holds, read synchronously so that mocha can declare one test per case. */
function plannedCases(set: string, entity: string): { kind: CaseResult['kind']; name: string }[] {
  const file = join(engine.dir, set, `${entity}.test.json`);
  if (!existsSync(file)) return [];
  let golden: GoldenFile;
  try {
    golden = JSON.parse(readFileSync(file, 'utf8')) as GoldenFile;
  } catch {
    return [{ kind: 'case', name: '(file)' }];
  }
  return [...(golden.cases ?? []).map((c) => ({ kind: 'case' as const, name: c.name })), ...(golden.rejects ?? []).map((r) => ({ kind: 'reject' as const, name: r.name }))];
}

function explain(r: CaseResult): string {
  return [`${r.file}: ${r.kind === 'reject' ? 'rejects: ' : ''}${r.name}`, `  ${r.problem ?? ''}`, r.diff?.length ? formatDiff(r.diff) : ''].filter(Boolean).join('\n');
}

describe('mappings: golden tests', function () {
  let report: GoldenReport;

  before(async function () {
    report = await runGolden(schemas, engine);
  });

  const resultsOf = (set: string, entity: string) => report.results.filter((r) => r.set === set && r.entity === entity);

  for (const { set, entity } of mappingFilesUnder(engine)) {
    const planned = plannedCases(set, entity);
    describe(`mappings/${set}/${entity}.test.json`, function () {
      planned.forEach((p, i) => {
        it(`${p.kind === 'reject' ? 'rejects: ' : ''}${p.name}`, function () {
          const r = resultsOf(set, entity)[i];
          assert.ok(r, `the runner reported no result for ${p.kind} "${p.name}"`);
          assert.equal(r.name, p.name, 'results are out of step with the golden file');
          assert.ok(r.ok, explain(r));
        });
      });
    });
  }

  it('reports as many results as the golden files hold cases and rejects', function () {
    const planned = mappingFilesUnder(engine).reduce((n, { set, entity }) => n + plannedCases(set, entity).length, 0);
    assert.equal(report.results.length, planned);
  });

  it('has a golden file for every mapping of a source', function () {
    const outbound = Object.keys(OUTBOUND_SETS).map((set) => join(engine.dir, set, sep));
    const untested = report.untested.filter((f) => !outbound.some((o) => resolve(f).startsWith(o)));
    assert.deepEqual(untested, [], `mappings without a .test.json:\n${untested.join('\n')}`);
  });

  it('has at least one case and one reject for every mapping', function () {
    const missing: string[] = [];
    for (const set of engine.sets().filter(inbound)) {
      for (const entity of engine.entities(set)) {
        const results = resultsOf(set, entity);
        if (!results.some((r) => r.kind === 'case')) missing.push(`${set}/${entity}: no case`);
        if (!results.some((r) => r.kind === 'reject')) missing.push(`${set}/${entity}: no reject`);
      }
    }
    assert.deepEqual(missing, []);
  });

  for (const [set, file] of Object.entries(OUTBOUND_SETS)) {
    if (!engine.sets().includes(set)) continue;
    it(`set ${set} (to a sink) is tested by ${file}`, function () {
      assert.ok(existsSync(join(REPO, file)), `${file} is missing: mappings/${set}/ has no tests`);
    });
  }

  for (const [set, entities] of Object.entries(REQUIRED)) {
    it(`set ${set} maps ${set === 'canonical' ? 'every entity with a schema' : entities.join(', ')}`, function () {
      assert.ok(entities.length > 0);
      const missing = entities.filter((e) => !engine.has(set, e));
      assert.deepEqual(missing, [], `mappings/${set}/ lacks ${missing.join(', ')}`);
    });
  }
});

describe('mappings: the golden runner', function () {
  let dir: string;

  /** Writes mappings/<set>/<entity>.{jsonata,test.json} under a fresh temporary mappings dir. */
  function writeSet(set: string, entity: string, mapping: string, golden?: GoldenFile): MappingEngine {
    mkdirSync(join(dir, set), { recursive: true });
    writeFileSync(join(dir, set, `${entity}.jsonata`), mapping);
    if (golden) writeFileSync(join(dir, set, `${entity}.test.json`), JSON.stringify(golden, null, 2));
    return new MappingEngine(dir);
  }

  const person = {
    sourceId: 'ab19001',
    identifiers: [{ scheme: 'student-number', value: 'ab19001' }],
    givenNames: 'Ānis',
    familyName: 'Bērziņš',
  };

  beforeEach(function () {
    dir = mkdtempSync(join(tmpdir(), 'hub-mappings-'));
  });

  afterEach(function () {
    rmSync(dir, { recursive: true, force: true });
  });

  it('passes a golden file that matches', async function () {
    const eng = writeSet('demo', 'person', '$', {
      institution: 'lu.lv',
      cases: [{ name: 'unchanged', input: person, expected: { institution: 'lu.lv', ...person } }],
      rejects: [{ name: 'no family name', input: { ...person, familyName: '' }, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/familyName', message: 'must NOT have fewer than 1 characters' } }],
    });
    const report = await runGolden(schemas, eng);
    assert.equal(report.failed, 0, formatReport(report));
    assert.equal(report.passed, 2);
  });

  it('fails a case whose output differs, and shows the field as a JSON pointer with both values', async function () {
    const eng = writeSet('demo', 'person', '/* deliberately wrong: swaps the names */ $merge([$, {"givenNames": familyName, "familyName": givenNames}])', {
      institution: 'lu.lv',
      cases: [
        { name: 'names', input: person, expected: { institution: 'lu.lv', ...person } },
        {
          name: 'a nested difference',
          input: person,
          expected: { institution: 'lu.lv', ...person, givenNames: 'Bērziņš', familyName: 'Ānis', identifiers: [{ scheme: 'student-number', value: 'ab19002' }] },
        },
      ],
    });
    const report = await runGolden(schemas, eng);
    assert.equal(report.failed, 2);
    assert.equal(report.passed, 0);
    const text = formatReport(report);
    assert.match(text, /✗ names/);
    assert.ok(text.includes('/givenNames'), text);
    assert.ok(text.includes('/familyName'), text);
    assert.ok(text.includes('expected: "Ānis"'), text);
    assert.ok(text.includes('actual:   "Bērziņš"'), text);
    assert.ok(text.includes('/identifiers/0/value'), text);
    assert.ok(text.includes('expected: "ab19002"') && text.includes('actual:   "ab19001"'), text);
    assert.match(text, /0 passed, 2 failed/);
  });

  it('fails a reject that the mapping accepts', async function () {
    const eng = writeSet('demo', 'person', '$', {
      institution: 'lu.lv',
      rejects: [{ name: 'a valid record', input: person, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/familyName' } }],
    });
    const report = await runGolden(schemas, eng);
    assert.equal(report.failed, 1);
    const r = report.results[0];
    assert.ok(r && !r.ok && r.kind === 'reject');
    assert.match(r.problem ?? '', /accepted/);
    assert.match(formatReport(report), /✗ rejects: a valid record\n.*accepted, but it must be rejected/);
  });

  it('fails a reject refused for another reason than expected', async function () {
    const eng = writeSet('demo', 'person', '$error("vards: missing")', {
      institution: 'lu.lv',
      rejects: [
        { name: 'wrong code', input: person, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/givenNames' } },
        { name: 'wrong message', input: person, error: { code: 'HUB_ERR_MAPPING', message: 'uzvards' } },
        { name: 'right message', input: person, error: { code: 'HUB_ERR_MAPPING', message: 'vards: missing' } },
      ],
    });
    const report = await runGolden(schemas, eng);
    assert.deepEqual(
      report.results.map((r) => [r.name, r.ok]),
      [
        ['wrong code', false],
        ['wrong message', false],
        ['right message', true],
      ],
    );
  });

  it('fails a schema reject at another path than expected', async function () {
    const eng = writeSet('demo', 'person', '$', {
      institution: 'lu.lv',
      rejects: [{ name: 'wrong path', input: { ...person, familyName: '' }, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/givenNames', message: 'must NOT have fewer than 1 characters' } }],
    });
    const report = await runGolden(schemas, eng);
    assert.equal(report.failed, 1);
    assert.match(report.results[0]?.problem ?? '', /no violation at \/givenNames \(violations at: \/familyName\)/);
  });

  it('fails a schema reject whose violation at the path says something else, and one that names no message', async function () {
    const eng = writeSet('demo', 'person', '$', {
      institution: 'lu.lv',
      rejects: [
        // An empty family name breaks minLength; the expectation names another rule.
        { name: 'another rule', input: { ...person, familyName: '' }, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/familyName', message: 'must match pattern' } },
        { name: 'no message', input: { ...person, familyName: '' }, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/familyName' } },
        { name: 'the right rule', input: { ...person, familyName: '' }, error: { code: 'HUB_ERR_SCHEMA_VALIDATION', path: '/familyName', message: 'fewer than 1 characters' } },
      ],
    });
    const report = await runGolden(schemas, eng);
    assert.deepEqual(
      report.results.map((r) => [r.name, r.ok, r.problem]),
      [
        ['another rule', false, 'the violation at /familyName says "must NOT have fewer than 1 characters", not "must match pattern"'],
        ['no message', false, 'a schema reject names the path and the message of the violation it expects'],
        ['the right rule', true, undefined],
      ],
    );
  });

  it('lists a mapping without a golden file as untested', async function () {
    const eng = writeSet('demo', 'person', '$');
    const report = await runGolden(schemas, eng);
    assert.equal(report.untested.length, 1);
    assert.match(report.untested[0] ?? '', /demo[/\\]person\.jsonata$/);
    assert.match(formatReport(report), /has no golden test file/);
  });
});
