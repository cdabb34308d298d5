#!/usr/bin/env node
// `npm run build [-- <out dir>] [--no-check]`: the hub as plain JavaScript (tsc, import paths rewritten to .js) in dist/,
// with what it reads at run time beside it (schemas, mappings, flows, pages, WSDLs, package.json), in the
// same layout as the repository, so `node dist/bin/hub.mjs` runs without tsx (the Docker image does).
// --no-check emits without type checking (tsc --noCheck: the same JavaScript, a fifth of the CPU), for
// callers that have type-checked the same sources already (npm test runs `npm run typecheck` first).
import { spawnSync } from 'node:child_process';
import { cpSync, mkdirSync, rmSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { bundle } from './bundle.mjs';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const args = process.argv.slice(2);
const noCheck = args.includes('--no-check');
const out = resolve(root, args.find((a) => !a.startsWith('--')) ?? 'dist');
rmSync(out, { recursive: true, force: true });
const tsc = createRequire(import.meta.url).resolve('typescript/bin/tsc');
const r = spawnSync(process.execPath, [tsc, '-p', join(root, 'tsconfig.build.json'), '--outDir', out, ...(noCheck ? ['--noCheck'] : [])], { stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);
// Whole folders read at run time, and the files of the code folders that are not TypeScript.
for (const dir of ['schemas', 'mappings', 'flows']) cpSync(join(root, dir), join(out, dir), { recursive: true });
for (const dir of ['src', 'adapters']) {
  cpSync(join(root, dir), join(out, dir), { recursive: true, filter: (src) => !src.endsWith('.ts') || src.endsWith('.d.ts') });
}
mkdirSync(join(out, 'bin'), { recursive: true });
cpSync(join(root, 'bin', 'hub.mjs'), join(out, 'bin', 'hub.mjs'));
for (const f of ['package.json', 'package-lock.json']) cpSync(join(root, f), join(out, f));
// The compiled hub bundled (bin/bundle.mjs): what bin/hub.mjs runs when it is there.
await bundle(out);
console.log(`built ${out}: node ${join(out, 'bin', 'hub.mjs')} --help`);
