import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import request from 'supertest';
import { contentOf, DisclosureLog, entryHash, entryText, GENESIS, verifyExport, type DisclosureEntry, type NewEntry } from '../../src/privacy/disclosure-log.ts';
import { stableStringify } from '../../src/core/ids.ts';
import { auth, backends, makeHub, type TestHub } from '../helpers/hub.ts';
import { HUB_BIN } from '../helpers/process.ts';
import { privacyConfig } from './helpers.ts';

const entry = (i: number): NewEntry => ({
  kind: 'disclosure',
  person: `p:${String(i).padStart(64, '0')}`,
  recipient: i % 2 ? 'cv-verify-lv' : 'viis',
  route: i % 2 ? 'employer' : 'register',
  entity: 'award',
  recordId: `rec-${i}`,
  recordVersion: 1 + (i % 3),
  legalBasis: i % 2 ? 'consent' : 'legal-obligation',
  purpose: 'test',
  fields: i % 2 ? ['person', 'title'] : null,
  eventId: `ev-${i}`,
});

describe('disclosure log: the hashed text of an entry', () => {
  it('is the stable JSON of its content, field for field, whether written out for the fixed shape or walked', () => {
    const texts = ['', 'a"b\\c', 'ā š ž — \u2028 \u0000', '{"x":1}', 'x'.repeat(300)];
    for (let i = 0; i < 400; i++) {
      const t = (k: number) => texts[(i + k) % texts.length]!;
      const e: DisclosureEntry = {
        ...entry(i),
        seq: i + 1,
        at: new Date(1_700_000_000_000 + i).toISOString(),
        kind: i % 7 ? 'disclosure' : 'erasure',
        person: i % 5 ? t(0) : null,
        recipient: i % 3 ? t(1) : null,
        purpose: t(2),
        recordVersion: i % 4 ? i * 1.5 : null,
        fields: i % 3 === 0 ? null : [t(3), t(4)].slice(0, i % 3),
      };
      assert.equal(entryText(e), stableStringify(contentOf(e)), `entry ${i}`);
    }
    // Values outside the declared types (a missing field, a number that JSON has not) take the generic walk, with its text.
    const odd = [
      { ...entry(1), seq: 1, at: 'x', person: undefined },
      { ...entry(2), seq: Number.NaN, at: 'x' },
      { ...entry(3), seq: 3, at: 'x', fields: ['a', 1] },
    ] as unknown as DisclosureEntry[];
    for (const e of odd) assert.equal(entryText(e), stableStringify(contentOf(e)));
    assert.equal(entryHash(GENESIS, odd[0]!).length, 64);
  });
});

