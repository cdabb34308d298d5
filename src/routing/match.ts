import type { ResolvedRoute } from '../config/types.ts';
import type { ChangeEvent } from '../core/types.ts';

/** Topic patterns (entity.op.institution) that bind a route's queue. */
export function routePatterns(route: ResolvedRoute): string[] {
  const entities = route.match.entities ?? ['*'];
  const ops = route.match.ops ?? ['*'];
  const insts = route.match.institutions ?? ['#'];
  const out: string[] = [];
  for (const e of entities) for (const o of ops) for (const i of insts) out.push(`${e}.${o}.${i}`);
  return out;
}

export function routeMatches(route: ResolvedRoute, e: Pick<ChangeEvent, 'entity' | 'op' | 'institution'>): boolean {
  const m = route.match;
  return (!m.entities || m.entities.includes(e.entity)) && (!m.ops || m.ops.includes(e.op)) && (!m.institutions || m.institutions.includes(e.institution));
}
