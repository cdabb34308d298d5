/**
 * The translator: JSONata's AST (its own parser's, `jsonata(text).ast()`) → a tree of plain
 * synchronous JavaScript closures, one per node, each doing what jsonata 2.x's evaluate() does for
 * that node (evaluatePath, evaluateStep, evaluateFilter, evaluateGroupExpression, ...), without a
 * promise per node. A construct outside the subset (see SUBSET in README below) throws Untranslatable
 * and the mapping stays with the interpreter. At run time the closures throw NeedsInterpreter for a
 * case they do not decide themselves (a JSONata type error, whose wording is the interpreter's; two
 * rejections in branches JSONata evaluates concurrently, whose order is its scheduler's).
 */
import { MappingRejectError } from '../../core/errors.ts';
import { untranslatable, type Node } from './ast.ts';
import { BUILTIN_NAMES, builtinCaller, ErrorCall, isJsonataBuiltin, NeedsInterpreter, regexMatcher } from './builtins.ts';
import { BUILTIN, Root, type Frame } from './frame.ts';
import { append, createSequence, finish, isArrayOfNumbers, isDeepEqual, isNumeric, isSequence, JsonataRuntimeError, lookup, toBoolean, toJsonataString, type Seq } from './sequence.ts';

/** A compiled node: its value for the context `input` in the variables `env`. */
export type Ev = (input: unknown, env: Frame) => unknown;

/** A user function of the mapping (`$f := function($v) { ... }`). */
export class CompiledLambda {
  readonly _jsonata_lambda = true;
  constructor(
    private readonly params: string[],
    private readonly body: Ev,
    private readonly input: unknown,
    private readonly env: Frame,
  ) {}

  /** applyProcedure() and apply()'s trampoline: `ctx` is the call's context (for a tail call's `-` argument). */
  call(args: unknown[], ctx: unknown): unknown {
    const frame = this.env.child();
    this.params.forEach((p, i) => frame.bind(p, args[i]));
    let r = this.body(this.input, frame);
    while (r instanceof Thunk) r = r.run(ctx);
    return r;
  }
}

/** A call in tail position of a lambda body: JSONata returns it to apply() to be made there. */
class Thunk {
  constructor(
    private readonly call: (input: unknown, env: Frame, ctx: unknown) => unknown,
    private readonly input: unknown,
    private readonly env: Frame,
  ) {}
  run(ctx: unknown): unknown {
    return this.call(this.input, this.env, ctx);
  }
}

/** Whether a thrown value is a record's rejection ($error or a native's), as opposed to an error JSONata words. */
export function isRejection(e: unknown): boolean {
  return e instanceof ErrorCall || e instanceof MappingRejectError;
}

const CONCURRENT = 'more than one rejection in branches JSONata evaluates concurrently';

/**
 * Evaluates branches JSONata runs with Promise.all (array items, object values): all of them, and
 * an error is thrown only when it is the only one (else which one JSONata reports depends on timing).
 */
function allOf(evs: Ev[], input: unknown, env: Frame): unknown[] {
  const out: unknown[] = new Array<unknown>(evs.length);
  let error: unknown;
  let errors = 0;
  for (let i = 0; i < evs.length; i++) {
    try {
      out[i] = evs[i]!(input, env);
    } catch (e) {
      if (!isRejection(e)) throw e;
      errors++;
      error = e;
    }
  }
  if (errors > 1) throw new NeedsInterpreter(CONCURRENT);
  if (errors === 1) throw error;
  return out;
}

interface Scope {
  /** Names bound to a lambda somewhere in the mapping (called, never used as values). */
  lambdas: ReadonlySet<string>;
  /** Every name a frame can hold (bound by `:=`, a parameter, `#$i`): other names are looked up in the bindings. */
  bound: ReadonlySet<string>;
  /** Inside a lambda body (a call to a user function there could recurse). */
  inLambda: boolean;
  /** Directly inside a branch JSONata evaluates concurrently (a `:=` there would race). */
  inParallel: boolean;
}

