import assert from 'node:assert/strict';
import type { SqlDb } from '../../src/store/sql.ts';
import { backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { code, ingest, person, privacyConfig, sinkLines } from '../privacy/helpers.ts';

/**
 * A delivered event's outcome and its disclosure-log entry are written in one transaction
 * (Store.finishAttempts with the privacy gate's write inside it): when the log refuses the entry,
 * the outcome is not written either and the event is delivered again; once the log takes it, the
 * delivery is recorded once, logged once, and the chain verifies.
 */

/** Makes every insert into the disclosure log fail (a trigger of the test, removed by `allow`). */
async function refuseLog(sql: SqlDb): Promise<{ allow(): Promise<void> }> {
  if (sql.dialect === 'sqlite') {
    await sql.run("CREATE TRIGGER test_refuse_log BEFORE INSERT ON privacy_disclosure_log BEGIN SELECT RAISE(ABORT, 'the log refuses entries (test)'); END");
    return { allow: async () => void (await sql.run('DROP TRIGGER test_refuse_log')) };
  }
  await sql.run("CREATE FUNCTION test_refuse_log() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN RAISE EXCEPTION 'the log refuses entries (test)'; END $$");
  await sql.run('CREATE TRIGGER test_refuse_log BEFORE INSERT ON privacy_disclosure_log FOR EACH ROW EXECUTE FUNCTION test_refuse_log()');
  return {
    allow: async () => {
      await sql.run('DROP TRIGGER test_refuse_log ON privacy_disclosure_log');
      await sql.run('DROP FUNCTION test_refuse_log()');
    },
  };
}

/** Makes the store refuse to record a delivered attempt (a trigger of the test, removed by `allow`): other outcomes pass. */
async function refuseDelivered(sql: SqlDb): Promise<{ allow(): Promise<void> }> {
  if (sql.dialect === 'sqlite') {
    await sql.run(
      "CREATE TRIGGER test_refuse_delivered BEFORE INSERT ON delivery_attempts WHEN NEW.outcome = 'delivered' BEGIN SELECT RAISE(ABORT, 'the store refuses delivered outcomes (test)'); END",
    );
    return { allow: async () => void (await sql.run('DROP TRIGGER test_refuse_delivered')) };
  }
  await sql.run(
    "CREATE FUNCTION test_refuse_delivered() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF NEW.outcome = 'delivered' THEN RAISE EXCEPTION 'the store refuses delivered outcomes (test)'; END IF; RETURN NEW; END $$",
  );
  await sql.run('CREATE TRIGGER test_refuse_delivered BEFORE INSERT ON delivery_attempts FOR EACH ROW EXECUTE FUNCTION test_refuse_delivered()');
  return {
    allow: async () => {
      await sql.run('DROP TRIGGER test_refuse_delivered ON delivery_attempts');
      await sql.run('DROP FUNCTION test_refuse_delivered()');
    },
  };
}

async function loggedOn(sql: SqlDb, route: string, eventIds: string[]): Promise<string[]> {
  const rows = await sql.query(`SELECT event_id FROM privacy_disclosure_log WHERE kind = 'disclosure' AND route_id = ?`, [route]);
  return rows.map((r) => String(r.event_id)).filter((id) => eventIds.includes(id));
}

for (const backend of backends()) {
  describe(`a delivery's outcome and its disclosure in one transaction (${backend})`, () => {
    let t: TestHub;
    before(async () => {
      const config = privacyConfig();
      // Many deliveries in flight, so that outcomes and disclosures go in batches.
      t = await makeHub({ backend, config: { ...config, routes: config.routes.map((r) => (r.id === 'archive' ? { ...r, concurrency: 16 } : r)) } });
    });
    after(async () => {
      await t?.stop();
    });

    it('records a batch of deliveries and logs each once, in one chain', async () => {
      const people = Array.from({ length: 24 }, (_, i) => person('rtu.lv', `RTU3${String(i).padStart(5, '0')}`, code(1990 + (i % 10), 1 + (i % 12), 1 + i, 500 + i)));
      const ms = await Promise.all(people.map((p) => ingest(t, 'rtu-push', 'person', p)));
      const events = await Promise.all(ms.map(async (m) => (await t.hub.store.getMessage(m.messageId))!.eventId!));
      await eventually(
        async () =>
          (await Promise.all(ms.map(async (m) => (await t.hub.store.listDeliveries(m.messageId)).find((d) => d.routeId === 'archive')?.status))).every((s) => s === 'delivered') ? true : undefined,
        15_000,
        'every person delivered on archive',
      );
      const logged = await loggedOn(t.hub.store.sql, 'archive', events);
      assert.deepEqual([...logged].sort(), [...events].sort(), 'one disclosure per delivered event');
      const r = await t.hub.privacy.log.verify();
      assert.deepEqual(r.problems, []);
      assert.ok(r.ok);
    });

    it('writes neither the outcome nor the disclosure when the log refuses the entry; the event is delivered again and logged once', async () => {
      const refusal = await refuseLog(t.hub.store.sql);
      let allowed = false;
      try {
        const m = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU400001', code(1995, 5, 6, 606)));
        const eventId = (await t.hub.store.getMessage(m.messageId))!.eventId!;
        // The sink got the event, but the delivered outcome rolled back with the refused entry: the attempt is a retry.
        const first = await eventually(async () => (await t.hub.store.listAttempts(m.messageId)).find((a) => a.routeId === 'archive'), 10_000, 'the first attempt on archive recorded');
        assert.equal(first.outcome, 'retry');
        assert.match(first.error ?? '', /refuses entries/);
        assert.ok(
          sinkLines(t, 'archive.jsonl').some((e) => e.eventId === eventId),
          'the sink had the event',
        );
        assert.notEqual((await t.hub.store.getDelivery(eventId, 'archive'))?.status, 'delivered');
        assert.deepEqual(await loggedOn(t.hub.store.sql, 'archive', [eventId]), []);

        await refusal.allow();
        allowed = true;
        await eventually(async () => ((await t.hub.store.getDelivery(eventId, 'archive'))?.status === 'delivered' ? true : undefined), 15_000, 'delivered once the log takes entries');
        const attempts = (await t.hub.store.listAttempts(m.messageId)).filter((a) => a.routeId === 'archive');
        assert.equal(attempts.filter((a) => a.outcome === 'delivered').length, 1);
        assert.ok(attempts.every((a) => a.outcome === 'delivered' || (a.outcome === 'retry' && /refuses entries/.test(a.error ?? ''))));
        assert.deepEqual(await loggedOn(t.hub.store.sql, 'archive', [eventId]), [eventId], 'logged once');
        // Delivered again with the same idempotency key (the event id): the sink saw it once per attempt.
        assert.equal(sinkLines(t, 'archive.jsonl').filter((e) => e.eventId === eventId).length, attempts.length);
        const r = await t.hub.privacy.log.verify();
        assert.deepEqual(r.problems, []);
      } finally {
        if (!allowed) await refusal.allow();
      }
    });

    it('logs no disclosure while the outcome cannot be recorded; logs it once with the outcome', async () => {
      const refusal = await refuseDelivered(t.hub.store.sql);
      let allowed = false;
      try {
        const m = await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU400002', code(1994, 4, 5, 707)));
        const eventId = (await t.hub.store.getMessage(m.messageId))!.eventId!;
        const first = await eventually(async () => (await t.hub.store.listAttempts(m.messageId)).find((a) => a.routeId === 'archive'), 10_000, 'the first attempt on archive recorded');
        assert.equal(first.outcome, 'retry');
        assert.match(first.error ?? '', /refuses delivered outcomes/);
        assert.ok(
          sinkLines(t, 'archive.jsonl').some((e) => e.eventId === eventId),
          'the sink had the event',
        );
        assert.deepEqual(await loggedOn(t.hub.store.sql, 'archive', [eventId]), [], 'no disclosure logged for a delivery not recorded');

        await refusal.allow();
        allowed = true;
        await eventually(async () => ((await t.hub.store.getDelivery(eventId, 'archive'))?.status === 'delivered' ? true : undefined), 15_000, 'delivered once the store records it');
        assert.deepEqual(await loggedOn(t.hub.store.sql, 'archive', [eventId]), [eventId], 'logged once');
        assert.deepEqual((await t.hub.privacy.log.verify()).problems, []);
      } finally {
        if (!allowed) await refusal.allow();
      }
    });
  });
}
