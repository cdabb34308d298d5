import assert from 'node:assert/strict';
import { routeQueue } from '../../src/broker/types.ts';
import { backends, eventually, makeHub, type TestHub } from '../helpers/hub.ts';
import { award, code, consent, deliveryStatus, eventOf, ingest, person, privacyConfig, PURPOSE, RECIPIENT, sinkLines } from './helpers.ts';

const DAY = 24 * 3600 * 1000;

for (const backend of backends()) {
  describe(`consent-gated routes (${backend})`, () => {
    let t: TestHub;
    before(async () => {
      t = await makeHub({ backend, config: privacyConfig() });
    });
    after(async () => {
      await t?.stop();
    });

    const attemptsOf = async (messageId: string, routeId: string) => (await t.hub.store.listAttempts(messageId)).filter((a) => a.routeId === routeId);

    it('withholds a delivery without a consent (recorded, not retried, not lost) and releases it when the consent arrives', async () => {
      await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU100001', code(2001, 3, 4, 101)));
      const aw = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-1', 'RTU100001'));
      await deliveryStatus(t, aw.messageId, 'archive', ['delivered']);
      await deliveryStatus(t, aw.messageId, 'employer', ['withheld']);
      const [attempt, ...more] = await attemptsOf(aw.messageId, 'employer');
      assert.equal(more.length, 0, 'withheld once, not retried');
      assert.equal(attempt!.outcome, 'withheld');
      assert.match(attempt!.error ?? '', new RegExp(`no consent of the person for purpose '${PURPOSE}', recipient '${RECIPIENT}'`));
      assert.match(attempt!.error ?? '', /waiting for a consent until \d{4}-/);
      assert.equal((await t.hub.store.getMessage(aw.messageId))!.status, 'withheld');
      const held = await t.hub.privacy.withheld.get((await eventOf(t, aw.messageId)).eventId, 'employer');
      assert.equal(held?.status, 'held');
      assert.ok(Date.parse(held.expiresAt) - Date.parse(held.withheldAt) === 7 * DAY, 'hold window P7D');
      assert.equal((await t.hub.broker.stats(routeQueue('employer'))).ready, 0, 'acked, not waiting in the queue');
      assert.equal(sinkLines(t, 'employer.jsonl').length, 0);

      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-1', 'RTU100001', 'given'));
      const line = await eventually(async () => sinkLines(t, 'employer.jsonl').find((e) => e.recordId === aw.recordId), 10_000, 'the released award at the employer');
      // Minimisation: the route's fields and the identity fields only.
      assert.deepEqual(Object.keys(line.record!).sort(), ['awardedAt', 'id', 'institution', 'likCode', 'person', 'sourceId', 'title', 'version']);
      assert.equal(await deliveryStatus(t, aw.messageId, 'employer', ['delivered']), 'delivered');
      assert.equal((await t.hub.store.getMessage(aw.messageId))!.status, 'delivered');
      assert.equal((await t.hub.privacy.withheld.get(line.eventId, 'employer'))?.status, 'delivered');
      // The archive got the whole record.
      assert.equal(sinkLines(t, 'archive.jsonl').find((e) => e.recordId === aw.recordId)?.record?.diplomaNumber, 'D AW-1');
      const entries = [];
      for await (const e of t.hub.privacy.log.entries()) entries.push(e);
      const logged = entries.find((e) => e.route === 'employer' && e.recordId === aw.recordId);
      assert.ok(logged, 'the release is in the disclosure log');
      assert.equal(logged.legalBasis, 'consent');
      assert.equal(logged.recipient, RECIPIENT);
      assert.deepEqual(logged.fields, ['person', 'title', 'awardedAt', 'likCode']);
      assert.match(logged.person ?? '', /^p:[0-9a-f]{64}$/);
    });

    it('stops a queued delivery when the consent is withdrawn', async () => {
      // The consent of the test above is active: stop the consumers so that the next award waits in the queue.
      await t.hub.router.stop();
      try {
        const aw = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-2', 'RTU100001'));
        await eventually(async () => (await t.hub.broker.stats(routeQueue('employer'))).ready >= 1, 10_000, 'the award queued for the employer');
        await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-1', 'RTU100001', 'withdrawn'));
        await t.hub.router.start();
        await deliveryStatus(t, aw.messageId, 'employer', ['withheld', 'delivered']);
        assert.equal((await t.hub.store.listDeliveries(aw.messageId)).find((d) => d.routeId === 'employer')?.status, 'withheld');
        const [attempt] = await attemptsOf(aw.messageId, 'employer');
        assert.match(attempt!.error ?? '', /was withdrawn at/);
        assert.equal(sinkLines(t, 'employer.jsonl').filter((e) => e.recordId === aw.recordId).length, 0, 'the employer never got it');
        await deliveryStatus(t, aw.messageId, 'archive', ['delivered']);
      } finally {
        await t.hub.router.start().catch(() => undefined);
      }
    });

    it('resumes after a new grant; a consent with a scope without the entity does not unlock it', async () => {
      await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU100003', code(2000, 7, 8, 303)));
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-3', 'RTU100003', 'given', { scope: ['attainment'] }));
      const aw = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-3', 'RTU100003'));
      await deliveryStatus(t, aw.messageId, 'employer', ['withheld']);
      assert.match((await attemptsOf(aw.messageId, 'employer'))[0]!.error ?? '', /covering award/);
      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-3', 'RTU100003', 'given', { scope: ['award'] }));
      await deliveryStatus(t, aw.messageId, 'employer', ['delivered']);
      // The attempts withheld before do not eat the retry budget: the release starts from attempt 1.
      const attempts = await attemptsOf(aw.messageId, 'employer');
      assert.deepEqual(
        attempts.map((a) => [a.attempt, a.outcome]),
        [
          [1, 'withheld'],
          [1, 'delivered'],
        ],
      );
    });

    it('closes a withheld delivery with a record when its hold window ends; a later consent does not release it', async () => {
      await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU100002', code(1998, 11, 12, 202)));
      const aw = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-4', 'RTU100002'));
      await deliveryStatus(t, aw.messageId, 'employer', ['withheld']);
      const early = await t.hub.privacy.tick({ now: Date.now() + 6 * DAY });
      assert.equal(early.closed, 0, 'still inside the window');
      const report = await t.hub.privacy.tick({ now: Date.now() + 8 * DAY });
      assert.ok(report.closed >= 1);
      const attempts = await attemptsOf(aw.messageId, 'employer');
      assert.equal(attempts.length, 2);
      assert.equal(attempts[1]!.outcome, 'withheld');
      assert.match(attempts[1]!.error ?? '', /^closed: no matching consent within the hold window/);
      const ev = await eventOf(t, aw.messageId);
      const row = await t.hub.privacy.withheld.get(ev.eventId, 'employer');
      assert.equal(row?.status, 'closed');

      await ingest(t, 'rtu-push', 'consent', consent('rtu.lv', 'CONS-2', 'RTU100002', 'given'));
      assert.equal((await t.hub.privacy.tick()).released, 0);
      assert.equal((await t.hub.broker.stats(routeQueue('employer'))).ready, 0, 'nothing sent again');
      assert.equal((await t.hub.store.listDeliveries(aw.messageId)).find((d) => d.routeId === 'employer')?.status, 'withheld');
      assert.equal(sinkLines(t, 'employer.jsonl').filter((e) => e.recordId === aw.recordId).length, 0);
    });

    it('decides by the person across institutions: a consent naming the linked person record by id counts', async () => {
      const pc = code(1997, 2, 3, 404);
      await ingest(t, 'rtu-push', 'person', person('rtu.lv', 'RTU100004', pc));
      const lu = await ingest(t, 'lu-push', 'person', person('lu.lv', 'LU-4', pc));
      const aw = await ingest(t, 'rtu-push', 'award', award('rtu.lv', 'AW-5', 'RTU100004'));
      await deliveryStatus(t, aw.messageId, 'employer', ['withheld']);
      // The consent system knows the person as lu.lv's record.
      await ingest(t, 'lu-push', 'consent', { ...consent('lu.lv', 'CONS-LU-4', 'LU-4', 'given'), person: { id: lu.recordId } });
      await deliveryStatus(t, aw.messageId, 'employer', ['delivered']);
    });
  });
}
