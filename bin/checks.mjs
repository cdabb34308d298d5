#!/usr/bin/env node
// `npm run checks`: the static checks of `npm test` (type check, ESLint, Prettier, dependency rules) at
// the same time, each one's output printed whole when it ends, with its time; exit 1 if any failed.
// The same commands as `npm run typecheck` and `npm run lint`, which still run them one by one.
import { spawn } from 'node:child_process';
import { dirname, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '..');
const checks = [
  ['type check', 'typecheck'],
  ['ESLint', 'lint:eslint'],
  ['Prettier', 'format:check'],
  ['dependency rules', 'depcheck'],
];

const run = ([name, script]) =>
  new Promise((done) => {
    const started = Date.now();
    const child = spawn(process.platform === 'win32' ? 'npm.cmd' : 'npm', ['run', '--silent', script], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    const out = [];
    child.stdout.on('data', (b) => out.push(b));
    child.stderr.on('data', (b) => out.push(b));
    child.on('close', (code) => {
      const seconds = ((Date.now() - started) / 1000).toFixed(1);
      const text = Buffer.concat(out).toString().trimEnd();
      console.log(`${code === 0 ? 'ok  ' : 'FAIL'} ${name} (npm run ${script}, ${seconds} s)${text ? `\n${text}` : ''}`);
      done(code === 0);
    });
  });

const results = await Promise.all(checks.map(run));
process.exit(results.every(Boolean) ? 0 : 1);
