/**
 * Compiled mappings: a mapping's JSONata text translated into plain synchronous JavaScript
 * (translate.ts), with the interpreter kept for what the translation does not cover. The mapping file
 * stays the source of truth: this is how it runs, not a second copy of it.
 *
 * What applies to a compiled evaluation (mappings/README.md "How mappings run"):
 * - depth (`limits.mappingMaxDepth`): a compiled mapping has no recursion; depthBound() is the most
 *   JSONata could count for it, and when that exceeds the limit the mapping is left to the interpreter.
 * - time (`limits.mappingTimeoutMs`): compiled code has no loop but over the record's own arrays; an
 *   evaluation that still took longer than the limit is reported as JSONata reports one it stopped (D1012).
 */
import type jsonata from 'jsonata';
import { Untranslatable, type Node } from './ast.ts';
import { depthBound } from './depth.ts';
import { Frame, Root } from './frame.ts';
import { createSequence, isSequence } from './sequence.ts';
import { translate } from './translate.ts';

export { builtinsLoaded, loadBuiltins, NeedsInterpreter } from './builtins.ts';
export { isRejection } from './translate.ts';

/** A compiled mapping: run(input, bindings) gives JSONata's result, throws a rejection, or NeedsInterpreter. */
export type CompiledRun = (input: unknown, bindings: Readonly<Record<string, unknown>>) => unknown;

export interface Translation {
  /** The compiled function; absent when the mapping runs on the interpreter. */
  run?: CompiledRun;
  /** Why the mapping runs on the interpreter (the construct, and where). */
  fallback?: string;
  /** Upper bound of JSONata's evaluation depth for this mapping. */
  depthBound?: number;
}

/** Translates a parsed mapping (jsonata(text)); `maxDepth` is the guard's depth limit. */
export function translateMapping(expr: ReturnType<typeof jsonata>, maxDepth: number): Translation {
  return translateAst(expr.ast() as unknown as Node, maxDepth);
}

/** Translates an AST of JSONata's parser (translateMapping(); the differential test's mutants). */
export function translateAst(ast: Node, maxDepth: number): Translation {
  let ev;
  try {
    ev = translate(ast);
  } catch (e) {
    if (e instanceof Untranslatable) return { fallback: `${e.reason}${e.position === undefined ? '' : ` (at character ${e.position})`}` };
    throw e;
  }
  const bound = depthBound(ast);
  if (maxDepth > 0 && bound > maxDepth) return { fallback: `its evaluation depth could reach ${bound}, over the limit of ${maxDepth}`, depthBound: bound };
  const run: CompiledRun = (input, bindings) => {
    let context = input;
    // As JSONata's evaluate(): a JSON array as input is one item ($$ is the array itself).
    if (Array.isArray(input) && !isSequence(input)) {
      context = createSequence(input);
      (context as { outerWrapper?: boolean }).outerWrapper = true;
    }
    const root = new Root(bindings, input);
    return ev(context, new Frame(undefined, root));
  };
  return { run, depthBound: bound };
}
