/**
 * The LAIS person and attainment mappings (mappings/lais/person.jsonata, attainment.jsonata) written
 * by hand in TypeScript, for the benchmark only: to compare what JSONata costs per record against
 * plain code that produces the same records (the benchmark checks that both agree first).
 */

type Obj = Record<string, unknown>;

class HandMappingError extends Error {}

const present = (v: unknown): boolean => v !== undefined && v !== null && v !== '';
const str = (v: unknown): string => (typeof v === 'string' ? v : JSON.stringify(v));
const DATE = /^\d{2}\.\d{2}\.\d{4}$/;

/** dd.mm.yyyy → yyyy-mm-dd, or undefined when it is not a real date in that form. */
function isoDate(v: unknown): string | undefined {
  if (typeof v !== 'string' || !DATE.test(v)) return undefined;
  const d = Number(v.slice(0, 2));
  const m = Number(v.slice(3, 5));
  const y = Number(v.slice(6, 10));
  const leap = (y % 4 === 0 && y % 100 !== 0) || y % 400 === 0;
  const max = m === 2 ? (leap ? 29 : 28) : [4, 6, 9, 11].includes(m) ? 30 : 31;
  return m >= 1 && m <= 12 && d >= 1 && d <= max ? `${v.slice(6, 10)}-${v.slice(3, 5)}-${v.slice(0, 2)}` : undefined;
}

/** Drops undefined values, as JSONata leaves them out of objects and arrays. */
function clean<T extends Obj>(o: T): T {
  for (const k of Object.keys(o)) if (o[k] === undefined) delete o[k];
  return o;
}

export function laisPerson(r: Obj, institution: string): Obj {
  const date = (v: unknown, field: string) => {
    const d = isoDate(v);
    if (d === undefined) throw new HandMappingError(`${field}: not a valid date dd.mm.yyyy`);
    return d;
  };
  const id = present(r.studenta_id) ? str(r.studenta_id).trim() : undefined;
  const doc = r.arzemju_dokuments as Obj | undefined;
  const identifiers: Obj[] = [];
  if (id) identifiers.push({ scheme: 'student-number', value: id });
  if (present(r.personas_kods)) {
    const c = str(r.personas_kods).trim();
    identifiers.push({ scheme: 'lv-personas-kods', value: /^\d{11}$/.test(c) ? `${c.slice(0, 6)}-${c.slice(6)}` : c });
  }
  if (present(doc)) identifiers.push(clean({ scheme: 'foreign-id', value: doc!.numurs, country: present(doc!.valsts) ? str(doc!.valsts).toUpperCase() : undefined }));
  if (id) identifiers.push({ scheme: 'esi', value: `urn:schac:personalUniqueCode:int:esi:${institution}:${id}` });
  let gender: string | undefined;
  if (present(r.dzimums)) {
    if (r.dzimums === 'V') gender = 'male';
    else if (r.dzimums === 'S') gender = 'female';
    else throw new HandMappingError(`dzimums: unknown value '${str(r.dzimums)}' (LAIS writes V or S)`);
  }
  return clean({
    sourceId: id,
    sourceUpdatedAt: r.mainits,
    identifiers,
    givenNames: present(r.vards) ? r.vards : undefined,
    familyName: present(r.uzvards) ? r.uzvards : undefined,
    birthDate: present(r.dzimsanas_datums) ? date(r.dzimsanas_datums, 'dzimsanas_datums') : undefined,
    gender,
    citizenship: present(r.pilsoniba) ? str(r.pilsoniba).toUpperCase() : undefined,
    email: present(r.epasts) ? str(r.epasts).trim() : undefined,
  });
}

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
const TYPES: Record<string, string> = { eksāmens: 'exam', pārnests: 'transfer', atzīts: 'recognised' };

export function laisAttainment(r: Obj): Obj {
  const date = (v: unknown, field: string) => {
    const d = isoDate(v);
    if (d === undefined) throw new HandMappingError(`${field}: '${str(v)}' is not a valid date dd.mm.yyyy`);
    return d;
  };
  const num = (v: unknown, field: string) => {
    if (typeof v === 'number') return v;
    if (typeof v === 'string' && /^\d+([.,]\d+)?$/.test(v.trim())) return Number(v.trim().replace(',', '.'));
    throw new HandMappingError(`${field}: '${str(v)}' is not a number`);
  };
  const grade = (v: unknown) => {
    const s = typeof v === 'number' ? String(v) : typeof v === 'string' ? v.trim().toLowerCase() : undefined;
    if (s === 'ieskaitīts') return { value: 'passed', scheme: 'PASS_FAIL', label: 'ieskaitīts' };
    if (s === 'neieskaitīts') return { value: 'failed', scheme: 'PASS_FAIL', label: 'neieskaitīts' };
    const label = s === undefined ? undefined : LABELS[s];
    if (label) return { value: s, scheme: 'LV_10', label };
    throw new HandMappingError(`atzime: '${str(v)}' is neither a grade of the Latvian 10-point scale (1..10) nor ieskaitīts / neieskaitīts`);
  };
  const assessed = present(r.datums) ? date(r.datums, 'datums') : undefined;
  const rec = r.atzisana as Obj | undefined;
  const g = grade(r.atzime);
  const credits = present(r.kp) ? { value: num(r.kp, 'kp'), scheme: assessed !== undefined && assessed >= '2022-10-11' ? 'ECTS' : 'LV_KP_LEGACY' } : undefined;
  const type = typeof r.veids === 'string' ? TYPES[r.veids] : undefined;
  if (type === undefined) throw new HandMappingError(`veids: unknown value '${str(r.veids)}' (known: ${Object.keys(TYPES).join(', ')})`);
  const lemums = rec?.lemums as Obj | undefined;
  return clean({
    sourceId: present(r.id) ? str(r.id) : undefined,
    sourceUpdatedAt: r.mainits,
    identifiers: [],
    person: present(r.studenta_id) ? { sourceId: str(r.studenta_id) } : undefined,
    studyRight: present(r.studiju_tiesibu_id) ? { sourceId: str(r.studiju_tiesibu_id) } : undefined,
    course: present(r.kursa_kods) ? { sourceId: str(r.kursa_kods) } : undefined,
    grade: g,
    credits,
    date: assessed,
    type,
    recognised: present(rec)
      ? clean({
          fromInstitution: present(rec!.iestade) ? str(rec!.iestade).trim().toLowerCase() : undefined,
          originalTitle: present(rec!.kursa_nosaukums) ? rec!.kursa_nosaukums : undefined,
          decision: present(lemums) ? { orderNumber: lemums!.nr, date: date(lemums!.datums, 'atzisana.lemums.datums') } : undefined,
          note: present(rec!.piezime) ? rec!.piezime : undefined,
        })
      : undefined,
  });
}
