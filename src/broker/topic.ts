/**
 * AMQP topic matching: words separated by '.', '*' matches exactly one word, '#' zero or more.
 */
export function topicMatches(pattern: string, key: string): boolean {
  return match(pattern.split('.'), 0, key.split('.'), 0);
}

function match(p: string[], i: number, k: string[], j: number): boolean {
  if (i === p.length) return j === k.length;
  const w = p[i];
  if (w === '#') {
    for (let s = j; s <= k.length; s++) if (match(p, i + 1, k, s)) return true;
    return false;
  }
  if (j === k.length) return false;
  if (w === '*' || w === k[j]) return match(p, i + 1, k, j + 1);
  return false;
}
