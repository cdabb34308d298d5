import request from 'supertest';
import type { Express } from 'express';
import { rtuCourses, rtuOfferings, rtuProgramme, rtuTerms } from '../../src/demo/catalogue-seed.ts';
import { auth } from '../helpers/hub.ts';

/** Pushes rtu.lv's demo catalogue (and anything extra) through the ingest API, in reference order. */
export async function seedCatalogue(app: Express, extraCourses: Record<string, unknown>[] = []): Promise<void> {
  const send = async (entity: string, body: unknown[]) => {
    const res = await request(app).post(`/api/v1/ingest/rtu-push/${entity}`).set(auth).send(body);
    const statuses = (res.body as { messages?: { status: string; problem?: unknown }[] }).messages ?? [];
    const bad = statuses.filter((m) => m.status === 'rejected');
    if (res.status !== 202 || bad.length) throw new Error(`ingest ${entity}: HTTP ${res.status} ${JSON.stringify(res.body).slice(0, 800)}`);
  };
  await send('academic-term', rtuTerms(2026));
  await send('course', [...rtuCourses(), ...extraCourses]);
  await send('programme', [rtuProgramme()]);
  await send('offering', rtuOfferings(2026));
}
