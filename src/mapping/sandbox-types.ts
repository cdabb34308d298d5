import type { EvaluationFailure, MappingBindings } from './engine.ts';

/** What the mapping sandbox's worker is given (workerData). */
export interface SandboxJob {
  text: string;
  name: string;
  input: unknown;
  bindings: MappingBindings;
  timeoutMs: number;
  maxDepth: number;
  maxResultChars: number;
}

/** What the worker posts: `started` before it evaluates, then one outcome. */
export type SandboxAnswer =
  { kind: 'started' } | { kind: 'compile'; message: string } | { kind: 'failed'; failure: EvaluationFailure } | { kind: 'too-large'; chars: number } | { kind: 'ok'; json?: string };
