import { rtuCourses, rtuOfferings, rtuProgramme, rtuTerms } from './catalogue-seed.ts';
import { lvDate, person, Rng, type GeneratedPerson } from './generator.ts';

/** A LAIS-format student (modelled LAIS REST/JSON; see mappings/lais/). */
export function laisStudent(p: GeneratedPerson, changedAt: string) {
  return {
    studenta_id: p.studentNumber,
    personas_kods: p.personalCode,
    vards: p.givenNames,
    uzvards: p.familyName,
    dzimsanas_datums: lvDate(p.birthDate),
    dzimums: p.gender === 'male' ? 'V' : 'S',
    epasts: p.email,
    pilsoniba: 'LV',
    mainits: changedAt,
  };
}

export function laisStudyRight(p: GeneratedPerson, n: number, changedAt: string) {
  return {
    id: `ST-${p.studentNumber}`,
    studenta_id: p.studentNumber,
    programmas_kods: 'LU-DP-42',
    lik_kods: '43481',
    imatrikulacijas_rikojums: { nr: `1-2/${1000 + n}`, datums: '01.09.2025' },
    statusi: [{ statuss: 'studē', no: '01.09.2025', lidz: null }],
    finansejums: n % 3 === 0 ? 'maksas' : 'budžets',
    studiju_forma: 'pilna laika',
    mainits: changedAt,
  };
}

/** A canonical person, as a system that speaks the canonical model pushes it. */
export function canonicalPerson(p: GeneratedPerson, institution: string, changedAt: string) {
  return {
    institution,
    sourceId: p.studentNumber,
    sourceUpdatedAt: changedAt,
    identifiers: [
      { scheme: 'student-number', value: p.studentNumber },
      { scheme: 'lv-personas-kods', value: p.personalCode },
    ],
    givenNames: p.givenNames,
    familyName: p.familyName,
    birthDate: p.birthDate,
  };
}

/**
 * Sends a few records every few seconds through the public ingest API, as a system that pushes
 * canonical records would (rtu.lv), so a newcomer sees data flow. lu.lv's records come from the LAIS
 * simulator, read by the lais source adapter (src/cli/commands/demo.ts).
 */
export function startFeeder(baseUrl: string, token: string, report: (line: string) => void, intervalMs = 4000): { stop(): void } {
  const rng = new Rng(2026);
  let n = 0;
  const post = async (source: string, entity: string, body: unknown) => {
    const res = await fetch(`${baseUrl}/api/v1/ingest/${source}/${entity}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    const json = (await res.json()) as { messages?: { status: string }[] };
    return { status: res.status, statuses: (json.messages ?? []).map((m) => m.status) };
  };
  const tick = async () => {
    const changedAt = new Date().toISOString();
    const rtu = [0, 1].map(() => person(rng, ++n, 'RTU'));
    const c = await post(
      'rtu-push',
      'person',
      rtu.map((p) => canonicalPerson(p, 'rtu.lv', changedAt)),
    );
    report(`demo feed: rtu.lv persons HTTP ${c.status} [${c.statuses.join(', ')}]`);
  };
  let stopped = false;
  const loop = async () => {
    while (!stopped) {
      await tick().catch((e: unknown) => report(`demo feed failed: ${(e as Error).message}`));
      await new Promise((r) => setTimeout(r, intervalMs));
    }
  };
  void loop();
  return {
    stop: () => {
      stopped = true;
    },
  };
}

/**
 * Sends rtu.lv's catalogue once through the ingest API (terms, courses, the programme, offerings, in
 * reference order), so that /catalogue and /ooapi/v5 show a course of every demo institution: lu.lv's
 * and rsu.lv's come from the LAIS and ISIS simulators. Returns one line for the log.
 */
export async function pushRtuCatalogue(baseUrl: string, token: string, now = new Date()): Promise<string> {
  const year = now.getUTCMonth() >= 7 ? now.getUTCFullYear() : now.getUTCFullYear() - 1;
  const counts: string[] = [];
  for (const [entity, body] of [
    ['academic-term', rtuTerms(year)],
    ['course', rtuCourses()],
    ['programme', [rtuProgramme()]],
    ['offering', rtuOfferings(year)],
  ] as const) {
    const res = await fetch(`${baseUrl}/api/v1/ingest/rtu-push/${entity}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', authorization: `Bearer ${token}` },
      body: JSON.stringify(body),
    });
    await res.body?.cancel();
    counts.push(`${body.length} ${entity} (HTTP ${res.status})`);
  }
  return `demo catalogue: rtu.lv sent ${counts.join(', ')}`;
}