export function translate(root: Node): Ev {
  const lambdas = new Set<string>();
  collectLambdas(root, lambdas);
  const bound = new Set<string>(['@', '$']);
  collectBound(root, bound);
  return compile(root, { lambdas, bound, inLambda: false, inParallel: false });
}

/** Names bound to lambdas; such a name must only ever be bound to a lambda and only be called. */
function collectLambdas(node: unknown, out: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) collectLambdas(n, out);
    return;
  }
  const n = node as Node;
  if (n.type === 'bind' && (n.rhs as Node).type === 'lambda') out.add((n.lhs as Node).value as string);
  for (const [k, v] of Object.entries(n)) if (k !== 'value') collectLambdas(v, out);
}

function collectBound(node: unknown, out: Set<string>): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) collectBound(n, out);
    return;
  }
  const n = node as Node;
  if (n.type === 'bind') out.add((n.lhs as Node).value as string);
  if (n.type === 'lambda') for (const a of n.arguments ?? []) out.add(a.value as string);
  if (typeof n.index === 'string') out.add(n.index);
  if (typeof n.focus === 'string') out.add(n.focus);
  for (const [k, v] of Object.entries(n)) if (k !== 'value') collectBound(v, out);
}

/** A name's value at run time: through the frames, or straight from the bindings when no frame can hold it. */
function resolver(name: string, scope: Scope): (env: Frame) => unknown {
  if (scope.bound.has(name)) return (env) => env.lookup(name);
  const fromRoot = Root.resolver(name);
  return (env) => fromRoot(env.root);
}

function compile(node: Node, scope: Scope): Ev {
  if (node.group !== undefined && node.type !== 'path') untranslatable('grouping', node);
  const main = compileMain(node, scope);
  const predicates = (node.predicate ?? []).map((p) => compileFilter(p.expr, scope));
  const keepArray = node.keepArray === true;
  // A node whose value is never an unfinished sequence (a literal, an operator's, a constructor's,
  // or a child's, which was finished already) needs no finishing.
  if (predicates.length === 0 && !keepArray && FINISHED.has(node.type) && !(node.type === 'unary' && node.value !== '[' && node.value !== '{' && node.value !== '-')) return main;
  if (predicates.length === 0 && !keepArray && SELF_FINISHING.has(main)) return main;
  if (predicates.length === 0) return (input, env) => finish(main(input, env), keepArray);
  return (input, env) => {
    let r = main(input, env);
    for (const p of predicates) r = p(r, env);
    return finish(r, keepArray);
  };
}

const FINISHED = new Set(['string', 'number', 'value', 'binary', 'condition', 'block', 'bind', 'unary']);
/** Closures that finish their own value (as compile() would, for a node without predicates or `[]`). */
const SELF_FINISHING = new WeakSet<Ev>();
const selfFinishing = (ev: Ev): Ev => {
  SELF_FINISHING.add(ev);
  return ev;
};

function compileMain(node: Node, scope: Scope): Ev {
  switch (node.type) {
    case 'string':
    case 'number':
    case 'value': {
      const v = node.value;
      return () => v;
    }
    case 'name': {
      const key = node.value as string;
      return (input) => lookup(input, key);
    }
    case 'variable':
      return compileVariable(node, scope);
    case 'path':
      return compilePath(node, scope);
    case 'binary':
      return compileBinary(node, scope);
    case 'unary':
      return compileUnary(node, scope);
    case 'condition': {
      const cond = compile(node.condition!, scope);
      const then = compile(node.then!, scope);
      const otherwise = node.else ? compile(node.else, scope) : undefined;
      return (input, env) => (toBoolean(cond(input, env)) ? then(input, env) : otherwise ? otherwise(input, env) : undefined);
    }
    case 'block': {
      const inner = { ...scope, inParallel: false };
      const exprs = node.expressions!.map((e) => compile(e, inner));
      return (input, env) => {
        const frame = env.child();
        let r: unknown;
        for (const e of exprs) r = e(input, frame);
        return r;
      };
    }
    case 'bind':
      return compileBind(node, scope);
    case 'function':
      return compileCall(node, scope);
    case 'lambda':
      if (node.thunk) {
        // A tail call in a lambda body: made by the lambda's trampoline (CompiledLambda.call).
        const call = compileCallWithContext(node.body!, scope, false);
        return (input, env) => new Thunk(call, input, env);
      }
      return untranslatable("a function used as a value (only `$name := function(...)` called by name, or $sort's comparator)", node);
    case 'regex':
      return untranslatable('a regular expression outside $contains/$replace/$split', node);
    default:
      return untranslatable(`the ${node.type} operator`, node);
  }
}

