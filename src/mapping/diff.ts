import { jsonText } from '../core/json-walk.ts';

/** Path-wise differences between two JSON values, for readable test failures. */
export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

/** Differences in document order; iterative, so values of any depth are compared (a sink's holdings, stored raw payloads). */
export function jsonDiff(expected: unknown, actual: unknown, path = ''): Difference[] {
  const out: Difference[] = [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  const stack: [unknown, unknown, string][] = [[expected, actual, path]];
  while (stack.length) {
    const [e, a, p] = stack.pop()!;
    if (Object.is(e, a)) continue;
    const next: [unknown, unknown, string][] = [];
    if (Array.isArray(e) && Array.isArray(a)) {
      for (let i = 0; i < Math.max(e.length, a.length); i++) next.push([e[i], a[i], `${p}/${i}`]);
    } else if (isObj(e) && isObj(a) && !Array.isArray(e) && !Array.isArray(a)) {
      const eo = e as Record<string, unknown>;
      const ao = a as Record<string, unknown>;
      for (const k of [...new Set([...Object.keys(eo), ...Object.keys(ao)])].sort()) next.push([eo[k], ao[k], `${p}/${esc(k)}`]);
    } else {
      out.push({ path: p || '/', expected: e, actual: a });
      continue;
    }
    // Pushed in reverse, so the first child is compared first.
    for (let i = next.length - 1; i >= 0; i--) stack.push(next[i]!);
  }
  return out;
}

export function formatDiff(diffs: Difference[]): string {
  const show = (v: unknown) => (v === undefined ? '(missing)' : jsonText(v));
  return diffs.map((d) => `    ${d.path}\n      expected: ${show(d.expected)}\n      actual:   ${show(d.actual)}`).join('\n');
}
