import { readFileSync } from 'node:fs';
import jsonata from 'jsonata';
import type { MappingEngine } from '../../src/mapping/engine.ts';

/**
 * Prototype of a fix for the per-record cost of JSONata: the helper functions and lookup tables that
 * mappings/lais/attainment.jsonata defines at the top of its block are built again on every record;
 * here they are plain functions, bound once, and only the field mapping stays in JSONata.
 * For the benchmark only; mapping.ts checks that it gives the same records before timing it.
 */

const DATE = /^\d{2}\.\d{2}\.\d{4}$/;
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));

class PreludeError extends Error {}

const LABELS: Record<string, string> = {
  '10': 'izcili',
  '9': 'teicami',
  '8': 'ļoti labi',
  '7': 'labi',
  '6': 'gandrīz labi',
  '5': 'viduvēji',
  '4': 'gandrīz viduvēji',
  '3': 'neapmierinoši',
  '2': 'neapmierinoši',
  '1': 'neapmierinoši',
};

export const prelude = {
  present: (v: unknown) => v !== undefined && v !== null && v !== '',
  date: (v: unknown, field: string) => {
    if (typeof v === 'string' && DATE.test(v)) {
      const d = Number(v.slice(0, 2));
      const m = Number(v.slice(3, 5));
      const y = Number(v.slice(6, 10));
      const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
      const max = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
      if (m >= 1 && m <= 12 && d >= 1 && d <= max) return `${v.slice(6, 10)}-${v.slice(3, 5)}-${v.slice(0, 2)}`;
    }
    throw new PreludeError(`${field}: '${str(v)}' is not a valid date dd.mm.yyyy`);
  },
  num: (v: unknown, field: string) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^\d+([.,]\d+)?$/.test(v.trim())) return Number(v.trim().replace(',', '.'));
    throw new PreludeError(`${field}: '${str(v)}' is not a number`);
  },
  code: (table: Record<string, string>, v: unknown, field: string) => {
    const r = typeof v === 'string' ? table[v] : undefined;
    if (r !== undefined) return r;
    throw new PreludeError(`${field}: unknown value '${str(v)}' (known: ${Object.keys(table).join(', ')})`);
  },
  grade: (v: unknown) => {
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (s === 'ieskaitīts') return { value: 'passed', scheme: 'PASS_FAIL', label: 'ieskaitīts' };
    if (s === 'neieskaitīts') return { value: 'failed', scheme: 'PASS_FAIL', label: 'neieskaitīts' };
    const label = s === undefined ? undefined : LABELS[s];
    if (label) return { value: s, scheme: 'LV_10', label };
    throw new PreludeError(`atzime: '${str(v)}' is neither a grade of the Latvian 10-point scale (1..10) nor ieskaitīts / neieskaitīts`);
  },
  types: { eksāmens: 'exam', pārnests: 'transfer', atzīts: 'recognised' },
};

/**
 * The field mapping of attainment.jsonata (its block from `$assessed :=` on) compiled alone, with the
 * prelude bound; undefined when the file no longer has that shape.
 */
export function attainmentBody(engine: MappingEngine): ((input: unknown, institution: string) => Promise<unknown>) | undefined {
  const src = readFileSync(engine.file('lais', 'attainment'), 'utf8');
  const at = src.indexOf('$assessed :=');
  if (at < 0) return undefined;
  const expr = jsonata(`(${src.slice(at)}`);
  const bindings = new Map<string, Record<string, unknown>>();
  return (input, institution) => {
    let b = bindings.get(institution);
    if (!b) bindings.set(institution, (b = { ...prelude, institution }));
    return expr.evaluate(input, b);
  };
}