function compileVariable(node: Node, scope: Scope): Ev {
  const name = node.value as string;
  if (name === '') return (input) => (input && (input as Seq).outerWrapper ? (input as Seq)[0] : input);
  if (scope.lambdas.has(name)) untranslatable(`$${name} (a function) used as a value`, node);
  const get = resolver(name, scope);
  return (_input, env) => {
    const v = get(env);
    if (v === BUILTIN) throw new NeedsInterpreter(`built-in $${name} used as a value`);
    return v;
  };
}

function compileBind(node: Node, scope: Scope): Ev {
  if (scope.inParallel) untranslatable('`:=` inside an array or object constructor', node);
  const name = (node.lhs as Node).value as string;
  const rhs = node.rhs!;
  if (rhs.type === 'lambda') {
    if (rhs.signature !== undefined) untranslatable('a function with a signature', rhs);
    if (scope.inLambda) untranslatable('a function defined inside a function', rhs);
    const params = rhs.arguments!.map((a) => a.value as string);
    const body = compile(rhs.body!, { ...scope, inLambda: true, inParallel: false });
    return (input, env) => {
      const fn = new CompiledLambda(params, body, input, env);
      env.bind(name, fn);
      return fn;
    };
  }
  if (scope.lambdas.has(name)) untranslatable(`$${name} bound to a function and to a value`, node);
  const value = compile(rhs, scope);
  return (input, env) => {
    const v = value(input, env);
    env.bind(name, v);
    return v;
  };
}

/** evaluateFilter(): a predicate `[...]` applied to a whole value. */
function compileFilter(pred: Node, scope: Scope): (input: unknown, env: Frame) => unknown {
  if (pred.type === 'number') {
    const n = pred.value as number;
    return (value) => {
      const input = Array.isArray(value) ? value : createSequence(value);
      let index = Math.floor(n);
      if (index < 0) index = input.length + index;
      const item = input[index];
      if (item === undefined) return createSequence();
      if (Array.isArray(item)) return item;
      return createSequence(item);
    };
  }
  const test = compile(pred, { ...scope, inParallel: false });
  return (value, env) => {
    const results = createSequence();
    const input = Array.isArray(value) ? value : createSequence(value);
    for (let index = 0; index < input.length; index++) {
      const item = input[index];
      let res = test(item, env);
      if (isNumeric(res)) res = [res];
      if (isArrayOfNumbers(res)) {
        for (const ires of res as number[]) {
          let ii = Math.floor(ires);
          if (ii < 0) ii = input.length + ii;
          if (ii === index) results.push(item);
        }
      } else if (toBoolean(res)) {
        results.push(item);
      }
    }
    return results;
  };
}

interface Step {
  ev: Ev;
  stages: ((r: unknown, env: Frame) => unknown)[];
  index?: string;
  consarray: boolean;
}

