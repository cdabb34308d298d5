import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const WORKER = fileURLToPath(new URL('./worker-main.ts', import.meta.url));

/** A worker process (bench/lib/worker-main.ts) joined to a real hub's schema and AMQP prefix. */
export interface Worker {
  child: ChildProcess;
  out: () => string;
  loaded: Promise<void>;
  go(): void;
  exited: Promise<void>;
}

/** Starts one; it loads its modules, then waits for go(). */
export function startWorker(schema: string, prefix: string): Worker {
  const child = spawn(process.execPath, ['--import', 'tsx', WORKER, schema, prefix], {
    stdio: ['pipe', 'pipe', 'pipe'],
    env: process.env,
    cwd: fileURLToPath(new URL('../../', import.meta.url)),
  });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  const loaded = (async () => {
    const end = Date.now() + 60_000;
    while (!out.includes('loaded')) {
      if (child.exitCode !== null) throw new Error(`worker exited with ${child.exitCode}: ${out}`);
      if (Date.now() > end) throw new Error(`worker did not start: ${out}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  })();
  return { child, out: () => out, loaded, go: () => child.stdin!.write('go\n'), exited };
}
