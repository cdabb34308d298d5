import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { fileURLToPath } from 'node:url';

export const HUB_BIN = fileURLToPath(new URL('../../bin/hub.mjs', import.meta.url));

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

/** Runs `hub <args>` as a child process (a real process that a test can kill -9). */
export function runHub(args: string[], env: Record<string, string>, bin: string = HUB_BIN): HubProcess {
  const child = spawn(process.execPath, [bin, ...args], { env: { ...process.env, LOG_LEVEL: 'warn', ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  child.stdout!.on('data', (c: Buffer) => (out += c.toString()));
  child.stderr!.on('data', (c: Buffer) => (out += c.toString()));
  const exited = new Promise<void>((r) => child.once('exit', () => r()));
  return {
    child,
    output: () => out,
    waitFor: async (text, timeoutMs = 20_000) => {
      const until = Date.now() + timeoutMs;
      while (Date.now() < until) {
        const m = typeof text === 'string' ? (out.includes(text) ? text : null) : (text.exec(out)?.[0] ?? null);
        if (m) return m;
        if (child.exitCode !== null) throw new Error(`hub exited with ${child.exitCode}:\n${out}`);
        await new Promise((r) => setTimeout(r, 50));
      }
      throw new Error(`timed out waiting for ${String(text)} in hub output:\n${out}`);
    },
    kill: async (signal = 'SIGKILL') => {
      if (child.exitCode === null && child.signalCode === null) child.kill(signal);
      await exited;
    },
  };
}