/** evaluatePath() with evaluateStep() and, for `#$i`, evaluateTupleStep(). */
function compilePath(node: Node, scope: Scope): Ev {
  if (node.group !== undefined) untranslatable('grouping', node);
  if (node.tuple) untranslatable('a path carrying its ancestry', node);
  const steps: Step[] = node.steps!.map((s) => {
    if (s.type === 'sort') untranslatable('the sort operator ^(...)', s);
    if (s.focus !== undefined || s.ancestor !== undefined || s.seekingParent !== undefined) untranslatable('@ and % in a path', s);
    if (s.tuple && s.index === undefined) untranslatable('a tuple stream', s);
    const stages = (s.stages ?? []).map((st) => {
      if (st.type !== 'filter') untranslatable(`a ${st.type} stage`, s);
      return compileFilter(st.expr!, scope);
    });
    return { ev: compile(s, { ...scope, inParallel: false }), stages, ...(s.index === undefined ? {} : { index: s.index }), consarray: s.consarray === true };
  });
  const firstIsVariable = node.steps![0]!.type === 'variable';
  const keepSingletonArray = node.keepSingletonArray === true;
  const tuple = steps.some((s) => s.index !== undefined);
  if (tuple && steps.findIndex((s) => s.index !== undefined) !== 0) untranslatable('#$i after the first step', node);
  if (tuple && (steps.some((s) => s.stages.length > 0) || steps[0]!.consarray)) untranslatable('a predicate or an array constructor in a path with #$i', node);

  // The common path: one field of one object.
  const only = steps[0]!;
  if (
    steps.length === 1 &&
    only.stages.length === 0 &&
    !tuple &&
    !keepSingletonArray &&
    !node.keepArray &&
    node.steps![0]!.type === 'name' &&
    !only.consarray &&
    !node.steps![0]!.keepArray &&
    !node.steps![0]!.predicate
  ) {
    const key = node.steps![0]!.value as string;
    const general = pathEv(steps, firstIsVariable, keepSingletonArray);
    return selfFinishing((input, env) => {
      if (input === null || typeof input !== 'object' || Array.isArray(input)) return finish(general(input, env), false);
      if (!Object.prototype.hasOwnProperty.call(input, key)) return undefined;
      const v = (input as Record<string, unknown>)[key];
      if (!Array.isArray(v) || !isSequence(v)) return v;
      return finish(general(input, env), false);
    });
  }
  return tuple ? tupleEv(steps, firstIsVariable, keepSingletonArray) : pathEv(steps, firstIsVariable, keepSingletonArray);
}

function pathEv(steps: Step[], firstIsVariable: boolean, keepSingletonArray: boolean): Ev {
  return (input, env) => {
    let inputSequence: unknown[] = Array.isArray(input) && !firstIsVariable ? input : createSequence(input);
    let resultSequence: Seq | undefined;
    for (let ii = 0; ii < steps.length; ii++) {
      const step = steps[ii]!;
      if (ii === 0 && step.consarray) resultSequence = step.ev(inputSequence, env) as Seq;
      else resultSequence = evaluateStep(step, inputSequence, env, ii === steps.length - 1);
      if (resultSequence === undefined || resultSequence.length === 0) break;
      inputSequence = resultSequence;
    }
    if (keepSingletonArray) {
      if (Array.isArray(resultSequence) && resultSequence.cons && !resultSequence.sequence) resultSequence = createSequence(resultSequence);
      (resultSequence as Seq).keepSingleton = true;
    }
    return resultSequence;
  };
}

function evaluateStep(step: Step, input: unknown[], env: Frame, lastStep: boolean): Seq {
  const result = createSequence();
  for (const item of input) {
    let res = step.ev(item, env);
    for (const stage of step.stages) res = stage(res, env);
    if (res !== undefined) result.push(res);
  }
  if (lastStep && result.length === 1 && Array.isArray(result[0]) && !isSequence(result[0])) return result[0] as Seq;
  const resultSequence = createSequence();
  for (const res of result) {
    if (!Array.isArray(res) || (res as Seq).cons) resultSequence.push(res);
    else for (const v of res) resultSequence.push(v);
  }
  return resultSequence;
}

type Tuple = Record<string, unknown>;

