import { fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { Gate } from '../core/gate.ts';
import { InternalError, MappingError, MappingLimitError } from '../core/errors.ts';
import { DEFAULT_MAPPING_LIMITS, evaluationError, recordsOf, type MappingBindings } from './engine.ts';
import type { SandboxAnswer, SandboxJob } from './sandbox-types.ts';

/**
 * Limits of a tried-out mapping (the admin console's mapping tester; config `limits.tryTimeoutMs`,
 * `limits.tryMemoryMb`): wall-clock time of the evaluation and heap of the worker that runs it.
 */
export interface SandboxLimits {
  timeoutMs: number;
  memoryMb: number;
  /** Evaluation depth (as limits.mappingMaxDepth for live data). */
  maxDepth: number;
}
export const DEFAULT_SANDBOX_LIMITS: Readonly<SandboxLimits> = Object.freeze({ timeoutMs: 2000, memoryMb: 64, maxDepth: DEFAULT_MAPPING_LIMITS.maxDepth });
/** Largest result a tried-out mapping may give back (JSON characters). */
export const MAX_RESULT_CHARS = 1_000_000;
/** Time the worker may take to start (load the engine) before it is given up as broken. */
const START_TIMEOUT_MS = 30_000;
/** After the evaluation's own clock (JSONata's guard), how long before the worker is terminated. */
const GRACE_MS = 250;

/** Tried-out mappings run one or two at a time; a few wait; more are refused (HUB_ERR_BUSY). */
const gate = new Gate('mapping trials', { concurrent: 2, queue: 8, retryAfterSeconds: 2 });

// Built (npm run build), the child runs sandbox-worker.js beside this file; from the sources it runs
// the .ts file under the TypeScript loader (tsx), as bin/hub.mjs does for the hub.
const fromSources = import.meta.url.endsWith('.ts');
const ENTRY = fileURLToPath(new URL(fromSources ? './sandbox-worker.ts' : './sandbox-worker.js', import.meta.url));
const LOADER = fromSources ? ['--import', import.meta.resolve('tsx')] : [];

/**
 * Evaluates a mapping's text on one record off the hub's process: a child process with a heap limit
 * (`memoryMb`) and a clock (`timeoutMs`, after which it is killed), so a mapping that loops, recurses
 * or allocates without end costs the hub nothing but that child. (Not a worker thread: one allocation
 * past a worker's resourceLimits, e.g. `[1..10000000]` with 64 MB, aborts the whole process.) Returns the records as
 * evaluate() does; throws MappingError (does not compile, rejects, no object) or MappingLimitError.
 */
export async function evaluateSandboxed(
  text: string,
  name: string,
  input: unknown,
  bindings: MappingBindings,
  limits: Readonly<SandboxLimits> = DEFAULT_SANDBOX_LIMITS,
): Promise<Record<string, unknown>[]> {
  const job: SandboxJob = {
    text,
    name,
    input,
    bindings: { institution: bindings.institution, source: bindings.source },
    timeoutMs: limits.timeoutMs,
    maxDepth: limits.maxDepth,
    maxResultChars: MAX_RESULT_CHARS,
  };
  const answer = await gate.run(() => runWorker(job, limits));
  if (answer.kind === 'compile') throw new MappingError(answer.message);
  if (answer.kind === 'failed') throw evaluationError(answer.failure, name);
  if (answer.kind === 'too-large') {
    throw new MappingLimitError(`mapping ${name} produced ${answer.chars} characters of JSON, more than the ${MAX_RESULT_CHARS} a tried-out mapping may give back`, {
      extra: { limit: 'result', value: MAX_RESULT_CHARS },
    });
  }
  return recordsOf(answer.kind === 'ok' && answer.json !== undefined ? JSON.parse(answer.json) : undefined, name);
}

function timeLimit(name: string, ms: number): MappingLimitError {
  return new MappingLimitError(`mapping ${name} ran longer than ${ms} ms and was stopped`, { extra: { limit: 'time', value: ms } });
}

function runWorker(job: SandboxJob, limits: Readonly<SandboxLimits>): Promise<Exclude<SandboxAnswer, { kind: 'started' }>> {
  return new Promise((resolve, reject) => {
    const child = fork(ENTRY, [], {
      execArgv: [...LOADER, `--max-old-space-size=${limits.memoryMb}`, `--max-semi-space-size=${Math.max(1, Math.min(8, Math.floor(limits.memoryMb / 16)))}`, '--stack-size=2000'],
      // Nothing of the hub's environment (secrets) reaches the child.
      env: { NODE_ENV: process.env.NODE_ENV ?? 'production' },
      stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
      serialization: 'advanced',
    });
    let stderr = '';
    child.stderr!.on('data', (c: Buffer) => (stderr = (stderr + c.toString()).slice(-2000)));
    let settled = false;
    const finish = (fn: () => void) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      fn();
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    };
    let timer = setTimeout(() => finish(() => reject(new InternalError(`the mapping sandbox did not start within ${START_TIMEOUT_MS} ms`))), START_TIMEOUT_MS);
    child.on('message', (a: SandboxAnswer) => {
      if (a.kind === 'started') {
        clearTimeout(timer);
        timer = setTimeout(() => finish(() => reject(timeLimit(job.name, limits.timeoutMs))), limits.timeoutMs + GRACE_MS);
      } else finish(() => resolve(a));
    });
    child.on('error', (e) => finish(() => reject(new InternalError(`the mapping sandbox failed: ${e.message}`, { cause: e }))));
    child.on('exit', (code, signal) =>
      finish(() =>
        reject(
          /heap out of memory|Reached heap limit/.test(stderr)
            ? new MappingLimitError(`mapping ${job.name} used more than ${limits.memoryMb} MB and was stopped`, { extra: { limit: 'memory', value: limits.memoryMb } })
            : new InternalError(`the mapping sandbox stopped (${signal ?? `exit code ${code}`}) without an answer`),
        ),
      ),
    );
    child.send(job);
  });
}
