import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { isCI } from './helpers/ci.ts';

const REPO = fileURLToPath(new URL('..', import.meta.url));

/** Files of the repository (outside node_modules) a mocha spec glob matches. */
function matching(glob: string): string[] {
  const re = new RegExp(
    `^${glob
      .replace(/[.+^${}()|[\]\\]/g, '\\$&')
      .replace(/\*\*\//g, '(.*/)?')
      .replace(/\*/g, '[^/]*')}$`,
  );
  const top = glob.split('/')[0]!;
  return readdirSync(`${REPO}${top}`, { recursive: true })
    .map((f) => `${top}/${String(f)}`)
    .filter((f) => re.test(f));
}
const VALUES: [string | undefined, boolean][] = [
  [undefined, false],
  ['', false],
  ['0', false],
  ['false', false],
  ['FALSE', false],
  [' false ', false],
  ['true', true],
  ['1', true],
  ['yes', true],
  ['github-actions', true],
];

/** The mocha options .mocharc.cjs gives for this CI value and these command-line arguments (a fresh process). */
function mochaOptions(ci: string | undefined, args: string[] = []): { spec: string[]; require?: string[]; 'forbid-only': boolean; 'forbid-pending': boolean } {
  const env: NodeJS.ProcessEnv = { ...process.env };
  delete env.CI;
  if (ci !== undefined) env.CI = ci;
  const out = execFileSync(process.execPath, ['-e', `process.stdout.write(JSON.stringify(require(${JSON.stringify(`${REPO}.mocharc.cjs`)})))`, '--', 'mocha', ...args], { env, cwd: REPO });
  return JSON.parse(out.toString()) as ReturnType<typeof mochaOptions>;
}

describe('test rules: what CI means, and that it never skips', () => {
  it('counts CI as set for any value but empty, 0 or false', () => {
    for (const [v, expected] of VALUES) assert.equal(isCI(v === undefined ? {} : { CI: v }), expected, `CI=${JSON.stringify(v)}`);
  });

  it('.mocharc.cjs forbids .only and pending tests exactly when the helper says CI', function () {
    this.timeout(20_000);
    for (const [v, expected] of VALUES) {
      const o = mochaOptions(v);
      assert.equal(o['forbid-only'], expected, `forbid-only with CI=${JSON.stringify(v)}`);
      assert.equal(o['forbid-pending'], expected, `forbid-pending with CI=${JSON.stringify(v)}`);
    }
  });

  it('runs the whole suite by default, and only the files named on the command line', function () {
    this.timeout(20_000);
    const all = mochaOptions(undefined).spec;
    const files = matching('test/**/*.test.ts');
    assert.ok(files.length > 100);
    assert.deepEqual([...all].sort(), files.sort(), 'every test file once');
    assert.equal(all[0], 'test/mapping-compile.test.ts', 'the longest file starts first');
    const one = mochaOptions(undefined, ['test/ci-rules.test.ts']);
    assert.deepEqual(one.spec, []);
    assert.equal(one.require, undefined, 'a file run on its own does not build the hub first');
  });
});
