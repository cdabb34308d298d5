import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import type { HubConfig } from '../../src/config/types.ts';
import { listen } from '../ewp/helpers/ewp.ts';
import { auth, backends, makeHub, type TestHub } from '../helpers/hub.ts';
import { code } from '../privacy/helpers.ts';
import { ForeignContactPoint, formOf, type Learner } from './helpers/foreign-contact-point.ts';

/**
 * The EMREX client's received documents and sessions as personal data (docs/privacy.md, "Other modules' data"):
 * subject access lists them (metadata, not the document), retention reduces old documents to their verdict, and
 * the erasure of a person removes the person's documents and unlinks the sessions, leaving other persons' alone.
 */
const LU = 'lu.lv';
const DAY = 24 * 3600 * 1000;
const JANIS: Learner = { givenNames: 'Jānis', familyName: 'Bērziņš', bday: '2000-03-14' };
const ANNA: Learner = { givenNames: 'Anna', familyName: 'Ozola', bday: '2001-05-06' };

for (const backend of backends()) {
  describe(`EMREX client: received documents as personal data (${backend})`, function () {
    this.timeout(120_000);
    let cp: ForeignContactPoint;
    let t: TestHub;
    let closeHub: () => Promise<void>;
    let janis: string;
    let anna: string;

    /** A session for the person and the learner's browser through the contact point back to the hub; the received document's id. */
    const roundTrip = async (person: string, learner: Learner): Promise<string> => {
      cp.scenario = { returnCode: 'EMP_OK', learner };
      const started = await request(t.app).post('/api/v1/emrex/sessions').set(auth).send({ institution: LU, person, contactPoint: cp.url }).expect(201);
      const { action, fields } = started.body.form as { action: string; fields: Record<string, string> };
      const back = formOf(await fetch(action, { method: 'POST', body: new URLSearchParams(fields) }).then((r) => r.text()));
      const res = await fetch(back.action, { method: 'POST', body: new URLSearchParams(back.fields), headers: { accept: 'application/json' } });
      const body = (await res.json()) as { verdict: string; received: string };
      assert.equal(res.status, 200, JSON.stringify(body));
      assert.equal(body.verdict, 'accepted');
      return body.received;
    };
    const kept = async (person: string) =>
      (await request(t.app).get(`/api/v1/persons/${person}/records`).set(auth).expect(200)).body.kept['emrex-client'] as {
        sessions: { id: string }[];
        received: { id: string; verdict: string; removed: { by: string } | null }[];
      };
    const document = (id: string) => request(t.app).get(`/api/v1/emrex/received/${id}/document`).set(auth);

    before(async () => {
      cp = await new ForeignContactPoint('SE', 'Ladok EMREX').start();
      const emreg = join(mkdtempSync(join(tmpdir(), 'emreg-')), 'emreg.json');
      writeFileSync(emreg, JSON.stringify({ emps: [cp.emregEntry(['su.se'])], countries: [{ countryCode: 'SE', countryName: 'Sweden', singleFetch: false }] }));
      const l = await listen();
      const config: HubConfig = {
        institutions: [{ id: LU, name: 'Latvijas Universitāte' }],
        sources: [
          { id: 'lu-local', institution: LU, mappingSet: 'canonical' },
          { id: 'lu-emrex', institution: LU, mappingSet: 'canonical' },
        ],
        sinks: [{ id: 'out', type: 'file', options: { path: 'out/all.jsonl' } }],
        routes: [{ id: 'all', sink: 'out', match: {}, legalBasis: 'public-task', purpose: 'test archive', retry: { maxAttempts: 3, initialDelayMs: 20 } }],
        emrex: { publicUrl: l.url, client: { institutions: [{ id: LU, source: 'lu-emrex' }], emreg } },
        privacy: { retention: { emrexDocumentsDays: 30 } },
      };
      t = await makeHub({ config, backend });
      l.server.on('request', t.app);
      closeHub = async () => {
        await l.close();
        await t.stop();
      };
      const [j, a] = await t.hub.pipeline.ingest(
        'lu-local',
        'person',
        [
          {
            institution: LU,
            sourceId: 'P-1',
            identifiers: [{ scheme: 'lv-personas-kods', value: code(2000, 3, 14, 101) }],
            givenNames: JANIS.givenNames,
            familyName: JANIS.familyName,
            birthDate: JANIS.bday,
          },
          {
            institution: LU,
            sourceId: 'P-2',
            identifiers: [{ scheme: 'lv-personas-kods', value: code(2001, 5, 6, 202) }],
            givenNames: ANNA.givenNames,
            familyName: ANNA.familyName,
            birthDate: ANNA.bday,
          },
        ],
        'application/json',
      );
      assert.equal(j?.status, 'committed', JSON.stringify(j?.error));
      assert.equal(a?.status, 'committed', JSON.stringify(a?.error));
      janis = j!.recordId!;
      anna = a!.recordId!;
    });

    after(async () => {
      await closeHub?.();
      await cp?.close();
    });

    it("subject access lists the person's sessions and received documents as metadata, without the document", async () => {
      const id = await roundTrip(janis, JANIS);
      const k = await kept(janis);
      assert.equal(k.sessions.length, 1);
      assert.deepEqual(
        k.received.map((r) => [r.id, r.verdict, r.removed]),
        [[id, 'accepted', null]],
      );
      const text = JSON.stringify(k);
      assert.doesNotMatch(text, /<elmo|Bērziņš|sessionId|"ref"/, 'no document, no name, no session secrets');
      assert.deepEqual(await kept(anna), { sessions: [], received: [] });
      assert.match((await document(id).expect(200)).text, /Bērziņš/);
    });

    it('reduces received documents older than privacy.retention.emrexDocumentsDays to their verdict', async () => {
      const [first] = (await kept(janis)).received;
      assert.deepEqual((await t.hub.privacy.tick({ now: Date.now() + 10 * DAY })).held, {});
      assert.deepEqual((await t.hub.privacy.tick({ now: Date.now() + 31 * DAY })).held, { 'emrex-client/emrex_client_received': 1 });
      assert.deepEqual((await t.hub.privacy.tick({ now: Date.now() + 32 * DAY })).held, {}, 'nothing twice');
      const res = await document(first!.id).expect(404);
      assert.match(res.body.detail, /removed at .*\(the retention time\); its verdict is kept/);
      const listed = ((await request(t.app).get('/api/v1/emrex/received').set(auth).expect(200)).body.items as { id: string; verdict: string; results: number; removed: { by: string } }[]).find(
        (x) => x.id === first!.id,
      );
      assert.equal(listed?.verdict, 'accepted');
      assert.equal(listed?.results, 2);
      assert.equal(listed?.removed.by, 'retention');
      const [row] = await t.hub.store.sql.query('SELECT document, document_form, return_message FROM emrex_client_received WHERE id = ?', [first!.id]);
      assert.deepEqual({ ...row }, { document: null, document_form: null, return_message: null });
    });

    it("erasing a person removes the person's received documents and unlinks the sessions; another person's stay", async () => {
      const again = await roundTrip(janis, JANIS);
      const hers = await roundTrip(anna, ANNA);
      const report = await request(t.app).post(`/api/v1/persons/${janis}/erasure`).set(auth).expect(200);
      assert.equal(report.body.counts.emrex_client_received, 2);
      assert.equal(report.body.counts.emrex_client_sessions, 2);
      assert.match((await document(again).expect(404)).body.detail, /the person's erasure/);
      assert.match((await document(hers).expect(200)).text, /Ozola/);
      const leftOver = await t.hub.store.sql.query("SELECT id FROM emrex_client_received WHERE document LIKE '%Bērziņš%' OR return_message LIKE '%Bērziņš%'");
      assert.deepEqual(leftOver, []);
      const sessions = await t.hub.store.sql.query('SELECT person_id FROM emrex_client_sessions ORDER BY id');
      assert.deepEqual(
        sessions.map((s) => String(s.person_id)),
        [`erased:${String(report.body.id)}`, `erased:${String(report.body.id)}`, anna],
      );
      assert.deepEqual(await kept(janis), { sessions: [], received: [] });
      assert.deepEqual(
        (await kept(anna)).received.map((r) => [r.id, r.removed]),
        [[hers, null]],
      );
      // The verdicts stay for the institution's admin.
      const items = (await request(t.app).get('/api/v1/emrex/received').set(auth).expect(200)).body.items as { id: string; verdict: string; removed: { by: string } | null }[];
      assert.equal(items.find((x) => x.id === again)?.verdict, 'accepted');
      assert.equal(items.find((x) => x.id === again)?.removed?.by, 'erasure');
    });
  });
}