/** A path whose first step binds its position (`statusi#$i.{...}`): JSONata's tuple stream. */
function tupleEv(steps: Step[], firstIsVariable: boolean, keepSingletonArray: boolean): Ev {
  return (input, env) => {
    const inputSequence = Array.isArray(input) && !firstIsVariable ? input : createSequence(input);
    let tuples: Tuple[] | undefined;
    for (const step of steps) tuples = tupleStep(step, inputSequence, tuples, env);
    const out = createSequence();
    for (const t of tuples!) out.push(t['@']);
    if (keepSingletonArray) out.keepSingleton = true;
    return out;
  };
}

function tupleStep(step: Step, input: unknown[], bindings: Tuple[] | undefined, env: Frame): Tuple[] {
  const result: Tuple[] = [];
  const tuples = bindings ?? input.map((item) => ({ '@': item }) as Tuple);
  for (const t of tuples) {
    const frame = env.child();
    for (const k of Object.keys(t)) frame.bind(k, t[k]);
    let res = step.ev(t['@'], frame);
    if (res === undefined) continue;
    if (!Array.isArray(res)) res = [res];
    const list = res as Seq;
    if (list.tupleStream) throw new NeedsInterpreter('a nested tuple stream');
    for (let bb = 0; bb < list.length; bb++) {
      const tuple: Tuple = Object.assign(Object.create(null) as Tuple, t);
      tuple['@'] = list[bb];
      if (step.index !== undefined) tuple[step.index] = bb;
      result.push(tuple);
    }
  }
  return result;
}

function compileBinary(node: Node, scope: Scope): Ev {
  const op = node.value as string;
  const lhs = compile(node.lhs as Node, scope);
  const rhs = compile(node.rhs!, scope);
  const bool = (v: unknown) => toBoolean(v) ?? false;
  switch (op) {
    case 'and':
      return (input, env) => bool(lhs(input, env)) && bool(rhs(input, env));
    case 'or':
      return (input, env) => bool(lhs(input, env)) || bool(rhs(input, env));
    case '+':
    case '-':
    case '*':
    case '/':
    case '%':
      return (input, env) => numeric(lhs(input, env), rhs(input, env), op);
    case '=':
      return (input, env) => {
        const l = lhs(input, env);
        const r = rhs(input, env);
        return l === undefined || r === undefined ? false : isDeepEqual(l, r);
      };
    case '!=':
      return (input, env) => {
        const l = lhs(input, env);
        const r = rhs(input, env);
        return l === undefined || r === undefined ? false : !isDeepEqual(l, r);
      };
    case '<':
    case '<=':
    case '>':
    case '>=':
      return (input, env) => compare(lhs(input, env), rhs(input, env), op);
    case '&':
      return (input, env) => {
        const l = lhs(input, env);
        const r = rhs(input, env);
        return (l === undefined ? '' : toJsonataString(l)!) + (r === undefined ? '' : toJsonataString(r)!);
      };
    case 'in':
      return (input, env) => {
        const l = lhs(input, env);
        const r = rhs(input, env);
        if (l === undefined || r === undefined) return false;
        const list = Array.isArray(r) ? r : [r];
        return list.some((x) => x === l);
      };
    default:
      return untranslatable(`the ${op} operator`, node);
  }
}

function numeric(lhs: unknown, rhs: unknown, op: string): number | undefined {
  if (lhs !== undefined && !isNumeric(lhs)) throw new JsonataRuntimeError('T2001', lhs);
  if (rhs !== undefined && !isNumeric(rhs)) throw new JsonataRuntimeError('T2002', rhs);
  if (lhs === undefined || rhs === undefined) return undefined;
  const l = lhs as number;
  const r = rhs as number;
  return op === '+' ? l + r : op === '-' ? l - r : op === '*' ? l * r : op === '/' ? l / r : l % r;
}

