import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Global fixture of the whole suite (.mocharc.cjs, only when no file is named): the hub built once as
 * JavaScript (`bin/build.mjs --no-check`, as the Docker image is; `npm test` type-checks the sources
 * first), which the tests that spawn a hub process run (test/helpers/process.ts, HUB_BIN). Run from the
 * TypeScript through tsx, each of the suite's ~90 hub processes spent ~0.9 s more CPU in the loader.
 * The path reaches the two workers through HUB_TEST_DIST; a file run on its own spawns bin/hub.mjs from
 * the sources, as `npx hub` does in a clone.
 */
const root = fileURLToPath(new URL('../..', import.meta.url));
const DIST = join(root, 'dist');
let out: string | undefined;

export function mochaGlobalSetup(): void {
  // Builds left by runs that ended without their teardown (an hour old).
  for (const d of existsSync(DIST) ? readdirSync(DIST, { withFileTypes: true }) : []) {
    if (!d.isDirectory() || !d.name.startsWith('suite-')) continue;
    if (Date.now() - statSync(join(DIST, d.name)).mtimeMs > 3_600_000) rmSync(join(DIST, d.name), { recursive: true, force: true });
  }
  out = join(DIST, `suite-${process.pid}`);
  const b = spawnSync(process.execPath, [join(root, 'bin', 'build.mjs'), out, '--no-check'], { encoding: 'utf8' });
  if (b.status !== 0) throw new Error(`building the hub for the suite's hub processes failed:\n${b.stdout}${b.stderr}`);
  process.env.HUB_TEST_DIST = out;
}

export function mochaGlobalTeardown(): void {
  if (out) rmSync(out, { recursive: true, force: true });
}