for (const backend of backends()) {
  describe(`disclosure log (${backend})`, () => {
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend, config: privacyConfig() });
    });
    after(async () => {
      await t?.stop();
    });

    const log = () => t.hub.privacy.log;
    const sql = () => t.hub.store.sql;
    const exported = async () => {
      let s = '';
      for await (const l of log().export()) s += l;
      return s;
    };

    beforeEach(async () => {
      await sql().run('DELETE FROM privacy_disclosure_log');
      await sql().run('DELETE FROM privacy_log_head');
      // Many at once, as concurrent deliveries append: the chain must still be one line.
      await Promise.all(Array.from({ length: 30 }, (_, i) => log().append(entry(i + 1))));
    });

    it('chains every entry to the one before, also when appends run at once; logs a disclosure once', async () => {
      const r = await log().verify();
      assert.deepEqual(r.problems, []);
      assert.equal(r.ok, true);
      assert.equal(r.entries, 30);
      assert.equal(r.firstSeq, 1);
      assert.equal(r.lastSeq, 30);
      const all = [];
      for await (const e of log().entries()) all.push(e);
      assert.equal(all[0]!.prevHash, GENESIS);
      for (const [i, e] of all.entries()) {
        assert.equal(e.seq, i + 1);
        if (i) assert.equal(e.prevHash, all[i - 1]!.hash);
        assert.equal(e.hash, entryHash(e.prevHash, e));
      }
      assert.equal(await log().append(entry(5)), undefined, 'the same (event, route) again is not a second disclosure');
      assert.equal((await log().verify()).entries, 30);
    });

    if (backend === 'real') {
      it('stays one chain when two processes append at once (advisory lock)', async () => {
        const { PostgresStore } = await import('../../src/store/postgres/store.ts');
        const [{ schema }] = (await sql().query('SELECT current_schema() AS schema')) as [{ schema: string }];
        const other = new PostgresStore(process.env.DATABASE_URL!, { schema });
        try {
          const second = new DisclosureLog(other.sql);
          await Promise.all(Array.from({ length: 20 }, (_, i) => (i % 2 ? log() : second).append(entry(100 + i))));
          const r = await log().verify();
          assert.deepEqual(r.problems, []);
          assert.equal(r.entries, 50);
        } finally {
          await other.close();
        }
      });
    }

    it('detects an entry changed with raw SQL, and names it', async () => {
      await sql().run("UPDATE privacy_disclosure_log SET recipient = 'someone-else' WHERE seq = 7");
      const r = await log().verify();
      assert.equal(r.ok, false);
      assert.deepEqual(
        r.problems.map((p) => p.seq),
        [7],
      );
      assert.match(r.problems[0]!.problem, /content does not match its hash/);
      // Recomputing the changed entry's hash does not hide it: the next entry no longer links to it.
      const [row] = await sql().query('SELECT * FROM privacy_disclosure_log WHERE seq = 7');
      const all = [];
      for await (const e of log().entries()) all.push(e);
      const e7 = all[6]!;
      await sql().run('UPDATE privacy_disclosure_log SET hash = ? WHERE seq = 7', [entryHash(String(row!.prev_hash), e7)]);
      const again = await log().verify();
      assert.deepEqual(
        again.problems.map((p) => p.seq),
        [8],
      );
      assert.match(again.problems[0]!.problem, /previous hash is not the hash of entry 7/);
    });

    it('detects removed entries, in the middle and at the end', async () => {
      await sql().run('DELETE FROM privacy_disclosure_log WHERE seq = 12');
      const mid = await log().verify();
      assert.equal(mid.ok, false);
      assert.ok(
        mid.problems.some((p) => p.seq === 13 && /entries 12 to 12 are missing/.test(p.problem)),
        JSON.stringify(mid.problems),
      );
      await sql().run('DELETE FROM privacy_disclosure_log WHERE seq >= 29');
      const end = await log().verify();
      assert.ok(
        end.problems.some((p) => p.seq === 30 && /the newest entries were removed/.test(p.problem)),
        JSON.stringify(end.problems),
      );
    });

    it('exports JSON lines that verify offline; a changed or missing line is found', async () => {
      const text = await exported();
      const lines = text.trim().split('\n');
      assert.equal(lines.length, 30);
      const ok = verifyExport(text);
      assert.equal(ok.ok, true, JSON.stringify(ok.problems));
      assert.equal(ok.lastHash, (await log().verify()).lastHash);
      const changed = [...lines];
      changed[4] = JSON.stringify({ ...JSON.parse(changed[4]!), purpose: 'marketing' });
      const r = verifyExport(changed.join('\n'));
      assert.deepEqual(
        r.problems.map((p) => [p.seq, p.line]),
        [[5, 5]],
      );
      const missing = verifyExport(lines.filter((_, i) => i !== 9).join('\n'));
      assert.equal(missing.ok, false);
      assert.ok(missing.problems.some((p) => p.seq === 11 && /missing/.test(p.problem)));
      // An export of a later part verifies on its own (it starts from the hash it names).
      assert.equal(verifyExport(lines.slice(10).join('\n')).ok, true);
      assert.equal(verifyExport('not json\n').ok, false);
    });

    it('answers GET /api/v1/audit/disclosures/verify and /export for admins only', async () => {
      const v = await request(t.app).get('/api/v1/audit/disclosures/verify').set(auth).expect(200);
      assert.equal(v.body.ok, true);
      assert.equal(v.body.entries, 30);
      const x = await request(t.app)
        .get('/api/v1/audit/disclosures/export')
        .set(auth)
        .buffer(true)
        .parse((res, cb) => {
          let s = '';
          res.on('data', (c: Buffer) => (s += c.toString()));
          res.on('end', () => cb(null, s));
        });
      assert.equal(x.status, 200);
      assert.match(String(x.headers['content-type']), /application\/jsonl/);
      assert.equal(verifyExport(x.body as string).entries, 30);
      await request(t.app).get('/api/v1/audit/disclosures/verify').expect(401);
      const { token } = await t.hub.tokens.create('reader', ['read:*']);
      const denied = await request(t.app).get('/api/v1/audit/disclosures/export').set('authorization', `Bearer ${token}`).expect(403);
      assert.match(String(denied.headers['content-type']), /application\/problem\+json/);
      await request(t.app).get('/api/v1/audit/withheld?status=nope').set(auth).expect(400);
    });

    if (backend === 'embedded') {
      it('`hub audit verify` checks the store and an exported file; exit 1 names the broken entry', async () => {
        const file = join(t.dir, 'export.jsonl');
        writeFileSync(file, await exported());
        const env = { ...process.env, HUB_DATA_DIR: t.dir, LOG_LEVEL: 'silent', DATABASE_URL: '', AMQP_URL: '' };
        const offline = spawnSync(process.execPath, [HUB_BIN, 'audit', 'verify', '--file', file], { encoding: 'utf8', env });
        assert.equal(offline.status, 0, offline.stderr + offline.stdout);
        assert.match(offline.stdout, /OK, 30 entries/);
        await sql().run("UPDATE privacy_disclosure_log SET entity = 'person' WHERE seq = 3");
        const broken = spawnSync(process.execPath, [HUB_BIN, 'audit', 'verify'], { encoding: 'utf8', env });
        assert.equal(broken.status, 1, broken.stderr + broken.stdout);
        assert.match(broken.stdout, /entry 3: its content does not match its hash/);
      });
    }
  });
}