function compare(lhs: unknown, rhs: unknown, op: string): boolean | undefined {
  const lt = typeof lhs;
  const rt = typeof rhs;
  const lc = lt === 'undefined' || lt === 'string' || lt === 'number';
  const rc = rt === 'undefined' || rt === 'string' || rt === 'number';
  if (!lc || !rc) throw new JsonataRuntimeError('T2010', lhs);
  if (lt === 'undefined' || rt === 'undefined') return undefined;
  if (lt !== rt) throw new JsonataRuntimeError('T2009', lhs);
  const l = lhs as string;
  const r = rhs as string;
  return op === '<' ? l < r : op === '<=' ? l <= r : op === '>' ? l > r : l >= r;
}

function compileUnary(node: Node, scope: Scope): Ev {
  switch (node.value) {
    case '-': {
      const e = compile(node.expression!, scope);
      return (input, env) => {
        const r = e(input, env);
        if (r === undefined) return undefined;
        if (isNumeric(r)) return -r;
        throw new JsonataRuntimeError('D1002', r);
      };
    }
    case '[': {
      const items = node.expressions!;
      const evs = items.map((i) => compile(i, { ...scope, inParallel: true }));
      const nested = items.map((i) => i.type === 'unary' && i.value === '[');
      const cons = node.consarray === true;
      return (input, env) => {
        const values = allOf(evs, input, env);
        // fn.append onto a plain array: an array's items are added, anything else as one item
        const result: unknown[] = [];
        for (let i = 0; i < values.length; i++) {
          const v = values[i];
          if (v === undefined) continue;
          if (nested[i] || !Array.isArray(v)) result.push(v);
          else for (let j = 0; j < v.length; j++) result.push(v[j]);
        }
        if (cons) Object.defineProperty(result, 'cons', { enumerable: false, configurable: false, value: true });
        return result;
      };
    }
    case '{':
      return compileObject(node, scope);
    default:
      return untranslatable(`the unary ${String(node.value)} operator`, node);
  }
}

/** evaluateGroupExpression() for an object constructor whose keys are string literals. */
function compileObject(node: Node, scope: Scope): Ev {
  const pairs = node.lhs as [Node, Node][];
  const keys = pairs.map(([k]) => (k.type === 'string' ? (k.value as string) : untranslatable('an object key that is not a string literal', k)));
  if (new Set(keys).size !== keys.length) untranslatable('an object constructor with the same key twice', node);
  if (keys.some((k) => k === '_jsonata_lambda' || k === '_jsonata_function')) untranslatable('a reserved key', node);
  const values = pairs.map(([, v]) => compile(v, { ...scope, inParallel: true }));
  const protoKey = keys.includes('__proto__');
  return (input, env) => {
    // Every key takes every item of the input: its value is evaluated once, on all of them.
    let context: unknown;
    if (!Array.isArray(input)) context = input;
    else if (input.length === 0) context = undefined;
    else {
      context = input[0];
      for (let i = 1; i < input.length; i++) context = append(context, input[i]);
    }
    // JSONata's objects have no prototype; a plain object behaves the same for keys other than __proto__ (and is faster).
    const result = (protoKey ? Object.create(null) : {}) as Record<string, unknown>;
    let error: unknown;
    let errors = 0;
    for (let i = 0; i < values.length; i++) {
      let v: unknown;
      try {
        v = values[i]!(context, env);
      } catch (e) {
        if (!isRejection(e)) throw e;
        errors++;
        error = e;
        continue;
      }
      if (v !== undefined) result[keys[i]!] = v;
    }
    if (errors > 1) throw new NeedsInterpreter(CONCURRENT);
    if (errors === 1) throw error;
    return result;
  };
}

function compileCall(node: Node, scope: Scope): Ev {
  return selfFinishing(compileCallWithContext(node, scope, true) as Ev);
}

/** A placeholder for $sort's comparator in its signature check. */
const COMPARATOR_PLACEHOLDER = (): undefined => undefined;

