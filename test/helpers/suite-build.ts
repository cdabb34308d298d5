import { spawn, type ChildProcess } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { eventually } from './eventually.ts';

/**
 * Global fixture of the whole suite (.mocharc.cjs, only when no file is named): the hub built once as
 * JavaScript (`bin/build.mjs --no-check`, as the Docker image is; `npm test` type-checks the sources
 * first), which the tests that spawn a hub process run (test/helpers/process.ts, HUB_BIN). Run from the
 * TypeScript through tsx, each of the suite's ~90 hub processes spent ~0.9 s more CPU in the loader.
 *
 * The build (~5 s) runs while the first files run, not before them: the workers get HUB_TEST_BIN, a
 * launcher that waits for the build to be done (a marker file written when it exits) and then runs the
 * built hub, or prints the build's output and exits 1 if it failed; HUB_TEST_DIST is the build's folder
 * (builtHub() below waits for it the same way). A file run on its own spawns
 * bin/hub.mjs from the sources, as `npx hub` does in a clone.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(root, 'dist');
let out: string | undefined;
let build: ChildProcess | undefined;

/** Beside the build's folder: its output, and the marker written when it exits (its exit code). */
const LOG = '.log';
const DONE = '.done';
/** How long a launcher or builtHub() waits for the build. */
const WAIT_MS = 300_000;

/** The launcher the hub processes of the suite run (node <launcher> <args>). */
export const launcher = (dir: string) => `// The suite's hub (test/helpers/suite-build.ts): waits for its build, then runs it.
import { existsSync, readFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
const out = ${JSON.stringify(dir)};
for (const started = Date.now(); !existsSync(out + '${DONE}'); await sleep(50)) {
  if (Date.now() - started > ${WAIT_MS}) {
    console.error('the hub build for the suite did not finish within ${WAIT_MS / 1000} s');
    process.exit(1);
  }
}
const status = readFileSync(out + '${DONE}', 'utf8');
if (status !== '0') {
  console.error('building the hub for the suite failed (' + status + '):\\n' + readFileSync(out + '${LOG}', 'utf8'));
  process.exit(1);
}
await import(${JSON.stringify(pathToFileURL(join(dir, 'bin', 'hub.mjs')).href)});
`;

/** The suite's JavaScript build once it is done (undefined when a file runs on its own); throws with the build's output if it failed. */
export async function builtHub(): Promise<string | undefined> {
  const dir = process.env.HUB_TEST_DIST;
  if (!dir) return undefined;
  const status = await eventually(() => (existsSync(dir + DONE) ? readFileSync(dir + DONE, 'utf8') : null), WAIT_MS, 'the suite build', 100);
  if (status !== '0') throw new Error(`building the hub for the suite failed (${status}):\n${readFileSync(dir + LOG, 'utf8')}`);
  return dir;
}

export function mochaGlobalSetup(): void {
  // Builds left by runs that ended without their teardown (an hour old).
  for (const d of existsSync(DIST) ? readdirSync(DIST, { withFileTypes: true }) : []) {
    if (!d.name.startsWith('suite-')) continue;
    if (Date.now() - statSync(join(DIST, d.name)).mtimeMs > 3_600_000) rmSync(join(DIST, d.name), { recursive: true, force: true });
  }
  mkdirSync(DIST, { recursive: true });
  const dir = join(DIST, `suite-${process.pid}`);
  out = dir;
  const log = openSync(dir + LOG, 'w');
  build = spawn(process.execPath, [join(root, 'bin', 'build.mjs'), dir, '--no-check'], { stdio: ['ignore', log, log] });
  closeSync(log);
  // Written whole, then renamed: a launcher never reads half a marker.
  build.once('exit', (code, signal) => {
    writeFileSync(`${dir}${DONE}.tmp`, String(code ?? signal));
    renameSync(`${dir}${DONE}.tmp`, dir + DONE);
  });
  writeFileSync(`${dir}.hub.mjs`, launcher(dir));
  process.env.HUB_TEST_DIST = dir;
  process.env.HUB_TEST_BIN = `${dir}.hub.mjs`;
}

export async function mochaGlobalTeardown(): Promise<void> {
  if (build && build.exitCode === null && build.signalCode === null) await new Promise((r) => build!.once('exit', r));
  if (!out) return;
  rmSync(out, { recursive: true, force: true });
  for (const f of [LOG, DONE, '.hub.mjs']) rmSync(`${out}${f}`, { force: true });
}
