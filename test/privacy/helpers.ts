import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import type { HubConfig } from '../../src/config/types.ts';
import { makeOldPersonalCode } from '../../src/core/personal-code.ts';
import type { ChangeEvent } from '../../src/core/types.ts';
import type { SqlDb } from '../../src/store/sql.ts';
import { auth, eventually, type TestHub } from '../helpers/hub.ts';

/** A valid old-form personal code for a birth date and serial. */
export function code(year: number, month: number, day: number, serial: number): string {
  for (let s = serial; s < serial + 20; s++) {
    const c = makeOldPersonalCode(new Date(Date.UTC(year, month - 1, day)), s);
    if (c) return c;
  }
  throw new Error('no valid code');
}

export const PURPOSE = 'employer-verification';
export const RECIPIENT = 'cv-verify-lv';

/** Two institutions pushing canonical records; an archive for everything and a consent route for awards. */
export function privacyConfig(extra: Partial<HubConfig> = {}): HubConfig {
  return {
    institutions: [
      { id: 'lu.lv', name: 'Latvijas Universitāte' },
      { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
    ],
    sources: [
      { id: 'rtu-push', institution: 'rtu.lv', system: 'rtu-sis', mappingSet: 'canonical' },
      { id: 'lu-push', institution: 'lu.lv', system: 'lu-sis', mappingSet: 'canonical' },
    ],
    sinks: [
      { id: 'archive', type: 'file', options: { path: 'out/archive.jsonl' } },
      { id: 'employer', type: 'file', options: { path: 'out/employer.jsonl' } },
    ],
    routes: [
      { id: 'archive', sink: 'archive', match: {}, legalBasis: 'public-task', purpose: 'Institutions keep a copy of every change', retry: { maxAttempts: 3, initialDelayMs: 20 } },
      {
        id: 'employer',
        sink: 'employer',
        match: { entities: ['award'] },
        legalBasis: 'consent',
        purpose: PURPOSE,
        recipient: RECIPIENT,
        holdWindow: 'P7D',
        fields: ['person', 'title', 'awardedAt', 'likCode'],
        retry: { maxAttempts: 3, initialDelayMs: 20 },
      },
    ],
    ...extra,
  };
}

export function person(institution: string, sourceId: string, personalCode: string | undefined, extra: Record<string, unknown> = {}) {
  return {
    institution,
    sourceId,
    identifiers: [...(personalCode ? [{ scheme: 'lv-personas-kods', value: personalCode }] : []), { scheme: 'student-number', value: sourceId }],
    givenNames: 'Dzintra',
    familyName: 'Zvaigzne',
    ...extra,
  };
}

export function award(institution: string, sourceId: string, personSourceId: string, extra: Record<string, unknown> = {}) {
  return {
    institution,
    sourceId,
    identifiers: [],
    person: { sourceId: personSourceId },
    studyRight: { sourceId: `SR-${personSourceId}` },
    title: [{ lang: 'en', text: 'Bachelor of Engineering' }],
    diplomaNumber: `D ${sourceId}`,
    likCode: '43481001',
    eqfLevel: 6,
    awardedAt: '2024-06-20',
    ...extra,
  };
}

export function attainment(institution: string, sourceId: string, personSourceId: string, extra: Record<string, unknown> = {}) {
  return {
    institution,
    sourceId,
    identifiers: [],
    person: { sourceId: personSourceId },
    course: { sourceId: 'C-1' },
    grade: { value: '9', scheme: 'LV_10', label: 'teicami' },
    credits: { value: 6, scheme: 'ECTS' },
    date: '2024-01-20',
    type: 'exam',
    ...extra,
  };
}

export function consent(institution: string, sourceId: string, personSourceId: string, status: 'given' | 'withdrawn', extra: Record<string, unknown> = {}) {
  return {
    institution,
    sourceId,
    identifiers: [],
    person: { sourceId: personSourceId },
    purpose: PURPOSE,
    recipient: RECIPIENT,
    status,
    grantedAt: '2024-01-01T10:00:00Z',
    ...(status === 'withdrawn' ? { withdrawnAt: new Date().toISOString() } : {}),
    ...extra,
  };
}

export interface Ingested {
  messageId: string;
  status: string;
  recordId: string;
  version: number;
}

export async function ingest(t: TestHub, source: string, entity: string, body: unknown, expectStatus = 'committed'): Promise<Ingested> {
  const res = await request(t.app)
    .post(`/api/v1/ingest/${source}/${entity}`)
    .set(auth)
    .send(body as object);
  assert.equal(res.status, expectStatus === 'rejected' ? 422 : 202, JSON.stringify(res.body));
  const m = res.body.messages[0] as Ingested;
  assert.equal(m.status, expectStatus, JSON.stringify(res.body));
  return m;
}

export async function eventOf(t: TestHub, messageId: string): Promise<ChangeEvent> {
  const m = await t.hub.store.getMessage(messageId);
  assert.ok(m?.eventId, 'the message has an event');
  return (await t.hub.store.getEvent(m.eventId))!;
}

/** Waits until the delivery of a message on a route has one of the statuses. */
export async function deliveryStatus(t: TestHub, messageId: string, routeId: string, statuses: string[], timeoutMs = 10_000): Promise<string> {
  return eventually(
    async () => {
      const d = (await t.hub.store.listDeliveries(messageId)).find((x) => x.routeId === routeId);
      return d && statuses.includes(d.status) ? d.status : undefined;
    },
    timeoutMs,
    `delivery of ${messageId} on ${routeId} to be ${statuses.join('|')}`,
  );
}

/** Change events a file sink wrote. */
export function sinkLines(t: TestHub, file: string): ChangeEvent[] {
  const f = join(t.dir, 'out', file);
  return existsSync(f)
    ? readFileSync(f, 'utf8')
        .trim()
        .split('\n')
        .filter(Boolean)
        .map((l) => JSON.parse(l) as ChangeEvent)
    : [];
}

function q(name: string): string {
  return `"${name.replace(/"/g, '""')}"`;
}

/**
 * Where a text occurs in the store: every column of every table (SQLite: sqlite_master;
 * PostgreSQL: information_schema of the current schema), each cast to text. Independent of the code
 * under test on purpose.
 */
export async function findEverywhere(sql: SqlDb, needle: string): Promise<string[]> {
  const cols: [string, string][] = [];
  if (sql.dialect === 'sqlite') {
    for (const t of await sql.query("SELECT name FROM sqlite_master WHERE type = 'table'")) {
      for (const c of await sql.query(`PRAGMA table_info(${q(String(t.name))})`)) cols.push([String(t.name), String(c.name)]);
    }
  } else {
    for (const r of await sql.query('SELECT table_name, column_name FROM information_schema.columns WHERE table_schema = current_schema()')) cols.push([String(r.table_name), String(r.column_name)]);
  }
  assert.ok(cols.length > 30, `only ${cols.length} columns found`);
  const hits: string[] = [];
  for (const [table, column] of cols) {
    const [r] = await sql.query(`SELECT COUNT(*) AS n FROM ${q(table)} WHERE CAST(${q(column)} AS TEXT) LIKE ?`, [`%${needle}%`]);
    if (Number(r?.n ?? 0) > 0) hits.push(`${table}.${column}`);
  }
  return hits;
}
