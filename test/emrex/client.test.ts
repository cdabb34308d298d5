import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import request from 'supertest';
import type { HubConfig } from '../../src/config/types.ts';
import { RETURN_BODY_BYTES } from '../../src/emrex/client/return-route.ts';
import { createDevSealKey, type SealKey } from '../../src/emrex/keys.ts';
import { sealElmo } from '../../src/emrex/sign.ts';
import { RecordReader } from '../../src/store/records.ts';
import { listen, TestRegistry } from '../ewp/helpers/ewp.ts';
import { auth, backends, makeHub, type TestHub } from '../helpers/hub.ts';
import { catalogueOf, ForeignContactPoint, formOf, osloElmo, packElmo } from './helpers/foreign-contact-point.ts';

/**
 * Results coming in (issue 19, item 4): the hub as the EMREX client of lu.lv. A foreign contact point on loopback
 * (listed in a registry catalogue on loopback, or only in an EMREG list) seals an ELMO document with its own key
 * and sends the learner's browser back with it; the test plays the browser. Every refusal is kept for the admin.
 */
const LU = 'lu.lv';
const PERSON = { institution: LU, sourceId: 'P-EMREX-1', identifiers: [], givenNames: 'Jānis', familyName: 'Bērziņš', birthDate: '2000-03-14' };
/** The learner as the foreign contact point names him. */
const JANIS = { givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-03-14' };

for (const backend of backends()) {
  describe(`EMREX client: results of a student from a foreign contact point (${backend})`, function () {
    this.timeout(120_000);
    let registry: TestRegistry;
    let norway: ForeignContactPoint;
    let sweden: ForeignContactPoint;
    let t: TestHub;
    let hubUrl: string;
    let closeHub: () => Promise<void>;
    let personId: string;
    let strangerKey: SealKey;

    /** Starts a session as the admin API does, and plays the learner's browser through the contact point back to the hub. */
    const roundTrip = async (o: { contactPoint?: string; country?: string; change?: (f: Record<string, string>) => void; accept?: string } = {}) => {
      const started = await request(t.app)
        .post('/api/v1/emrex/sessions')
        .set(auth)
        .send({ institution: LU, person: personId, ...(o.country ? { country: o.country } : { contactPoint: o.contactPoint ?? norway.url }) })
        .expect(201);
      const { action, fields } = started.body.form as { action: string; fields: Record<string, string> };
      const page = await fetch(action, { method: 'POST', body: new URLSearchParams(fields) }).then((r) => r.text());
      const back = formOf(page);
      o.change?.(back.fields);
      const res = await fetch(back.action, { method: 'POST', body: new URLSearchParams(back.fields), headers: { accept: o.accept ?? 'application/json', 'accept-language': 'en' } });
      const text = await res.text();
      const body = res.headers.get('content-type')?.includes('json') ? (JSON.parse(text) as Record<string, unknown>) : undefined;
      return { started: started.body as { id: string }, back, status: res.status, body, text };
    };
    const transfers = async () => (await new RecordReader(t.hub.store.sql).find({ entity: 'attainment', institution: LU, limit: 100 })).filter((r) => r.sourceSystem === 'lu-emrex');
    const received = async () => (await request(t.app).get('/api/v1/emrex/received').set(auth).expect(200)).body.items as Record<string, unknown>[];

    before(async () => {
      registry = await new TestRegistry().start();
      norway = await new ForeignContactPoint('NO', 'Vitnemålsportalen').start();
      sweden = await new ForeignContactPoint('SE', 'Ladok EMREX').start();
      strangerKey = await createDevSealKey(mkdtempSync(join(tmpdir(), 'stranger-')), 'CN=someone else, C=NO');
      registry.catalogue = catalogueOf([norway.catalogueHost(['uio.no', 'ntnu.no'])]);
      const dir = mkdtempSync(join(tmpdir(), 'emreg-'));
      const emreg = join(dir, 'emreg.json');
      writeFileSync(emreg, JSON.stringify({ emps: [sweden.emregEntry(['su.se'])], countries: [{ countryCode: 'SE', countryName: 'Sweden', singleFetch: false }] }));
      const l = await listen();
      hubUrl = l.url;
      const config: HubConfig = {
        institutions: [
          { id: LU, name: 'Latvijas Universitāte' },
          { id: 'rtu.lv', name: 'Rīgas Tehniskā universitāte' },
        ],
        sources: [
          { id: 'lu-local', institution: LU, mappingSet: 'canonical' },
          { id: 'lu-emrex', institution: LU, mappingSet: 'canonical' },
          { id: 'ewp-in', institution: LU, mappingSet: 'canonical' },
        ],
        sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
        routes: [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } }],
        ewp: { adminEmail: 'ewp-admin@hub.example', registryUrl: registry.url, heis: [{ id: LU, baseUrl: `${l.url}/ewp/${LU}`, source: 'ewp-in' }] },
        emrex: { publicUrl: l.url, client: { institutions: [{ id: LU, source: 'lu-emrex' }], emreg } },
      };
      t = await makeHub({ config, backend });
      l.server.on('request', t.app);
      closeHub = async () => {
        await l.close();
        await t.stop();
      };
      const [r] = await t.hub.pipeline.ingest('lu-local', 'person', [PERSON], 'application/json');
      assert.equal(r?.status, 'committed', JSON.stringify(r?.error));
      personId = r!.recordId!;
    });

    after(async () => {
      await closeHub?.();
      await norway?.close();
      await sweden?.close();
      await registry?.close();
    });

    it('lists the contact points of the registry catalogue and of the EMREG list', async () => {
      const res = await request(t.app).get('/api/v1/emrex/contact-points').set(auth).expect(200);
      const items = res.body.items as { url: string; countryCode: string; listedIn: string; institutions: string[] }[];
      assert.deepEqual(
        items.map((i) => [i.url, i.countryCode, i.listedIn]),
        [
          [norway.url, 'NO', 'registry'],
          [sweden.url, 'SE', 'emreg'],
        ],
      );
      assert.deepEqual(items[0]!.institutions, ['uio.no', 'ntnu.no']);
    });

    it('starts a session: a random sessionId of at most 32 characters and a return URL with an unguessable reference, not the person', async () => {
      const res = await request(t.app).post('/api/v1/emrex/sessions').set(auth).send({ institution: LU, person: personId, country: 'no' }).expect(201);
      const { action, fields } = res.body.form as { action: string; fields: { sessionId: string; returnUrl: string } };
      assert.equal(action, norway.url);
      assert.ok(fields.sessionId.length <= 32 && fields.sessionId.length >= 24);
      assert.match(fields.returnUrl, new RegExp(`^${hubUrl}/emrex/return/[A-Za-z0-9_-]{32}$`));
      assert.ok(!fields.returnUrl.includes(personId) && !fields.returnUrl.includes(fields.sessionId));
      assert.equal(res.body.contactPoint.name, 'Vitnemålsportalen');
    });

    it('takes the results in as transfer attainments awaiting recognition, after checking seal, certificate and person (names without diacritics, other case)', async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: { givenNames: 'JANIS', familyName: 'Berzins', bday: '2000-03-14' } };
      const r = await roundTrip();
      assert.equal(r.status, 200, JSON.stringify(r.body));
      assert.equal(r.body?.verdict, 'accepted');
      assert.equal(r.body?.results, 2);
      assert.match(String(r.body?.detail), /left out 1: Seminar without credits \(no ECTS credits\)/);
      const got = await transfers();
      assert.deepEqual(got.map((a) => a.data.recognised && (a.data.recognised as Record<string, unknown>).originalTitle).sort(), ['Calculus', 'Introduction to Programming']);
      for (const a of got) {
        assert.equal(a.data.type, 'transfer');
        assert.equal(a.data.recognitionStatus, 'pending');
        assert.deepEqual(a.data.person, { id: personId });
        assert.equal((a.data.recognised as Record<string, unknown>).fromInstitution, 'uio.no');
        assert.deepEqual(a.data.credits, { value: 10, scheme: 'ECTS' });
      }
      // Visible to the institution through the usual routes: the record API.
      const one = await request(t.app).get(`/api/v1/records/attainment/${got[0]!.id}`).set(auth).expect(200);
      assert.equal(one.body.recognitionStatus ?? one.body.record?.recognitionStatus, 'pending');
    });

    it('refuses the same answer posted again (replay), and keeps it', async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: { givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-03-14' } };
      const r = await roundTrip();
      assert.equal(r.status, 200);
      const again = await fetch(r.back.action, { method: 'POST', body: new URLSearchParams(r.back.fields), headers: { accept: 'application/json' } });
      assert.equal(again.status, 409);
      const problem = (await again.json()) as Record<string, unknown>;
      assert.equal(problem.code, 'HUB_ERR_EMREX_REFUSED');
      assert.equal(problem.reason, 'replayed');
      const kept = (await received()).find((x) => x.id === problem.received);
      assert.equal(kept?.verdict, 'refused');
      assert.equal(kept?.reason, 'replayed');
    });

    it('refuses a document changed after it was sealed (a grade raised), keeping it with the reason', async () => {
      const before = (await transfers()).length;
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS, tamper: (x) => x.replace('<resultLabel>C</resultLabel>', '<resultLabel>A</resultLabel>') };
      const r = await roundTrip();
      assert.equal(r.status, 422);
      assert.equal(r.body?.reason, 'signature');
      assert.match(String(r.body?.detail), /does not verify/);
      assert.equal((await transfers()).length, before, 'nothing stored');
      const doc = await request(t.app)
        .get(`/api/v1/emrex/received/${String(r.body?.received)}/document`)
        .set(auth)
        .expect(200);
      assert.match(doc.text, /<resultLabel>A<\/resultLabel>/);
    });

    it('refuses a document sealed with a key the registry does not list for that contact point', async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS, key: strangerKey };
      const r = await roundTrip();
      assert.equal(r.status, 422);
      assert.equal(r.body?.reason, 'certificate');
      assert.match(String(r.body?.detail), /not sealed with a certificate Vitnemålsportalen is listed with/);
    });

    it("refuses another person's results: another name, or another date of birth", async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: { givenNames: 'Pēteris', familyName: 'Bērziņš', bday: '2000-03-14' } };
      const name = await roundTrip();
      assert.equal(name.status, 422);
      assert.equal(name.body?.reason, 'person');
      assert.match(String(name.body?.detail), /given names/);
      assert.doesNotMatch(String(name.body?.detail), /Pēteris|Jānis/, 'the reason names no personal data');
      norway.scenario = { returnCode: 'EMP_OK', learner: { givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-04-14' } };
      const born = await roundTrip();
      assert.equal(born.body?.reason, 'person');
      assert.match(String(born.body?.detail), /date of birth/);
    });

    it('refuses an expired session', async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS };
      // A session that expires before its answer comes.
      const started = await request(t.app).post('/api/v1/emrex/sessions').set(auth).send({ institution: LU, person: personId, contactPoint: norway.url }).expect(201);
      await t.hub.store.sql.run('UPDATE emrex_client_sessions SET expires_at = ? WHERE id = ?', [new Date(Date.now() - 1000).toISOString(), started.body.id]);
      const page = await fetch(norway.url, { method: 'POST', body: new URLSearchParams(started.body.form.fields as Record<string, string>) }).then((x) => x.text());
      const back = formOf(page);
      const res = await fetch(back.action, { method: 'POST', body: new URLSearchParams(back.fields), headers: { accept: 'application/json' } });
      assert.equal(res.status, 409);
      assert.equal(((await res.json()) as Record<string, unknown>).reason, 'expired');
    });

    it('refuses an unknown return reference or a wrong sessionId with 404, keeping what came', async () => {
      const elmo = packElmo(sealElmo(osloElmo(JANIS), norway.key));
      const unknown = await fetch(`${hubUrl}/emrex/return/${'x'.repeat(32)}`, {
        method: 'POST',
        body: new URLSearchParams({ sessionId: 'abc', returnCode: 'EMP_OK', elmo }),
        headers: { accept: 'application/json' },
      });
      assert.equal(unknown.status, 404);
      const p = (await unknown.json()) as Record<string, unknown>;
      assert.equal(p.reason, 'unknown-session');
      const kept = (await received()).find((x) => x.id === p.received);
      assert.equal(kept?.session, null);
      // Anyone can post here: of an answer that is no session's first, at most 1 MB is kept.
      const big = await fetch(`${hubUrl}/emrex/return/${'w'.repeat(32)}`, {
        method: 'POST',
        body: new URLSearchParams({ sessionId: 'abc', returnCode: 'EMP_OK', elmo: 'A'.repeat(3 * 1024 * 1024) }),
        headers: { accept: 'application/json' },
      });
      const bigId = String(((await big.json()) as Record<string, unknown>).received);
      const bigDoc = await request(t.app).get(`/api/v1/emrex/received/${bigId}/document`).set(auth).expect(200);
      assert.equal(bigDoc.text.length, 1024 * 1024);
      assert.match(String((await received()).find((x) => x.id === bigId)?.detail), /the first 1048576 of 3145728 characters kept/);
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS };
      const wrong = await roundTrip({ change: (f) => (f.sessionId = 'not-the-session') });
      assert.equal(wrong.status, 404);
      // The page a learner's browser gets says it in words.
      const page = await fetch(`${hubUrl}/emrex/return/${'y'.repeat(32)}`, {
        method: 'POST',
        body: new URLSearchParams({ sessionId: 'abc', returnCode: 'EMP_OK' }),
        headers: { accept: 'text/html', 'accept-language': 'en' },
      });
      assert.equal(page.status, 404);
      assert.match(await page.text(), /The document was not accepted/);
    });

    it('refuses XML with a DOCTYPE (entities) and a zip bomb; keeps each', async () => {
      norway.scenario = {
        returnCode: 'EMP_OK',
        learner: JANIS,
        raw: `<?xml version="1.0"?><!DOCTYPE elmo [<!ENTITY x "xx">]><elmo xmlns="https://github.com/emrex-eu/elmo-schemas/tree/v1">&x;</elmo>`,
      };
      const doctype = await roundTrip();
      assert.equal(doctype.status, 422);
      assert.equal(doctype.body?.reason, 'malformed');
      assert.match(String(doctype.body?.detail), /DOCTYPE/);
      // 40 MB of spaces gzip to about 40 KB: unpacked only up to the 32 MB cap.
      const bomb = gzipSync(Buffer.alloc(40 * 1024 * 1024, 0x20)).toString('base64');
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS };
      const r = await roundTrip({ change: (f) => (f.elmo = bomb) });
      assert.equal(r.status, 413);
      assert.equal(r.body?.reason, 'too-large');
      assert.equal((await received()).find((x) => x.id === r.body?.received)?.reason, 'too-large');
    });

    it('refuses a 50 MB form with 413 before reading it', async () => {
      const res = await new Promise<{ status: number; body: string }>((resolve, reject) => {
        const req = httpRequest(`${hubUrl}/emrex/return/${'z'.repeat(32)}`, {
          method: 'POST',
          headers: { 'content-type': 'application/x-www-form-urlencoded', 'content-length': String(50 * 1024 * 1024), accept: 'text/html' },
        });
        req.on('response', (res) => {
          let body = '';
          res.on('data', (c: Buffer) => (body += c.toString()));
          res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
        });
        req.on('error', reject);
        req.flushHeaders();
      });
      assert.equal(res.status, 413);
      assert.match(res.body, /Pārāk liels|Too large/);
      assert.ok(50 * 1024 * 1024 > RETURN_BODY_BYTES);
    });

    it('accepts the older NCP_* codes, and keeps a cancelled, empty or failed answer with what the contact point said', async () => {
      sweden.scenario = { returnCode: 'NCP_OK', learner: JANIS };
      const ncp = await roundTrip({ country: 'SE' });
      assert.equal(ncp.status, 200, JSON.stringify(ncp.body));
      assert.equal(ncp.body?.verdict, 'accepted');
      for (const [code, verdict] of [
        ['EMP_CANCEL', 'cancelled'],
        ['NCP_NO_RESULTS', 'no-results'],
        ['EMP_ERROR', 'error'],
      ] as const) {
        norway.scenario = { returnCode: code, learner: JANIS };
        const r = await roundTrip();
        assert.equal(r.status, 200);
        assert.equal(r.body?.verdict, verdict);
      }
      assert.match(String((await received()).find((x) => x.verdict === 'error')?.detail), /the national register is down/);
      norway.scenario = { returnCode: 'EMP_MAYBE', learner: JANIS };
      const odd = await roundTrip();
      assert.equal(odd.status, 422);
      assert.equal(odd.body?.reason, 'malformed');
    });

    it('answers the learner a page in their language when the results are in', async () => {
      norway.scenario = { returnCode: 'EMP_OK', learner: JANIS };
      const r = await roundTrip({ accept: 'text/html' });
      assert.equal(r.status, 200);
      assert.match(r.text, /Your results were received and checked\. Your institution will decide on their recognition\./);
      assert.match(r.text, /2 results taken in as transfers awaiting recognition/);
      assert.doesNotMatch(r.text, /Jānis|Bērziņš|2000-03-14/, 'the page repeats no personal data');
    });

    it('lets an institution token start sessions and see documents of its own institution only', async () => {
      const rtu = await t.hub.tokens.create('rtu registrar', ['emrex:rtu.lv']);
      const lu = await t.hub.tokens.create('lu registrar', ['emrex:lu.lv']);
      await request(t.app).post('/api/v1/emrex/sessions').set('authorization', `Bearer ${rtu.token}`).send({ institution: LU, person: personId, contactPoint: norway.url }).expect(403);
      await request(t.app).post('/api/v1/emrex/sessions').set('authorization', `Bearer ${lu.token}`).send({ institution: LU, person: personId, contactPoint: norway.url }).expect(201);
      const mine = await request(t.app).get('/api/v1/emrex/received').set('authorization', `Bearer ${lu.token}`).expect(200);
      assert.ok((mine.body.items as { institution: string }[]).length > 0);
      assert.ok(
        (mine.body.items as { institution: string | null }[]).every((x) => x.institution === LU),
        'documents without a session are the admin’s only',
      );
      const theirs = await request(t.app).get('/api/v1/emrex/received').set('authorization', `Bearer ${rtu.token}`).expect(200);
      assert.equal(theirs.body.items.length, 0);
      const reader = await t.hub.tokens.create('reader', ['read:attainment']);
      await request(t.app).get('/api/v1/emrex/received').set('authorization', `Bearer ${reader.token}`).expect(403);
    });

    it('POST /api/v1/elmo/verify trusts the certificates of contact points the registry and the EMREG list give', async () => {
      const doc = sealElmo(osloElmo(JANIS), norway.key);
      const res = await request(t.app).post('/api/v1/elmo/verify').set(auth).set('content-type', 'application/xml').send(doc).expect(200);
      const cert = (res.body.checks as { name: string; passed: boolean; reason: string }[]).find((c) => c.name === 'certificate')!;
      assert.equal(cert.passed, true, cert.reason);
      assert.match(cert.reason, /EMREX contact point Vitnemålsportalen \(NO, EWP registry\)/);
      const se = await request(t.app)
        .post('/api/v1/elmo/verify')
        .set(auth)
        .set('content-type', 'application/xml')
        .send(sealElmo(osloElmo(JANIS), sweden.key))
        .expect(200);
      assert.match((se.body.checks as { name: string; reason: string }[]).find((c) => c.name === 'certificate')!.reason, /Ladok EMREX \(SE, EMREG list\)/);
      const stranger = await request(t.app)
        .post('/api/v1/elmo/verify')
        .set(auth)
        .set('content-type', 'application/xml')
        .send(sealElmo(osloElmo(JANIS), strangerKey))
        .expect(200);
      assert.equal((stranger.body.checks as { name: string; passed: boolean }[]).find((c) => c.name === 'certificate')!.passed, false);
    });
  });
}
