/**
 * The child process of the mapping sandbox (sandbox.ts): takes one job on its IPC channel, compiles
 * and evaluates the tried-out mapping, posts the outcome as plain data and exits. It runs under the
 * heap limit and the clock of its parent; nothing here can block or exhaust the hub's process.
 */
import { compileText, failureOf, mappingBindings } from './engine.ts';
import type { SandboxAnswer, SandboxJob } from './sandbox-types.ts';

const post = (a: SandboxAnswer) => new Promise<void>((resolve) => process.send!(a, undefined, undefined, () => resolve()));

async function run(job: SandboxJob): Promise<SandboxAnswer> {
  let expr: ReturnType<typeof compileText>;
  try {
    expr = compileText(job.text, job.name, { timeoutMs: job.timeoutMs, maxDepth: job.maxDepth });
  } catch (e) {
    return { kind: 'compile', message: (e as Error).message };
  }
  await post({ kind: 'started' });
  let out: unknown;
  try {
    out = await expr.evaluate(job.input, mappingBindings(job.bindings));
  } catch (e) {
    return { kind: 'failed', failure: failureOf(e) };
  }
  const json = out === undefined ? undefined : JSON.stringify(out);
  if (json !== undefined && json.length > job.maxResultChars) return { kind: 'too-large', chars: json.length };
  return { kind: 'ok', ...(json === undefined ? {} : { json }) };
}

process.once('message', (job: SandboxJob) => {
  void run(job)
    .then(post)
    .finally(() => process.exit(0));
});
