import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { MappingEngine } from '../../src/mapping/engine.ts';
import { ADMIN_TOKEN, baseConfig, makeHub, type Backend, type TestHub } from '../helpers/hub.ts';

/** A webhook receiver that answers 500 while `failing` is set. */
export async function receiver() {
  const state = { failing: true, received: 0 };
  const server: Server = createServer((req, res) => {
    req.resume();
    req.on('end', () => {
      if (state.failing) return void res.writeHead(500).end('receiver is down for maintenance');
      state.received++;
      res.writeHead(204).end();
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as { port: number }).port;
  return { state, url: `http://127.0.0.1:${port}/hook`, close: () => new Promise<void>((r) => server.close(() => r())) };
}

export const BUGGY_PERSON = '$ ~> | $ | {}, ["familyName"] |';

export interface AdminFixture {
  t: TestHub;
  mappingsDir: string;
  rx: Awaited<ReturnType<typeof receiver>>;
  /** Writes canonical/person.jsonata: the buggy one drops the family name. */
  setPersonMapping(text: string): void;
  stop(): Promise<void>;
}

/**
 * A hub with a temporary copy of the mappings (the person mapping broken), a file route for
 * everything and a webhook route for courses whose receiver is down (one attempt: dead at once).
 */
export async function adminFixture(backend: Backend = 'embedded'): Promise<AdminFixture> {
  const mappingsDir = mkdtempSync(join(tmpdir(), 'hub-admin-mappings-'));
  cpSync(new MappingEngine().dir, mappingsDir, { recursive: true });
  const setPersonMapping = (text: string) => writeFileSync(join(mappingsDir, 'canonical', 'person.jsonata'), text);
  setPersonMapping(BUGGY_PERSON);
  const rx = await receiver();
  const t = await makeHub({
    backend,
    mappings: new MappingEngine(mappingsDir),
    env: { HOOK_SECRET: 'hook-secret' },
    config: baseConfig({
      sinks: [
        { id: 'out', type: 'file', options: { path: 'out/all.jsonl' } },
        { id: 'hook', type: 'webhook', options: { url: rx.url, secretEnv: 'HOOK_SECRET', timeoutMs: 2000 } },
      ],
      routes: [
        { id: 'archive', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } },
        { id: 'courses-hook', sink: 'hook', match: { entities: ['course'] }, legalBasis: 'public-task', purpose: 'test', retry: { maxAttempts: 1, initialDelayMs: 20 } },
      ],
    }),
  });
  return {
    t,
    mappingsDir,
    rx,
    setPersonMapping,
    stop: async () => {
      await t.stop();
      await rx.close();
      rmSync(mappingsDir, { recursive: true, force: true });
    },
  };
}

/** A canonical course of rtu.lv (the example of the canonical golden test). */
export function canonicalCourse(code: string) {
  const golden = JSON.parse(readFileSync(join(new MappingEngine().dir, 'canonical', 'course.test.json'), 'utf8')) as { cases: { input: Record<string, unknown> }[] };
  const { id: _id, version: _v, ...course } = golden.cases[0]!.input;
  return { ...course, institution: 'rtu.lv', sourceId: `C-${code}`, code, identifiers: [{ scheme: 'local-code', value: code }] };
}

/** Ingests through the API as the admin token; returns the first message id. */
export async function ingest(t: TestHub, entity: string, body: unknown, expect: number): Promise<string> {
  const res = await request(t.app)
    .post(`/api/v1/ingest/rtu-push/${entity}`)
    .set('authorization', `Bearer ${ADMIN_TOKEN}`)
    .send(body as object)
    .expect(expect);
  return (res.body as { messages: { messageId: string }[] }).messages[0]!.messageId;
}
