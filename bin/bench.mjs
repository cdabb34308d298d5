#!/usr/bin/env node
// `npm run bench`: registers the TypeScript loader, then runs the benchmarks (bench/run.ts).
// `npm run bench -- --quick`, `npm run bench -- pipeline api`, `npm run bench -- --help`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../bench/run.ts');
// Exit explicitly: a benchmark that failed half-way may leave a connection or a timer behind.
process.exit(await main(process.argv.slice(2)));
