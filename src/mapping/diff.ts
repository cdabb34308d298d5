/** Path-wise differences between two JSON values, for readable test failures. */
export interface Difference {
  path: string;
  expected: unknown;
  actual: unknown;
}

const esc = (k: string) => k.replace(/~/g, '~0').replace(/\//g, '~1');

export function jsonDiff(expected: unknown, actual: unknown, path = ''): Difference[] {
  if (Object.is(expected, actual)) return [];
  const isObj = (v: unknown) => v !== null && typeof v === 'object';
  if (Array.isArray(expected) && Array.isArray(actual)) {
    const out: Difference[] = [];
    for (let i = 0; i < Math.max(expected.length, actual.length); i++) out.push(...jsonDiff(expected[i], actual[i], `${path}/${i}`));
    return out;
  }
  if (isObj(expected) && isObj(actual) && !Array.isArray(expected) && !Array.isArray(actual)) {
    const e = expected as Record<string, unknown>;
    const a = actual as Record<string, unknown>;
    const keys = [...new Set([...Object.keys(e), ...Object.keys(a)])].sort();
    return keys.flatMap((k) => jsonDiff(e[k], a[k], `${path}/${esc(k)}`));
  }
  return [{ path: path || '/', expected, actual }];
}

export function formatDiff(diffs: Difference[]): string {
  const show = (v: unknown) => (v === undefined ? '(missing)' : JSON.stringify(v));
  return diffs.map((d) => `    ${d.path}\n      expected: ${show(d.expected)}\n      actual:   ${show(d.actual)}`).join('\n');
}
