import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';
import { eventually, GiveUp } from './eventually.ts';

/**
 * The hub's entry point: when the whole suite runs, a launcher of its JavaScript build, which waits for
 * the build to be done (test/helpers/suite-build.ts); else bin/hub.mjs.
 */
export const HUB_BIN = process.env.HUB_TEST_BIN ?? fileURLToPath(new URL('../../bin/hub.mjs', import.meta.url));

export async function freePort(): Promise<number> {
  const s = createServer();
  await new Promise<void>((r) => s.listen(0, '127.0.0.1', r));
  const port = (s.address() as { port: number }).port;
  await new Promise<void>((r) => s.close(() => r()));
  return port;
}

export interface HubProcess {
  child: ChildProcess;
  output(): string;
  /** Resolves when the output contains the text. */
  waitFor(text: string | RegExp, timeoutMs?: number): Promise<string>;
  kill(signal?: NodeJS.Signals): Promise<void>;
}

/**
 * Runs `hub <args>` as a child process (a real process that a test can kill -9). `prefix` is a
 * command the hub runs under (e.g. unshare with a mount of its own); it must exec the rest. `bin`
 * is the hub's entry point (default bin/hub.mjs).
 */
export function runHub(args: string[], env: Record<string, string>, opts: { prefix?: string[]; bin?: string } = {}): HubProcess {
  const [cmd, ...pre] = [...(opts.prefix ?? []), process.execPath, opts.bin ?? HUB_BIN, ...args];
  const child = spawn(cmd!, pre, { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    waitFor: (text, timeoutMs = 20_000) =>
      eventually(
        () => {
          const m = typeof text === 'string' ? (out.includes(text) ? text : null) : (text.exec(out)?.[0] ?? null);
          if (!m && child.exitCode !== null) throw new GiveUp(`hub exited with ${child.exitCode}:\n${out}`);
          return m;
        },
        timeoutMs,
        `${String(text)} in the hub output`,
        50,
      ).catch((e: Error) => {
        throw e instanceof GiveUp ? e : new Error(`${e.message}:\n${out}`);
      }),
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
