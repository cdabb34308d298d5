import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import request from 'supertest';
import type { SqlDb } from '../../src/store/sql.ts';
import { auth, backends, baseConfig, canonicalPerson, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { code, ingest, person, privacyConfig, sinkLines } from '../privacy/helpers.ts';

/**
 * A delivered event's outcome and its disclosure-log entry are written in one transaction
 * (Store.finishAttempts with the privacy gate's write inside it): when the log refuses the entry,
 * the outcome is not written either and the event is delivered again; once the log takes it, the
 * delivery is recorded once, logged once, and the chain verifies.
 */

/**
 * A trigger of the test that makes a write to `table` fail with `message` (only rows matching `when`,
 * a condition on NEW, if given), on either dialect; removed by `allow`.
 */
async function refusing(sql: SqlDb, name: string, o: { write: 'INSERT' | 'UPDATE'; table: string; when?: string; message: string }): Promise<{ allow(): Promise<void> }> {
  if (sql.dialect === 'sqlite') {
    await sql.run(`CREATE TRIGGER ${name} BEFORE ${o.write} ON ${o.table} ${o.when ? `WHEN ${o.when} ` : ''}BEGIN SELECT RAISE(ABORT, '${o.message}'); END`);
    return { allow: async () => void (await sql.run(`DROP TRIGGER ${name}`)) };
  }
  await sql.run(`CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN IF ${o.when ?? 'true'} THEN RAISE EXCEPTION '${o.message}'; END IF; RETURN NEW; END $$`);
  await sql.run(`CREATE TRIGGER ${name} BEFORE ${o.write} ON ${o.table} FOR EACH ROW EXECUTE FUNCTION ${name}()`);
  return {
    allow: async () => {
      await sql.run(`DROP TRIGGER ${name} ON ${o.table}`);
      await sql.run(`DROP FUNCTION ${name}()`);
    },
  };
}

/** Makes every insert into the disclosure log fail. */
const refuseLog = (sql: SqlDb) => refusing(sql, 'test_refuse_log', { write: 'INSERT', table: 'privacy_disclosure_log', message: 'the log refuses entries (test)' });

/** Makes the store refuse to record a delivered attempt: other outcomes pass. */
const refuseDelivered = (sql: SqlDb) =>
  refusing(sql, 'test_refuse_delivered', { write: 'INSERT', table: 'delivery_attempts', when: "NEW.outcome = 'delivered'", message: 'the store refuses delivered outcomes (test)' });

/** Makes the store refuse to mark a webhook subscription's delivery delivered: other updates pass. */
const refuseWebhookDelivered = (sql: SqlDb) =>
  refusing(sql, 'test_refuse_hook', { write: 'UPDATE', table: 'webhook_deliveries', when: "NEW.status = 'delivered'", message: 'the store refuses delivered outcomes (test)' });

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

for (const backend of backends()) {
  describe(`a webhook subscription's delivery and its disclosure in one transaction (${backend})`, function () {
    this.timeout(30_000);
    let t: TestHub;
    let server: http.Server;
    let channel = '';
    let n = 0;
    /** Requests the receiver got, by event id. */
    const got = new Map<string, number>();
    before(async () => {
      server = http.createServer((req, res) => {
        let body = '';
        req.on('data', (c: Buffer) => (body += c.toString('utf8')));
        req.on('end', () => {
          const id = String((JSON.parse(body) as { eventId: string }).eventId);
          got.set(id, (got.get(id) ?? 0) + 1);
          res.writeHead(204).end();
        });
      });
      await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
      t = await makeHub({ backend, config: baseConfig({ sinks: [], routes: [], webhooks: { allowTargets: ['127.0.0.1'] } }) });
      const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/hook`;
      const sub = await request(t.app)
        .post('/api/v1/webhooks')
        .set(auth)
        .send({ url, entities: ['person'], retry: { maxAttempts: 50, initialDelayMs: 10, maxDelayMs: 100 } })
        .expect(201);
      channel = `webhook:${String(sub.body.id)}`;
    });
    after(async () => {
      await t?.stop();
      server?.closeAllConnections();
      await new Promise((r) => server?.close(r));
    });

    /** Ingests a person; its change's event id. */
    async function personEvent(): Promise<string> {
      const res = await request(t.app)
        .post('/api/v1/ingest/rtu-push/person')
        .set(auth)
        .send(canonicalPerson(800 + ++n))
        .expect(202);
      return (await t.hub.store.getMessage(String(res.body.messages[0].messageId)))!.eventId!;
    }
    const delivery = async (eventId: string) => {
      const [r] = await t.hub.store.sql.query<{ status: string; attempts: number | string; last_error: string | null }>(
        'SELECT status, attempts, last_error FROM webhook_deliveries WHERE event_id = ?',
        [eventId],
      );
      return r;
    };

    for (const [what, refuse, reason] of [
      ['the log refuses the entry', refuseLog, /refuses entries/],
      ['the delivery row cannot be marked delivered', refuseWebhookDelivered, /refuses delivered outcomes/],
    ] as const) {
      it(`writes neither the outcome nor the disclosure while ${what}; delivered again and logged once after`, async () => {
        const refusal = await refuse(t.hub.store.sql);
        let allowed = false;
        try {
          const eventId = await personEvent();
          // Two attempts that reached the receiver and failed to be recorded as delivered (the row counts an
          // attempt when it claims it, before the request arrives).
          const failing = await eventually(
            async () => {
              const d = await delivery(eventId);
              return d && Number(d.attempts) >= 2 && (got.get(eventId) ?? 0) >= 2 && d.last_error ? d : undefined;
            },
            15_000,
            'two attempts made',
          );
          assert.ok(['pending', 'sending'].includes(failing.status), `not delivered: ${failing.status}`);
          assert.match(failing.last_error ?? '', reason);
          assert.deepEqual(await loggedOn(t.hub.store.sql, channel, [eventId]), [], 'no disclosure logged for a delivery not recorded');

          await refusal.allow();
          allowed = true;
          const done = await eventually(async () => ((await delivery(eventId))?.status === 'delivered' ? delivery(eventId) : undefined), 15_000, 'delivered once both can be written');
          assert.equal(Number(done!.attempts), got.get(eventId), 'one request to the receiver per attempt, under the same idempotency key');
          assert.deepEqual(await loggedOn(t.hub.store.sql, channel, [eventId]), [eventId], 'logged once');
          assert.deepEqual((await t.hub.privacy.log.verify()).problems, []);
        } finally {
          if (!allowed) await refusal.allow();
        }
      });
    }
  });
}
