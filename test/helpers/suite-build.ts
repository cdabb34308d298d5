import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/**
 * Global fixture of the whole suite (.mocharc.cjs, only when no file is named): the hub built once as
 * JavaScript (`bin/build.mjs --no-check`, as the Docker image is; `npm test` type-checks the sources
 * first), which the tests that spawn a hub process run (test/helpers/process.ts, HUB_BIN). Run from the
 * TypeScript through tsx, each of the suite's ~90 hub processes spent ~0.9 s more CPU in the loader.
 *
 * The build (~5 s) runs while the first files run, not before them: the workers get HUB_TEST_BIN, a
 * launcher that waits for the build to be done (a marker file written when it exits) and then runs the
 * built hub, or prints the build's output and exits 1 if it failed; HUB_TEST_DIST is the build's folder
 * (test/helpers/process.ts, builtHub(), waits for it the same way). A file run on its own spawns
 * bin/hub.mjs from the sources, as `npx hub` does in a clone.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(root, 'dist');
let out: string | undefined;
let build: ChildProcess | undefined;

/** The launcher the hub processes of the suite run (node <launcher> <args>). */
export const launcher = (dir: string) => `// The suite's hub (test/helpers/suite-build.ts): waits for its build, then runs it.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const out = ${JSON.stringify(dir)};
for (const started = Date.now(); !existsSync(out + '.done'); await sleep(50)) {
  if (Date.now() - started > 300_000) {
    console.error('the hub build for the suite did not finish within 5 minutes');
    process.exit(1);
  }
}
const status = readFileSync(out + '.done', 'utf8');
if (status !== '0') {
  console.error('building the hub for the suite failed (' + status + '):\\n' + readFileSync(out + '.log', 'utf8'));
  process.exit(1);
}
await import(${JSON.stringify(pathToFileURL(join(dir, 'bin', 'hub.mjs')).href)});
`;

export function mochaGlobalSetup(): void {
  // Builds left by runs that ended without their teardown (an hour old).
  for (const d of existsSync(DIST) ? readdirSync(DIST, { withFileTypes: true }) : []) {
    if (!d.name.startsWith('suite-')) continue;
    if (Date.now() - statSync(join(DIST, d.name)).mtimeMs > 3_600_000) rmSync(join(DIST, d.name), { recursive: true, force: true });
  }
  mkdirSync(DIST, { recursive: true });
  const dir = join(DIST, `suite-${process.pid}`);
  out = dir;
  const log = openSync(`${dir}.log`, 'w');
  build = spawn(process.execPath, [join(root, 'bin', 'build.mjs'), dir, '--no-check'], { stdio: ['ignore', log, log] });
  closeSync(log);
  // Written whole, then renamed: a launcher never reads half a marker.
  build.once('exit', (code, signal) => {
    writeFileSync(`${dir}.done.tmp`, String(code ?? signal));
    renameSync(`${dir}.done.tmp`, `${dir}.done`);
  });
  writeFileSync(`${dir}.hub.mjs`, launcher(dir));
  process.env.HUB_TEST_DIST = dir;
  process.env.HUB_TEST_BIN = `${dir}.hub.mjs`;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (build && build.exitCode === null && build.signalCode === null) await new Promise((r) => build!.once('exit', r));
  if (!out) return;
  rmSync(out, { recursive: true, force: true });
  for (const f of ['.log', '.done', '.hub.mjs']) rmSync(`${out}${f}`, { force: true });
}
