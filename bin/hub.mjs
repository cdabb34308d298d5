#!/usr/bin/env node
// Entry point of the `hub` command. Built (npm run build, the Docker image): runs the bundle beside it
// (bin/bundle.mjs). From a clone: registers the TypeScript loader (tsx), then runs the sources.
import { existsSync } from 'node:fs';

const bundled = new URL('../bundle/main.js', import.meta.url);
let main;
if (existsSync(bundled)) ({ main } = await import(bundled.href));
else {
  const { register } = await import('tsx/esm/api');
  register();
  ({ main } = await import('../src/cli/main.ts'));
}
await main(process.argv);