/** evaluateFunction() and apply(): `ctx` is the context an argument marked `-` takes. */
function compileCallWithContext(node: Node, scope: Scope, direct: boolean): (input: unknown, env: Frame, ctx?: unknown) => unknown {
  if (node.type !== 'function') untranslatable(`a tail call of ${node.type}`, node);
  const proc = node.procedure!;
  if (proc.type !== 'variable') untranslatable('a call of something other than $name', node);
  const name = proc.value as string;
  const argNodes = node.arguments!;
  if (argNodes.some((a) => a.type === 'operator')) untranslatable('a partial application', node);

  if (scope.lambdas.has(name)) {
    if (scope.inLambda) untranslatable(`a call of $${name} inside a function (it could recurse)`, node);
    const args = argNodes.map((a) => compile(a, scope));
    return (input, env, ctx) => {
      const fn = env.lookup(name);
      const values = args.map((a) => a(input, env));
      if (!(fn instanceof CompiledLambda)) throw new NeedsInterpreter(`$${name} is not a function here`);
      return finish(fn.call(values, direct ? input : ctx), false);
    };
  }
  if (isJsonataBuiltin(name) && !BUILTIN_NAMES.has(name)) untranslatable(`the built-in $${name}`, node);

  // Arguments: a regex (for $contains/$replace/$split) or a comparator (for $sort) are values of their own.
  let comparatorParams: string[] | undefined;
  let comparatorBody: Ev | undefined;
  const args: Ev[] = argNodes.map((a, i) => {
    if (a.type === 'regex') {
      if (!['contains', 'replace', 'split'].includes(name) || i !== 1) untranslatable(`a regular expression as argument ${i + 1} of $${name}`, a);
      // One matcher per regex literal: it keeps no state between calls (each call sets lastIndex first).
      const matcher = regexMatcher(a.value as RegExp);
      return () => matcher;
    }
    if (a.type === 'lambda' && !a.thunk) {
      if (name !== 'sort' || i !== 1) untranslatable(`a function as argument ${i + 1} of $${name}`, a);
      if (a.signature !== undefined) untranslatable('a function with a signature', a);
      if (scope.inLambda) untranslatable('a function defined inside a function', a);
      comparatorParams = a.arguments!.map((p) => p.value as string);
      comparatorBody = compile(a.body!, { ...scope, inLambda: true, inParallel: false });
      return () => COMPARATOR_PLACEHOLDER;
    }
    return compile(a, scope);
  });
  const isBuiltin = BUILTIN_NAMES.has(name);
  const callBuiltin = isBuiltin ? builtinCaller(name) : undefined;

  const get = resolver(name, scope);
  const n = args.length;
  return (input, env, context) => {
    // a direct call's context is its input; a tail call's, the caller's (apply()'s trampoline)
    const ctx = direct ? input : context;
    const fn = get(env);
    const values = new Array<unknown>(n);
    for (let i = 0; i < n; i++) values[i] = args[i]!(input, env);
    if (fn === BUILTIN) {
      if (!callBuiltin) throw new NeedsInterpreter(`the built-in $${name}`);
      if (comparatorBody) {
        const cmp = new CompiledLambda(comparatorParams!, comparatorBody, input, env);
        return finish(
          callBuiltin!(values, ctx, (a, b) => cmp.call([a, b], null)),
          false,
        );
      }
      return finish(callBuiltin!(values, ctx), false);
    }
    if (typeof fn === 'function') {
      // A native function of the bindings (functions.ts): called as JSONata calls a JavaScript function.
      if (comparatorBody || values.some((v) => typeof v === 'function')) throw new NeedsInterpreter(`a function passed to $${name}`);
      const r: unknown = (fn as (...a: unknown[]) => unknown).apply(ctx, values);
      if (r instanceof Promise) throw new NeedsInterpreter(`$${name} is asynchronous`);
      return finish(r, false);
    }
    throw new NeedsInterpreter(`$${name} is not a function here`);
  };
}
