/**
 * An upper bound of the evaluation depth JSONata's guard (`limits.mappingMaxDepth`, error D1011)
 * counts for an expression the compiler translated: every nested evaluate() is one step; the branches
 * JSONata evaluates concurrently (array items, object values) are added up, as they may all be under
 * way at once; a call of a user function adds its body. A compiled mapping has no recursion, so the
 * bound is finite; when it exceeds the limit the interpreter runs the mapping, so that a record the
 * guard would stop is stopped the same way.
 */
import type { Node } from './ast.ts';

export function depthBound(root: Node): number {
  const bodies = new Map<string, number>();
  // User functions first (their bodies call no user function: see translate.ts).
  visitBinds(root, (name, body) => bodies.set(name, Math.max(bodies.get(name) ?? 0, bound(body, new Map()))));
  return bound(root, bodies);
}

function visitBinds(node: unknown, fn: (name: string, body: Node) => void): void {
  if (node === null || typeof node !== 'object') return;
  if (Array.isArray(node)) {
    for (const n of node) visitBinds(n, fn);
    return;
  }
  const n = node as Node;
  if (n.type === 'bind' && (n.rhs as Node).type === 'lambda') fn((n.lhs as Node).value as string, (n.rhs as Node).body!);
  for (const [k, v] of Object.entries(n)) if (k !== 'value') visitBinds(v, fn);
}

const max = (xs: number[]) => xs.reduce((a, b) => Math.max(a, b), 0);
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

function bound(n: Node, bodies: ReadonlyMap<string, number>): number {
  const b = (x: Node | undefined) => (x ? bound(x, bodies) : 0);
  const preds = (n.predicate ?? []).map((p) => b(p.expr));
  let inner: number[];
  switch (n.type) {
    case 'path':
      inner = n.steps!.flatMap((s) => [b(s), ...(s.stages ?? []).map((st) => b(st.expr))]);
      break;
    case 'binary':
      inner = [b(n.lhs as Node), b(n.rhs)];
      break;
    case 'condition':
      inner = [b(n.condition), b(n.then), b(n.else)];
      break;
    case 'block':
      inner = n.expressions!.map(b);
      break;
    case 'bind':
      inner = [b(n.rhs)];
      break;
    case 'lambda':
      // a tail call: made by the caller's trampoline, one level below the call
      inner = n.thunk ? [b(n.body)] : [];
      break;
    case 'unary':
      if (n.value === '[') inner = [sum(n.expressions!.map(b))];
      else if (n.value === '{') inner = [sum((n.lhs as [Node, Node][]).map(([k, v]) => b(k) + b(v)))];
      else inner = [b(n.expression)];
      break;
    case 'function': {
      const name = n.procedure!.value as string;
      const args = n.arguments!.map((a) => (a.type === 'lambda' && !a.thunk ? 1 + b(a.body) : b(a)));
      inner = [b(n.procedure), ...args, 1 + (bodies.get(name) ?? 0)];
      break;
    }
    default:
      inner = [];
  }
  return 1 + max([...inner, ...preds]);
}
